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

import datetime
import json
from collections.abc import Iterable
from typing import Any

from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.python import Serializer as PythonSerializer
from django.db import transaction
from django.db.models import Model

from maillage.catalog.models import Initiative
from maillage.core import fastwrite

from .models import HarvestItem, HarvestJob, Outcome, PriorState, SourceRecord, UnchangedRows

CHUNK = 2000


class _ExactEncoder(DjangoJSONEncoder):
    """Django's encoder cuts times to the millisecond: a restored row must be the same row."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def history_reason(job: HarvestJob) -> str:
    """The change reason of the history records an import writes (and undo removes)."""
    return f"import {job.source.name} #{job.pk}"


class _Serializer(PythonSerializer):
    """Django's Python serializer, reading many-to-many links from the prefetch cache when it
    holds them: its own method builds a query per object and field even then (a tenth of a
    re-import that changes 1 % of its rows)."""

    def handle_m2m_field(self, obj: Model, field: Any) -> None:
        cached = getattr(obj, "_prefetched_objects_cache", {}).get(field.name)
        if cached is None:
            super().handle_m2m_field(obj, field)
            return
        pks = [self._value_from_field(r, r._meta.pk) for r in cached]  # type: ignore[attr-defined]
        self._current[field.name] = pks  # type: ignore[attr-defined]


def snapshot(objects: Iterable[Model]) -> dict[tuple[str, Any], dict[str, Any]]:
    """Stored initiatives and records as they are before a batch merges rows into them (loaded
    in the batch's transaction, many-to-many links prefetched: what undo must put back), in
    Django's Python serialization, by (model label, pk)."""
    return {(row["model"], row["pk"]): row for row in _Serializer().serialize(objects)}


def remember(job: HarvestJob, rows: list[dict[str, Any]], initiative_ids: Iterable[int]) -> None:
    """Keep the rows `snapshot` took before the batch changed them, and which initiatives have
    no history yet (the batch writes their first record)."""
    if not rows:
        return
    wanted = set(initiative_ids)
    with_history = set(Initiative.history.filter(id__in=wanted).values_list("id", flat=True))
    state = {"rows": rows, "no_history": sorted(wanted - with_history)}
    PriorState.objects.create(job=job, objects_json=json.dumps(state, cls=_ExactEncoder))


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
    while chunk := list(new_items.values_list("pk", "initiative_id")[:CHUNK]):
        items, ids = zip(*chunk, strict=True)
        with transaction.atomic():
            # The job's records first, then its items (the loop moves on), then the
            # initiatives with whatever else points at them (history rows included).
            SourceRecord.objects.filter(source_id=job.source_id, initiative_id__in=ids).filter(
                first_seen_job=job
            ).delete()
            HarvestItem.objects.filter(pk__in=items).delete()
            Initiative.history.filter(id__in=ids).delete()
            fastwrite.delete_rows(Initiative, ids)
        removed += len(ids)
    return removed


def _restore_changed(job: HarvestJob) -> int:
    restored = 0
    while state := PriorState.objects.filter(job=job).order_by("-pk").first():
        with transaction.atomic():
            # Newest first: an object changed by two batches ends in its oldest state.
            kept = json.loads(state.objects_json)
            for stored in serializers.deserialize("python", kept["rows"]):
                stored.save()
                restored += isinstance(stored.object, Initiative)
            Initiative.history.filter(id__in=kept["no_history"]).delete()
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
