"""Published counts over time, from the real history files of the two bookcase sources and of
the Brittany fab lab map."""

import csv
import datetime
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from maillage.indicators import history
from maillage.indicators.models import CountSnapshot
from maillage.indicators.selectors import time_series

pytestmark = pytest.mark.real_data


@pytest.fixture
def zonelivre(raw_data: Path) -> Path:
    return raw_data / "boites-a-livres-zonelivre" / "bookcase_count_history.csv"


@pytest.fixture
def maplab(raw_data: Path) -> Path:
    return raw_data / "fablabs-tiers-lieux-bretagne" / "history_feature_counts.csv"


def test_region_counts_of_the_bookcase_history(referential, zonelivre, capsys):
    call_command(
        "import-history", "regions", str(zonelivre), "--source", "zonelivre",
        "--category", "boites-a-livres",
    )  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    with zonelivre.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert summary["stored"] == len(rows) * 14  # 13 régions and France per date
    first = rows[0]
    bretagne = CountSnapshot.objects.get(
        source="zonelivre", territory_id="reg:53", date=datetime.date.fromisoformat(first["date"])
    )
    assert bretagne.count == int(first["Bretagne"])
    france = CountSnapshot.objects.get(
        source="zonelivre", territory_id="fr", date=datetime.date.fromisoformat(first["date"])
    )
    # France is the sum of the régions: the file's total also counts boxes outside them (and
    # on 2022-09-20 exceeds the régions and « out_of_region » together by 2).
    regions = [c for c in first if c not in ("date", "total", "out_of_region")]
    assert france.count == sum(int(first[c]) for c in regions) == 5190
    series = time_series("reg:93")  # Provence-Alpes-Côte d'Azur, matched by its full name
    assert series[0]["category"] == "boites-a-livres"
    assert len(series[0]["points"]) == len(rows)


def test_a_reimport_replaces_the_series(referential, zonelivre):
    first = history.import_series(history.read_regions(zonelivre, "boites-a-livres"), "zl")
    again = history.import_series(history.read_regions(zonelivre, "boites-a-livres"), "zl")
    assert again["replaced"] == first["stored"]
    assert CountSnapshot.objects.filter(source="zl").count() == first["stored"]


def test_the_fab_lab_map_history(referential, maplab):
    series = history.read_features(maplab, "reg:53")
    assert len(series.skipped) == 10  # versions that are not valid JSON
    summary = history.import_series(series, "maplab-bzh", "CC-BY")
    assert summary["skipped"] == 10
    totals = {s["category"]: dict(s["points"]) for s in time_series("reg:53")}
    assert totals[None]["2015-10-09"] == 20  # the first version had 20 places
    assert totals[None]["2020-05-26"] == 121  # the last one, 121
    # On 2018-08-15 the map went through versions of 2 and 3 places within minutes; the day
    # keeps its last version, 101 places.
    assert totals[None]["2018-08-15"] == 101
    # « FabLab », « FabLab MIT », « fablabMIT », « MakerSpace »… all count as fab labs.
    assert 0 < totals["fablab"]["2020-05-26"] < 121
    assert set(totals) == {None, "fablab", "tiers-lieu"}


def test_bad_history_files_fail_clearly(referential, tmp_path, zonelivre):
    broken = tmp_path / "sans-date.csv"
    broken.write_text("jour,total\n2020-01-01,3\n", encoding="utf-8")
    with pytest.raises(CommandError, match="colonne « date » absente"):
        call_command(
            "import-history", "regions", str(broken), "--source", "x", "--category", "troc"
        )
    bad_date = tmp_path / "date.csv"
    bad_date.write_text("date,total,Bretagne\nhier,3,3\n", encoding="utf-8")
    with pytest.raises(CommandError, match="date illisible « hier »"):
        call_command(
            "import-history", "regions", str(bad_date), "--source", "x", "--category", "troc"
        )
    with pytest.raises(CommandError, match="catégories inconnues : pas-une-categorie"):
        call_command(
            "import-history", "regions", str(zonelivre), "--source", "x",
            "--category", "pas-une-categorie",
        )  # fmt: skip
    assert not CountSnapshot.objects.exists()  # nothing half-written


def test_the_portrait_shows_the_series(client, demo_figures):
    # demo_figures ran `maillage load-demo`, which loads the #MapLabBZH series too.
    html = client.get("/territoires/reg:53/portrait/").content.decode()
    assert "Séries publiées par les sources" in html
    assert "maplab-bzh" in html
    data = client.get("/territoires/reg:53/portrait/", {"format": "json"}).json()
    assert {s["source"] for s in data["time_series"]} == {"maplab-bzh"}
