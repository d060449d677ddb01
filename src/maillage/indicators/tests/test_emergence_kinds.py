"""Issue 14, emergence that means something: « created » (a date from the source), « appeared »
(absent from an earlier harvest of the same source, present now) and « first imported » (the
first harvest of a source, never called recent) are counted apart."""

import csv
import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from maillage.catalog.models import Initiative
from maillage.catalog.services import create_initiative
from maillage.indicators.selectors import portrait
from maillage.indicators.services import recompute
from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.models import HarvestJob

RENNES = "com:35238"
ROWS = [
    ("1", "Repair café des Champs", "48.1120", "-1.6800", "2015-03-01"),
    ("2", "Repair café du Blosne", "48.0830", "-1.6590", ""),
    ("3", "Repair café de Maurepas", "48.1290", "-1.6560", "2024-05-01"),
]
NEW_ROW = ("4", "Repair café de Villejean", "48.1210", "-1.7080", "")


def _csv(path: Path, rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "Nom", "lat", "lon", "date de création"])
        writer.writerows(rows)
    return path


def _import(path: Path) -> HarvestJob:
    return run_import(
        ImportRequest(
            backend="csv",
            path=path,
            source="repair",
            category="repair-cafe",
            licence="ODbL 1.0",
            coverage_categories=["repair-cafe"],
            coverage_area=["fr"],
        )
    )


@pytest.mark.django_db
def test_a_first_harvest_is_not_recent_and_a_later_one_says_what_appeared(referential, tmp_path):
    first = _import(_csv(tmp_path / "v1.csv", ROWS))
    assert first.outcomes["new"] == 3
    assert not Initiative.objects.filter(appeared_on__isnull=False).exists()
    recompute()
    repair = portrait(RENNES)["categories"]["repair-cafe"]
    assert (repair["count"], repair["appeared"], repair["first_imported"]) == (3, 0, 3)

    second = _import(_csv(tmp_path / "v2.csv", [*ROWS, NEW_ROW]))
    assert second.outcomes == {**second.outcomes, "new": 1, "unchanged": 3}
    appeared = Initiative.objects.get(name=NEW_ROW[1])
    assert appeared.appeared_on == timezone.localdate()
    recompute()
    figures = portrait(RENNES)
    repair = figures["categories"]["repair-cafe"]
    assert (repair["count"], repair["appeared"], repair["first_imported"]) == (4, 1, 3)
    # created: only the dates the source gives
    assert repair["dated"] == 2
    creations = figures["emergence"]["creations_per_year"]["all"]
    assert creations == {"2015": 1, "2024": 1}

    # An appearance older than a year is no longer « apparue depuis un an ».
    Initiative.objects.filter(pk=appeared.pk).update(
        appeared_on=timezone.localdate() - datetime.timedelta(days=400)
    )
    recompute()
    assert portrait(RENNES)["categories"]["repair-cafe"]["appeared"] == 0


@pytest.mark.django_db
def test_a_failed_first_harvest_does_not_make_the_next_one_later(referential, tmp_path):
    job = _import(_csv(tmp_path / "v1.csv", ROWS))
    HarvestJob.objects.filter(pk=job.pk).update(status=HarvestJob.Status.FAILED)
    Initiative.objects.all().delete()
    _import(_csv(tmp_path / "v2.csv", [*ROWS, NEW_ROW]))
    assert not Initiative.objects.filter(appeared_on__isnull=False).exists()


@pytest.mark.django_db
def test_an_initiative_entered_by_hand_is_neither_appeared_nor_first_imported(referential):
    create_initiative(name="Repair café saisi", category="repair-cafe", lon=-1.68, lat=48.11)
    recompute()
    repair = portrait(RENNES)["categories"]["repair-cafe"]
    assert (repair["count"], repair["appeared"], repair["first_imported"]) == (1, 0, 0)


@pytest.mark.django_db
def test_the_portrait_names_the_three_kinds(referential, tmp_path, client):
    _import(_csv(tmp_path / "v1.csv", ROWS))
    recompute()
    page = client.get(f"/territoires/{RENNES}/portrait/").content.decode()
    assert "Apparues depuis un an" in page
    assert "Venues avec le premier import de leur source" in page
    assert "Repérées depuis moins d'un an" not in page
