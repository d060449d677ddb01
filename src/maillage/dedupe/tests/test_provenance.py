"""Field-level provenance after a merge, on real carpooling rows given by two sources."""

import csv
from pathlib import Path

import pytest

from maillage.catalog.models import Initiative
from maillage.catalog.services import update_initiative
from maillage.dedupe.models import Merge
from maillage.dedupe.services import run_dedupe
from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.models import HarvestItem, Source, SourceRecord

pytestmark = pytest.mark.real_data


def _rows(raw_data: Path) -> tuple[list[str], list[dict[str, str]]]:
    with (raw_data / "bnlc-covoiturage" / "bnlc.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)[:30]


def _import(tmp_path: Path, source: str, header: list[str], rows: list[dict[str, str]]):
    path = tmp_path / f"{source}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return run_import(ImportRequest(backend="bnlc", path=path, source=source))


@pytest.mark.django_db
def test_two_sources_of_one_place_feed_the_merged_initiative_field_by_field(
    raw_data, tmp_path, admin_user
):
    header, rows = _rows(raw_data)
    _import(tmp_path, "region", header, rows)
    _import(tmp_path, "departement", header, [dict(r) for r in rows])
    run = run_dedupe().run
    assert run.auto_merged == 30  # the same 30 car parks, given by both sources
    assert Initiative.objects.filter(archived_at__isnull=True).count() == 30
    first_id = rows[0]["id_lieu"]
    region = SourceRecord.objects.get(source__name="region", remote_id=first_id)
    departement = SourceRecord.objects.get(source__name="departement", remote_id=first_id)
    assert region.initiative_id == departement.initiative_id
    merged = region.initiative
    assert merged.field_sources["address"] == region.pk  # the survivor's own values

    # The more trusted source changes an address: it replaces the other source's value.
    Source.objects.filter(name="departement").update(trust=80)
    rows_dep = [dict(r) for r in rows]
    rows_dep[0]["ad_lieu"] = "Parking de la mairie (adresse du département)"
    job = _import(tmp_path, "departement", header, rows_dep)
    merged.refresh_from_db()
    assert merged.address == "Parking de la mairie (adresse du département)"
    assert merged.field_sources["address"] == departement.pk
    item = HarvestItem.objects.get(job=job, remote_id=first_id)
    assert item.outcome == "updated"
    assert item.conflicts == []

    # The less trusted one then changes it too, the same day: the value in place stays.
    rows_reg = [dict(r) for r in rows]
    rows_reg[0]["ad_lieu"] = "Adresse de la région"
    job = _import(tmp_path, "region", header, rows_reg)
    merged.refresh_from_db()
    assert merged.address == "Parking de la mairie (adresse du département)"
    item = HarvestItem.objects.get(job=job, remote_id=first_id)
    assert any("valeur de la source « departement » gardée" in r for r in item.reasons)

    # A staff edit beats every source: a later change is a conflict, shown, not written.
    second = SourceRecord.objects.get(source__name="region", remote_id=rows[1]["id_lieu"])
    update_initiative(second.initiative, user=admin_user, name="Nom choisi par l'équipe")
    rows_dep[1]["nom_lieu"] = "Nom venu du département"
    job = _import(tmp_path, "departement", header, rows_dep)
    second.initiative.refresh_from_db()
    assert second.initiative.name == "Nom choisi par l'équipe"
    item = HarvestItem.objects.get(job=job, remote_id=rows[1]["id_lieu"])
    assert item.conflicts[0]["field"] == "name"
    assert item.conflicts[0]["source"] == "Nom venu du département"


@pytest.mark.django_db
def test_undo_gives_back_the_provenance(raw_data, tmp_path):
    header, rows = _rows(raw_data)
    _import(tmp_path, "region", header, rows[:3])
    _import(tmp_path, "departement", header, [dict(r) for r in rows[:3]])
    run_dedupe()
    merge = Merge.objects.first()
    before = dict(merge.field_sources_before)
    from maillage.dedupe.merges import undo_merge

    undo_merge(merge)
    survivor = Initiative.objects.get(pk=merge.survivor_id)
    assert survivor.field_sources == before
    absorbed = Initiative.objects.get(pk=merge.absorbed_id)
    assert absorbed.source_records.get().source.name in {"region", "departement"}
