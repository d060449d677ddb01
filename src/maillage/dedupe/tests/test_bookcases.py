"""The real case: the two public-bookcase datasets, imported, then deduplicated."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from maillage.catalog.models import Initiative
from maillage.dedupe.merges import undo_merge
from maillage.dedupe.models import DuplicatePair, Merge
from maillage.dedupe.services import run_dedupe
from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.models import SourceRecord

pytestmark = pytest.mark.real_data


@pytest.fixture
def bookcases(raw_data: Path) -> None:
    for source, path in (
        ("zonelivre", raw_data / "boites-a-livres-zonelivre" / "bookcases.geojson"),
        (
            "boite-a-lire",
            raw_data / "boites-a-livres-boite-a-lire" / "bookcases_boite-a-lire_FR.geojson",
        ),
    ):
        run_import(ImportRequest(backend="bookcases", path=path, source=source))


@pytest.mark.django_db
def test_dry_run_finds_cross_source_pairs_and_writes_nothing(bookcases, capsys, tmp_path):
    live = Initiative.objects.filter(archived_at__isnull=True).count()
    call_command("dedupe", "--dry-run", "--report", str(tmp_path / "pairs.csv"))
    summary = json.loads(capsys.readouterr().out)
    assert set(summary) >= {"candidates", "auto_merged", "to_review", "cross_source_pairs"}
    assert summary["initiatives"] == live
    # Measured on these files: several thousand boxes listed by both sources.
    assert summary["cross_source_pairs"] > 2500
    assert summary["auto_merged"] > 100
    assert summary["to_review"] > 0
    assert DuplicatePair.objects.count() == 0
    assert Initiative.objects.filter(archived_at__isnull=True).count() == live
    lines = (tmp_path / "pairs.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + summary["auto_merged"] + summary["to_review"]


@pytest.mark.django_db
def test_sure_pairs_are_merged_doubtful_ones_queued_and_decisions_remembered(bookcases, raw_data):
    first = run_dedupe().run
    merges = Merge.objects.filter(automatic=True)
    assert merges.count() == first.auto_merged > 0
    merge = merges.first()
    absorbed = Initiative.objects.get(pk=merge.absorbed_id)
    assert absorbed.archived_at is not None
    assert absorbed.merged_into_id == merge.survivor_id
    # Both sources' records now point to the survivor: a harvest updates the one initiative.
    assert SourceRecord.objects.filter(initiative_id=merge.survivor_id).count() == 2
    queued = DuplicatePair.objects.filter(status="to-review")
    assert queued.count() == first.to_review
    refused = queued.first()
    refused.status = DuplicatePair.Status.NOT_DUPLICATE
    refused.save()

    # The next harvest and the next run keep every decision.
    run_import(
        ImportRequest(
            backend="bookcases",
            path=raw_data / "boites-a-livres-zonelivre" / "bookcases.geojson",
            source="zonelivre",
        )
    )
    second = run_dedupe().run
    refused.refresh_from_db()
    assert refused.status == "not-duplicate"
    # The first run reached a stable state: nothing is left to merge on the same data.
    assert second.auto_merged == 0
    assert Merge.objects.count() == first.auto_merged + second.auto_merged
    pairs = list(Merge.objects.values_list("pair_id", flat=True))
    assert len(pairs) == len(set(pairs))


@pytest.mark.django_db
def test_a_merge_can_be_undone(bookcases):
    run_dedupe()
    merge = Merge.objects.filter(automatic=True).exclude(filled={}).first() or Merge.objects.first()
    survivor = Initiative.objects.get(pk=merge.survivor_id)
    filled = dict(merge.filled)
    undo_merge(merge)
    absorbed = Initiative.objects.get(pk=merge.absorbed_id)
    assert absorbed.archived_at is None
    assert absorbed.merged_into_id is None
    assert set(absorbed.source_records.values_list("id", flat=True)) == set(merge.moved_records)
    survivor.refresh_from_db()
    for name, old in filled.items():
        assert getattr(survivor, name) in (old, None, "")
    assert merge.pair is not None
    merge.pair.refresh_from_db()
    assert merge.pair.status == "undone"
    # An undone pair is never merged automatically again.
    again = run_dedupe().run
    assert not Merge.objects.filter(pair_id=merge.pair_id, undone_at__isnull=True).exists()
    assert again.auto_merged >= 0


@pytest.mark.django_db
def test_one_run_reaches_a_stable_state_with_a_queue_a_person_can_clear(bookcases):
    first = run_dedupe().run
    opened = set(
        DuplicatePair.objects.filter(status="to-review").values_list("left_id", "right_id")
    )
    assert first.auto_merged > 0
    # The bound: under 1,000 pairs (about 3 hours at 10 s a pair).
    assert 0 < first.to_review == len(opened) < 1000
    second = run_dedupe().run
    assert second.auto_merged == 0
    assert second.to_review == first.to_review
    assert (
        set(DuplicatePair.objects.filter(status="to-review").values_list("left_id", "right_id"))
        == opened
    )
    # Every initiative that merges left (some were absorbed in a later round) holds the
    # records of the two sources (or of one source that listed the box twice).
    survivors = set(Merge.objects.values_list("survivor_id", flat=True))
    for survivor in Initiative.objects.filter(pk__in=survivors, merged_into__isnull=True):
        sources = list(
            SourceRecord.objects.filter(initiative=survivor).values_list("source__name", flat=True)
        )
        assert len(sources) >= 2
