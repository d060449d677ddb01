"""Taking back what a failed or interrupted import wrote.

An import commits batch by batch (short transactions: the site, logins and other jobs never
wait long for it). What it writes stays recognisable until the job is done:

- the initiatives it creates are not published yet (`publish_new` publishes them in the
  job's last transaction, unless the source is under moderation), and each has the job's
  « new » item, which names it;
- before a batch changes stored initiatives or records, their state is kept in a
  `PriorState` row of the job (`remember`).

`undo_job` deletes the first and restores the second, in short transactions too, and can be
run again if it is itself interrupted: whatever it has done is no longer there to do.
"""

from collections.abc import Iterable

from django.core import serializers
from django.db import transaction
from django.db.models import Model

from maillage.catalog.models import Initiative

from .models import HarvestItem, HarvestJob, Outcome, PriorState, SourceRecord, UnchangedRows

CHUNK = 1000


def history_reason(job: HarvestJob) -> str:
    """The change reason of the history records an import writes (and undo removes)."""
    return f"import {job.source.name} #{job.pk}"


def remember(job: HarvestJob, initiative_ids: Iterable[int], record_ids: Iterable[int]) -> None:
    """Keep the current state of these initiatives and records, before the batch changes
    them (read from the database, in the batch's transaction: exactly what undo must put
    back)."""
    initiatives = list(Initiative.objects.filter(pk__in=set(initiative_ids)))
    records = list(SourceRecord.objects.filter(pk__in=set(record_ids)))
    if initiatives or records:
        PriorState.objects.create(
            job=job, objects_json=serializers.serialize("json", [*initiatives, *records])
        )


def publish_new(job: HarvestJob) -> int:
    """Publish the initiatives the job created (in its last transaction)."""
    created = HarvestItem.objects.filter(job=job, outcome=Outcome.NEW).values("initiative_id")
    return Initiative.objects.filter(pk__in=created, published=False).update(published=True)


def undo_job(job: HarvestJob) -> dict[str, int]:
    """Delete what the job created, put back what it changed, and drop its report rows.
    Returns the counts of each."""
    removed = _remove_created(job)
    restored = _restore_changed(job)
    Initiative.history.filter(history_change_reason=history_reason(job)).delete()
    dropped = _drop_report(job)
    return {"removed": removed, "restored": restored, "items": dropped}


def _remove_created(job: HarvestJob) -> int:
    new_items = HarvestItem.objects.filter(
        job=job, outcome=Outcome.NEW, initiative__isnull=False
    ).order_by("pk")
    removed = 0
    while ids := list(new_items.values_list("initiative_id", flat=True)[:CHUNK]):
        with transaction.atomic():
            SourceRecord.objects.filter(source_id=job.source_id, initiative_id__in=ids).filter(
                first_seen_job=job
            ).delete()
            # Deleting sets the items' initiative to NULL: the loop moves on.
            Initiative.objects.filter(pk__in=ids).delete()
            # The deletion's own history records, and any the initiatives had: none remain.
            Initiative.history.filter(id__in=ids).delete()
        removed += len(ids)
    return removed


def _restore_changed(job: HarvestJob) -> int:
    restored = 0
    while state := PriorState.objects.filter(job=job).order_by("-pk").first():
        with transaction.atomic():
            # Newest first: an object changed by two batches ends in its oldest state.
            for stored in serializers.deserialize("json", state.objects_json):
                stored.save()
                restored += isinstance(stored.object, Initiative)
            state.delete()
    return restored


def _drop_report(job: HarvestJob) -> int:
    dropped = 0
    for model in (HarvestItem, UnchangedRows):
        rows: type[Model] = model
        while ids := list(
            rows._default_manager.filter(job=job).values_list("pk", flat=True)[: CHUNK * 10]
        ):
            with transaction.atomic():
                dropped += rows._default_manager.filter(pk__in=ids).delete()[0]
    return dropped
