"""Upsert of one batch by (source, remote id), with field-level respect of staff edits."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from maillage.catalog.models import Initiative

from .models import HarvestItem, HarvestJob, Outcome, SourceRecord
from .pipeline import Prepared, raw_hash

M2M_FIELDS = ("exchange_modes", "secondary_categories")
DATE_FIELDS = {"created_on", "opened_on", "closed_on"}


@dataclass
class BatchResult:
    items: list[HarvestItem] = field(default_factory=list)


def _model_value(initiative: Initiative, name: str) -> Any:
    if name in M2M_FIELDS:
        return sorted(o.pk for o in getattr(initiative, name).all())
    value = getattr(initiative, name)
    return value.isoformat() if isinstance(value, datetime.date) else value


def _assign(initiative: Initiative, name: str, value: Any) -> None:
    if name in DATE_FIELDS and value is not None:
        value = datetime.date.fromisoformat(value)
    setattr(initiative, name, value)


def _new_initiative(values: dict[str, Any]) -> Initiative:
    initiative = Initiative()
    for name, value in values.items():
        if name not in M2M_FIELDS:
            _assign(initiative, name, value)
    initiative.first_seen_on = timezone.localdate()
    return initiative


def _item(job: HarvestJob, prepared: Prepared, outcome: str, **extra: Any) -> HarvestItem:
    values = prepared.values
    return HarvestItem(
        job=job,
        row_number=prepared.row.number,
        remote_id=prepared.remote_id,
        raw=prepared.row.data,
        outcome=outcome,
        reasons=[prepared.rejected] if prepared.rejected else prepared.reasons,
        commune_id=(values.get("commune_id") or "") if values else "",
        category=(values.get("category_id") or "") if values else "",
        category_rule=(values.get("category_rule") or "") if values else "",
        **extra,
    )


def write_batch(
    job: HarvestJob, prepared: list[Prepared], signature: str, seen: dict[str, int], dry_run: bool
) -> list[HarvestItem]:
    """Decide the outcome of every row of a batch and write it (unless dry-run)."""
    items: list[HarvestItem] = []
    usable: list[Prepared] = []
    for p in prepared:
        if p.rejected:
            items.append(_item(job, p, Outcome.REJECTED))
        elif p.remote_id in seen:
            p.rejected = _("ligne répétée : même identifiant que la ligne %(line)s") % {
                "line": seen[p.remote_id]
            }
            items.append(_item(job, p, Outcome.REJECTED))
        else:
            seen[p.remote_id] = p.row.number
            usable.append(p)
    records = {
        r.remote_id: r
        for r in SourceRecord.objects.filter(
            source=job.source, remote_id__in=[p.remote_id for p in usable]
        )
    }
    # Only rows that changed need their initiative (to merge field by field).
    to_merge = [records[p.remote_id] for p in usable if not p.unchanged and p.remote_id in records]
    initiatives = Initiative.objects.prefetch_related(*M2M_FIELDS).in_bulk(
        [r.initiative_id for r in to_merge if r.initiative_id is not None]
    )
    for record in to_merge:
        if record.initiative_id in initiatives:
            record.initiative = initiatives[record.initiative_id]
    now = timezone.now()
    new: list[tuple[Prepared, Initiative]] = []
    changed: list[tuple[Prepared, SourceRecord, list[str]]] = []
    unchanged: list[SourceRecord] = []
    for p in usable:
        p.digest = digest = p.digest or raw_hash(p.row, signature)
        record = records.get(p.remote_id)
        if p.unchanged and record is not None:
            # The row is byte for byte the one stored with an earlier job's item: not copied.
            unchanged.append(record)
            items.append(
                HarvestItem(
                    job=job,
                    row_number=p.row.number,
                    remote_id=p.remote_id,
                    raw={},
                    outcome=Outcome.UNCHANGED,
                    initiative_id=record.initiative_id,
                )
            )
            continue
        if record is None or record.initiative_id is None:
            new.append((p, _new_initiative(p.values)))
            items.append(_item(job, p, Outcome.NEW, diff={"new": p.values}))
            continue
        revived = record.archived_at is not None
        if record.raw_hash == digest and not revived:
            unchanged.append(record)
            items.append(_item(job, p, Outcome.UNCHANGED, initiative_id=record.initiative_id))
            continue
        diff, conflicts = _merge(record, p.values)
        if revived:
            p.reasons.append(_("réapparue dans la source : désarchivée"))
        record.raw_hash = digest
        outcome = Outcome.UPDATED if diff or revived else Outcome.UNCHANGED
        changed.append((p, record, list(diff)))
        items.append(
            _item(
                job, p, outcome, diff=diff, conflicts=conflicts, initiative_id=record.initiative_id
            )
        )
    if dry_run:  # the preview: same decisions, only the report is written
        HarvestItem.objects.bulk_create(items)
        return items
    with transaction.atomic():  # a savepoint: the batch is written whole or not at all
        _write(job, new, changed, unchanged, now)
        created = {p.row.number: initiative.pk for p, initiative in new}
        for item in items:
            if item.outcome == Outcome.NEW:
                item.initiative_id = created[item.row_number]
        HarvestItem.objects.bulk_create(items)
    return items


def _merge(record: SourceRecord, values: dict[str, Any]) -> tuple[dict, list]:
    """Apply what the source changed, except where staff changed the same field since.

    Returns the diff applied ({field: [before, after]}) and the conflicts kept for review.
    """
    initiative = record.initiative
    assert initiative is not None
    before = record.imported
    diff: dict[str, list[Any]] = {}
    conflicts: list[dict[str, Any]] = []
    for name, value in values.items():
        if before.get(name) == value:
            continue  # the source did not change this field
        current = _model_value(initiative, name)
        if name in before and current != before[name]:
            conflicts.append(
                {"field": name, "kept": current, "source": value, "previous_source": before[name]}
            )
            continue
        if current != value:
            diff[name] = [current, value]
            if name not in M2M_FIELDS:
                _assign(initiative, name, value)
    record.imported = {**values, **{c["field"]: c["source"] for c in conflicts}}
    return diff, conflicts


def _write(
    job: HarvestJob,
    new: list[tuple[Prepared, Initiative]],
    changed: list[tuple[Prepared, SourceRecord, list[str]]],
    unchanged: list[SourceRecord],
    now: datetime.datetime,
) -> None:
    reason = f"import {job.source.name} #{job.pk}"
    user = job.started_by
    if new:
        created = bulk_create_with_history(
            [i for _p, i in new], Initiative, default_user=user, default_change_reason=reason
        )
        _set_m2m([(initiative, p.values) for (p, _i), initiative in zip(new, created, strict=True)])
        SourceRecord.objects.bulk_create(
            [
                SourceRecord(
                    source=job.source,
                    remote_id=p.remote_id,
                    initiative=initiative,
                    raw_hash=p.digest,
                    imported=p.values,
                    first_seen_job=job,
                    last_seen_job=job,
                )
                for (p, _i), initiative in zip(new, created, strict=True)
            ],
            update_conflicts=True,
            unique_fields=["source", "remote_id"],
            update_fields=["initiative", "raw_hash", "imported", "last_seen_job"],
        )
    touched = [r.initiative for _p, r, fields in changed if fields and r.initiative is not None]
    fields = sorted({f for _p, _r, fs in changed for f in fs if f not in M2M_FIELDS})
    for _p, record, _fields in changed:
        if record.archived_at is not None and record.initiative is not None:
            record.initiative.archived_at = None
            if "archived_at" not in fields:
                fields.append("archived_at")
            touched.append(record.initiative)
    if touched and fields:
        bulk_update_with_history(
            touched, Initiative, [*fields, "updated_at"] if fields else fields,
            default_user=user, default_change_reason=reason,
        )  # fmt: skip
    _set_m2m(
        [
            (record.initiative, p.values)
            for p, record, changed_fields in changed
            if record.initiative is not None and set(changed_fields) & set(M2M_FIELDS)
        ]
    )
    for _p, record, _changed_fields in changed:
        record.last_seen_job = job
        record.missing_since = None
        record.archived_at = None
    SourceRecord.objects.bulk_update(
        [r for _p, r, _f in changed],
        ["raw_hash", "imported", "last_seen_job", "missing_since", "archived_at"],
    )
    SourceRecord.objects.filter(pk__in=[r.pk for r in unchanged]).update(
        last_seen_job=job, missing_since=None
    )


def _set_m2m(pairs: list[tuple[Initiative, dict[str, Any]]]) -> None:
    """Many-to-many links of many initiatives in a few queries (not one `.set()` per row,
    which costs a dozen queries each). Their history stays in the job's item diffs."""
    for name, target in (("exchange_modes", "exchangemode"), ("secondary_categories", "category")):
        through = getattr(Initiative, name).through
        wanted = [(i, v[name]) for i, v in pairs if v.get(name) is not None]
        if not wanted:
            continue
        through.objects.filter(initiative_id__in=[i.pk for i, _codes in wanted]).delete()
        through.objects.bulk_create(
            [
                through(**{"initiative_id": i.pk, f"{target}_id": code})
                for i, codes in wanted
                for code in codes
            ]
        )


def archive_missing(job: HarvestJob, grace: datetime.timedelta) -> list[HarvestItem]:
    """Records of the source absent from this complete run: first noted as missing, then
    archived after the grace period — never deleted."""
    now = timezone.now()
    missing = SourceRecord.objects.filter(source=job.source, archived_at__isnull=True).exclude(
        last_seen_job=job
    )
    missing.filter(missing_since__isnull=True).update(missing_since=now)
    due = list(missing.filter(missing_since__lte=now - grace).select_related("initiative"))
    items = []
    for record in due:
        record.archived_at = now
        items.append(
            HarvestItem(
                job=job,
                row_number=0,
                remote_id=record.remote_id,
                raw={},
                outcome=Outcome.ARCHIVED,
                reasons=[
                    _("archivée : absente du fichier depuis le %(date)s (jamais supprimée)")
                    % {"date": timezone.localtime(record.missing_since).date().isoformat()}
                ],
                initiative=record.initiative,
            )
        )
    SourceRecord.objects.bulk_update(due, ["archived_at"])
    orphans = [
        r.initiative
        for r in due
        if r.initiative is not None
        and not r.initiative.source_records.filter(archived_at__isnull=True).exists()
    ]
    for initiative in orphans:
        initiative.archived_at = now
    Initiative.objects.bulk_update(orphans, ["archived_at"])
    HarvestItem.objects.bulk_create(items)
    return items
