"""`maillage locate`: one point, or a CSV file."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def run(capsys, *args: str) -> dict:
    call_command("locate", *args)
    return json.loads(capsys.readouterr().out)


def test_single_point(capsys):
    out = run(capsys, "2.3522", "48.8566")
    assert out["commune"] == {"id": "com:75056", "code": "75056", "name": "Paris"}
    assert out["epci"]["id"] == "epci:200054781"
    assert out["departement"]["id"] == "dep:75"
    assert out["region"] == {"id": "reg:11", "code": "11", "name": "Île-de-France"}


def test_outside_france(capsys):
    assert run(capsys, "-4.0", "47.0") == {"outside_france": True}
    assert run(capsys, "4.35", "50.85") == {"outside_france": True}


def test_negative_longitude_with_and_without_double_dash(capsys):
    assert run(capsys, "-1.68", "48.11")["commune"]["id"] == "com:35238"
    assert run(capsys, "--", "-1.68", "48.11")["commune"]["id"] == "com:35238"


def test_bad_arguments_exit_with_status_2(tmp_path: Path):
    with pytest.raises(CommandError) as exc:
        call_command("locate", "2.35")
    assert exc.value.returncode == 2
    with pytest.raises(CommandError) as exc:
        call_command(
            "locate", "--file", str(tmp_path / "absent.csv"), "-o", str(tmp_path / "o.csv")
        )
    assert exc.value.returncode == 2
    assert "introuvable" in str(exc.value)


def test_missing_file_exit_status_from_the_console_script(tmp_path: Path):
    script = Path(sys.executable).with_name("maillage")
    done = subprocess.run(
        [str(script), "locate", "--file", str(tmp_path / "absent.csv"), "-o", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Fichier introuvable" in done.stderr


def test_file_keeps_extra_columns_and_order(tmp_path: Path, capsys):
    source = tmp_path / "in.csv"
    source.write_text(
        "name,lat,lon,note\n"
        'Paris,48.8566,2.3522,"a, b"\n'
        "Mer,47.0,-4.0,\n"
        "Vide,,,x\n"
        "Rennes,48.11,-1.68,y\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    summary = run(capsys, "--file", str(source), "-o", str(out))
    assert summary["rows"] == 4
    assert summary["located"] == 2
    assert summary["outside_france"] == 1
    assert summary["invalid"] == 1
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [
        "name", "lat", "lon", "note", "commune_id", "commune_name", "epci_id", "departement_id",
        "region_id",
    ]  # fmt: skip
    assert rows[1] == [
        "Paris", "48.8566", "2.3522", "a, b", "com:75056", "Paris", "epci:200054781", "dep:75",
        "reg:11",
    ]  # fmt: skip
    assert rows[2][4:] == ["", "", "", "", ""]
    assert rows[3][:4] == ["Vide", "", "", "x"]
    assert rows[3][4:] == ["", "", "", "", ""]
    assert rows[4][4] == "com:35238"


def test_semicolons_decimal_commas_and_bom(tmp_path: Path, capsys):
    source = tmp_path / "in.csv"
    source.write_text(
        "id;lon;lat\n1;2,3522;48,8566\n2;-1,68;48,11\n3;abc;48\n4;5,3698;43,2965\n",
        encoding="utf-8-sig",
    )
    out = tmp_path / "out.csv"
    summary = run(capsys, "--file", str(source), "-o", str(out))
    assert (summary["rows"], summary["located"], summary["invalid"]) == (4, 3, 1)
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0][:3] == ["id", "lon", "lat"]
    assert [r[3] for r in rows[1:]] == ["com:75056", "com:35238", "", "com:13055"]


def test_tab_separated(tmp_path: Path, capsys):
    source = tmp_path / "in.tsv"
    source.write_text("lon\tlat\n2.3522\t48.8566\n", encoding="utf-8")
    out = tmp_path / "out.tsv"
    assert run(capsys, "--file", str(source), "-o", str(out))["located"] == 1
    assert out.read_text(encoding="utf-8").splitlines()[1].split("\t")[2] == "com:75056"


def test_missing_column_is_an_error(tmp_path: Path):
    source = tmp_path / "in.csv"
    source.write_text("x,y\n2.35,48.85\n", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("locate", "--file", str(source), "-o", str(tmp_path / "out.csv"))
    assert exc.value.returncode == 2
    assert "lon et lat" in str(exc.value)


def test_output_neutralises_formulas_and_keeps_negative_longitudes(tmp_path: Path, capsys):
    source = tmp_path / "in.csv"
    source.write_text(
        "name,lat,lon,note\n"
        '"=HYPERLINK(""http://exemple.invalid"";""clic"")",48.11,-1.68,+1\n'
        "@SUM(1+1),48.11,-1.68,-2+3\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    assert run(capsys, "--file", str(source), "-o", str(out))["located"] == 2
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][:5] == [
        "'=HYPERLINK(\"http://exemple.invalid\";\"clic\")", "48.11", "-1.68", "'+1", "com:35238",
    ]  # fmt: skip
    assert rows[2][:5] == ["'@SUM(1+1)", "48.11", "-1.68", "'-2+3", "com:35238"]
