"""An import commits batch by batch; when it fails, what its committed batches wrote is taken
back (undo.py): the initiatives it created, and every field, link and history record of
those it changed, are as they were — on the real carpooling base."""

from pathlib import Path
from typing import Any

import pytest

from maillage.catalog.models import Category, Initiative
from maillage.catalog.services import update_initiative
from maillage.sources import harvest
from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.models import HarvestItem, HarvestJob, PriorState, SourceRecord

from .csvfiles import read_rows, write_rows

pytestmark = [pytest.mark.django_db, pytest.mark.real_data]


def _import(path: Path, **kwargs: Any) -> HarvestJob:
    return run_import(ImportRequest(backend="bnlc", path=path, source="bnlc", **kwargs))


def _state() -> dict[str, Any]:
    """Everything an import may touch, as plain values."""
    return {
        "initiatives": list(Initiative.objects.order_by("pk").values()),
        "links": sorted(
            (i.pk, c.pk) for i in Initiative.objects.all() for c in i.secondary_categories.all()
        ),
        "records": list(SourceRecord.objects.order_by("pk").values()),
        "history": list(Initiative.history.order_by("history_id").values()),
    }


def test_a_failed_rerun_puts_back_every_field_it_changed_and_removes_what_it_created(
    raw_data, tmp_path, monkeypatch
):
    header, rows = read_rows(raw_data / "bnlc-covoiturage" / "bnlc.csv")
    first = _import(write_rows(tmp_path / "a.csv", header, rows[:50]))
    assert first.outcomes["new"] == 50
    # A staff edit and a link, so that the history and the links have something to keep.
    staff_edited = Initiative.objects.order_by("pk")[3]
    other = Category.objects.exclude(code=staff_edited.category_id).order_by("code").first()
    assert other is not None
    update_initiative(
        staff_edited, description="Relue par l'équipe", secondary_categories=[other.code]
    )
    before = _state()

    changed = [dict(row) for row in rows[:70]]  # 50 known, 20 new
    for row in changed[:30]:  # rows of the first two batches change
        row["nom_lieu"] = f"{row['nom_lieu']} (renommée)"
    monkeypatch.setattr(harvest, "BATCH_SIZE", 20)

    def fail_at_the_end(read: int) -> None:
        if read >= 70:  # every batch committed: only undo can take them back
            raise RuntimeError("disque plein")

    with pytest.raises(RuntimeError):
        _import(write_rows(tmp_path / "b.csv", header, changed), progress=fail_at_the_end)

    failed = HarvestJob.objects.latest("pk")
    assert failed.status == HarvestJob.Status.FAILED
    assert "disque plein" in failed.error
    assert _state() == before
    assert not HarvestItem.objects.filter(job=failed).exists()
    assert not PriorState.objects.exists()

    # The same file, without the failure, then does what it should.
    done = _import(tmp_path / "b.csv")
    assert (done.outcomes["updated"], done.outcomes["new"]) == (30, 20)
    assert Initiative.objects.filter(name__endswith="(renommée)").count() == 30
    assert not PriorState.objects.exists()  # a finished job keeps no prior state
