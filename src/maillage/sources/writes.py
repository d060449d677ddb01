"""Upsert of one batch by (source, remote id), with field-level respect of staff edits."""

import copy
import datetime
import operator
from collections.abc import Iterator, Sequence, Set
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_update_with_history

from maillage.catalog.history import ensure_baseline
from maillage.catalog.models import Initiative
from maillage.core import fastwrite

from .models import HarvestItem, HarvestJob, Outcome, Source, SourceRecord, UnchangedRows
from .pipeline import DATE_FIELDS, M2M_FIELDS, ROW_COLUMNS, Prepared, to_json
from .rejected_cap import drop_cells_beyond_cap
from .repeats import SeenIds
from .survival import owner_of, survives
from .undo import history_reason, remember, snapshot

HELD_FOR_REVIEW = gettext_lazy(
    "à relire avant publication : la source est en modération ; l'initiative n'est pas "
    "publiée tant que l'équipe ne l'a pas relue"
)
DELETED_BY_STAFF = gettext_lazy(
    "ignorée : l'initiative issue de cette fiche a été supprimée par l'équipe ; "
    "elle n'est pas recréée"
)


@dataclass(slots=True)
class ReportRow:
    """One row of the job report, before it is inserted as a HarvestItem."""

    row_number: int
    remote_id: str
    raw: dict[str, Any] | str  # str: already JSON text
    outcome: str
    reasons: list[str] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    diff: dict[str, Any] = field(default_factory=dict)
    commune_id: str = ""
    category: str = ""
    category_rule: str = ""
    initiative_id: int | None = None


@dataclass(slots=True)
class KnownRecord:
    """What is stored for one remote id, read before the batch is parsed."""

    pk: int
    initiative_id: int | None
    raw_hash: str
    active: bool  # not archived
    category: str  # its initiative's category now ("" when « à classer »)

    @property
    def can_skip(self) -> bool:
        """Same hash → the row needs no parsing: only for a live record with its initiative."""
        return self.active and self.initiative_id is not None


ITEM_COLUMNS = [
    "row_number", "remote_id", "raw", "outcome", "reasons", "conflicts", "diff",
    "commune_id", "category", "category_rule", "initiative_id",
]  # fmt: skip


def _plain_unchanged(item: ReportRow) -> bool:
    """Seen again exactly as last time and nothing to say: goes into a block."""
    return (
        item.outcome == Outcome.UNCHANGED
        and item.row_number > 0
        and not (item.raw or item.reasons or item.conflicts or item.diff)
    )


class UnchangedRow(NamedTuple):
    """The layout of a row seen again exactly as last time, with nothing to say.

    Such rows go by the million on a re-run: they travel and are stored (UnchangedRows.rows,
    JSON lists) as plain tuples or lists in this order, read by name through the getters
    below — a named tuple per row doubled the time to make them and to encode them as JSON,
    a replay's whole cost."""

    row_number: int
    remote_id: str
    initiative_id: int | None
    category: str


Unchanged = Sequence[Any]  # the values of an UnchangedRow, in its order
row_number_of = operator.itemgetter(UnchangedRow._fields.index("row_number"))
category_of = operator.itemgetter(UnchangedRow._fields.index("category"))


def insert_unchanged(job: HarvestJob, rows: list[Unchanged]) -> None:
    """Rows seen again as last time, in file order, stored as one block."""
    if rows:
        UnchangedRows.objects.create(
            job=job,
            first_row=row_number_of(rows[0]),
            last_row=row_number_of(rows[-1]),
            count=len(rows),
            rows=rows,
        )


def insert_items(job: HarvestJob, items: list[ReportRow]) -> None:
    drop_cells_beyond_cap(job, items)
    plain = [i for i in items if _plain_unchanged(i)]
    if plain:
        insert_unchanged(
            job,
            [(i.row_number, i.remote_id, i.initiative_id, i.category) for i in plain],
        )
        items = [i for i in items if not _plain_unchanged(i)]
    fastwrite.insert(
        HarvestItem,
        ITEM_COLUMNS,
        [
            (
                i.row_number, i.remote_id, i.raw if type(i.raw) is str else to_json(i.raw),
                i.outcome, to_json(i.reasons) if i.reasons else "[]",
                to_json(i.conflicts) if i.conflicts else "[]",
                to_json(i.diff) if i.diff else "{}",
                i.commune_id, i.category, i.category_rule, i.initiative_id,
            )
            for i in items
        ],
        constants={"job_id": job.pk},
    )  # fmt: skip


def _model_value(initiative: Initiative, name: str) -> Any:
    if name in M2M_FIELDS:
        return sorted(o.pk for o in getattr(initiative, name).all())
    value = getattr(initiative, name)
    return value.isoformat() if isinstance(value, datetime.date) else value


def _assign(initiative: Initiative, name: str, value: Any) -> None:
    if name in DATE_FIELDS and value is not None:
        value = datetime.date.fromisoformat(value)
    setattr(initiative, name, value)


def _raw(prepared: Prepared) -> dict[str, Any] | str:
    """The row as received: JSON text already when parsing encoded it, except for a row
    rejected after parsing (a repeated id), whose cells the job report lists."""
    encoded = prepared.encoded
    if encoded is None:
        return prepared.row.data
    return orjson.loads(encoded.raw) if prepared.rejected else encoded.raw.decode()


def _item(prepared: Prepared, outcome: str, **extra: Any) -> ReportRow:
    rejected = bool(prepared.rejected)
    return ReportRow(
        row_number=prepared.row.number,
        remote_id=prepared.remote_id,
        raw=_raw(prepared),
        outcome=outcome,
        reasons=[prepared.rejected] if rejected else prepared.reasons,
        commune_id="" if rejected else prepared.commune_id,
        category="" if rejected else prepared.category,
        category_rule="" if rejected else prepared.category_rule,
        **extra,
    )


class RecordUpdate(NamedTuple):
    """A stored record that a row changes: the row, the record (its initiative attached, the
    merge already staged on both in memory) and the initiative fields that change."""

    prepared: Prepared
    record: SourceRecord
    fields: list[str]


@dataclass(slots=True)
class Stored:
    """What the database holds for a batch's usable rows, read before deciding."""

    known: dict[str, KnownRecord]  # remote id → what was read before parsing
    records: dict[str, SourceRecord]  # remote id → full record, its initiative attached
    siblings: dict[int, list[SourceRecord]]  # initiative id → its live records
    # The records to merge and their initiatives as loaded, serialized for undo.py.
    prior: dict[tuple[str, Any], dict[str, Any]] = field(default_factory=dict)


@dataclass(slots=True)
class BatchPlan:
    """The decision for a batch: one report row per row, and what to write."""

    report: list[ReportRow]
    new: list[Prepared]  # rows that become new initiatives
    updates: list[RecordUpdate]  # stored records the rows change (or only re-verify)
    prior: list[dict[str, Any]] = field(default_factory=list)  # their state before (undo.py)


def write_batch(
    job: HarvestJob,
    prepared: list[Prepared],
    seen: SeenIds,
    dry_run: bool,
    known: dict[str, KnownRecord] | None = None,
    looked_up: set[str] | None = None,
) -> list[ReportRow]:
    """Decide the outcome of every row of a batch and write it (unless dry-run).

    `known` holds what is stored for the remote ids in `looked_up` (read before parsing):
    only rows with a stored record that changed, and rows whose id was unknown before
    parsing, need their full record loaded.
    """
    rejected, usable = screen_rows(prepared, seen)
    stored = load_stored(job.source, usable, known or {}, looked_up or set())
    plan = decide_rows(
        usable,
        stored,
        held=job.source.moderation == Source.Moderation.REVIEW,
        dry_run=dry_run,
        today=timezone.localdate(),
    )
    report = [*rejected, *plan.report]
    if dry_run:  # the preview: same decisions, only the report is written
        insert_items(job, report)
    else:
        apply_plan(job, plan, report)
    return report


# --- decide (reads no database) ------------------------------------------------------------


def screen_rows(prepared: list[Prepared], seen: SeenIds) -> tuple[list[ReportRow], list[Prepared]]:
    """(report rows of the rows rejected by parsing, or skipped or rejected as repeats of an
    earlier row of the job (see repeats.py), the usable rows); `seen` learns the usable
    rows' ids."""
    screened: list[ReportRow] = []
    usable: list[Prepared] = []
    for p in prepared:
        verdict = p.rejected or seen.screen(p)
        if not verdict:
            usable.append(p)
        elif verdict.startswith("skip:"):
            p.rejected = ""  # a backend's skip travels as `rejected` (pipeline.SKIP_PREFIX)
            p.reasons.append(verdict.removeprefix("skip:"))
            screened.append(_item(p, Outcome.SKIPPED))
        else:
            p.rejected = verdict
            screened.append(_item(p, Outcome.REJECTED))
    return screened, usable


def records_to_load(
    usable: list[Prepared], known: dict[str, KnownRecord], looked_up: Set[str]
) -> list[str]:
    """Remote ids whose full record the decision needs: rows that changed since their stored
    record, and rows whose id was not looked up before parsing."""
    return [
        p.remote_id
        for p in usable
        if not p.unchanged and (p.remote_id in known or p.remote_id not in looked_up)
    ]


def decide_rows(
    usable: list[Prepared], stored: Stored, held: bool, dry_run: bool, today: datetime.date
) -> BatchPlan:
    """Each usable row's outcome, from the row and what is stored for its id:

    - unchanged: the same raw row as last time (not even parsed), or a row whose hash is
      the stored one (parse settings included);
    - new: no stored record (held for review when the source is moderated);
    - skipped: staff deleted the initiative of its record;
    - updated (or unchanged when nothing differs in the end): merged field by field, staff
      edits kept as conflicts (see _merge); the merge is staged on the loaded record and
      initiative, in memory, for apply_plan to write.

    `held`: the source is moderated; `dry_run`: a new row's report shows its whole record.
    """
    known, records, siblings = stored.known, stored.records, stored.siblings
    report: list[ReportRow] = []
    new: list[Prepared] = []
    updates: list[RecordUpdate] = []
    prior: dict[tuple[str, Any], dict[str, Any]] = {}
    for p in usable:
        if p.unchanged:
            # The row is byte for byte the one stored with an earlier job's item: not copied.
            before = known[p.remote_id]
            report.append(
                ReportRow(
                    row_number=p.row.number,
                    remote_id=p.remote_id,
                    raw={},
                    outcome=Outcome.UNCHANGED,
                    initiative_id=before.initiative_id,
                    category=before.category,
                )
            )
            continue
        record = records.get(p.remote_id)
        if record is None:
            new.append(p)
            if held:
                p.reasons.append(str(HELD_FOR_REVIEW))
            # The full preview of a new record is only worth its space in a dry run.
            preview = {"new": orjson.loads(p.encoded.imported)} if dry_run and p.encoded else {}
            report.append(_item(p, Outcome.NEW, diff=preview))
        elif record.initiative_id is None:
            # Staff deleted its initiative: a harvest must not bring it back behind their back.
            p.reasons.append(str(DELETED_BY_STAFF))
            report.append(_item(p, Outcome.SKIPPED))
        elif record.raw_hash == p.digest and record.archived_at is None:
            report.append(_item(p, Outcome.UNCHANGED, initiative_id=record.initiative_id))
        else:
            for key in _prior_keys(record):
                if key in stored.prior and key not in prior:
                    prior[key] = stored.prior[key]
            row, update = _decide_update(p, record, siblings, today)
            report.append(row)
            updates.append(update)
    return BatchPlan(report, new, updates, list(prior.values()))


def _decide_update(
    p: Prepared,
    record: SourceRecord,
    siblings: dict[int, list[SourceRecord]],
    today: datetime.date,
) -> tuple[ReportRow, RecordUpdate]:
    """A stored record whose row changed (or that comes back from the archive)."""
    revived = record.archived_at is not None
    others = [r for r in siblings.get(record.initiative_id or 0, []) if r.pk != record.pk]
    verified = datetime.date.fromisoformat(p.verified_on) if p.verified_on else today
    diff, conflicts, notes, moved = _merge(record, p.values, others, verified)
    p.reasons += notes
    record.verified_on = verified
    if revived:
        p.reasons.append(_("réapparue dans la source : désarchivée"))
    record.raw_hash = p.digest  # hashed with the parse settings in prepare_batch
    outcome = Outcome.UPDATED if diff or revived else Outcome.UNCHANGED
    row = _item(p, outcome, diff=diff, conflicts=conflicts, initiative_id=record.initiative_id)
    return row, RecordUpdate(p, record, [*diff, *(["field_sources"] if moved else [])])


# --- read what the decision needs, then apply it -------------------------------------------


def load_stored(
    source: Source,
    usable: list[Prepared],
    known: dict[str, KnownRecord],
    looked_up: Set[str],
) -> Stored:
    """The full records the decision needs, their initiatives (with their many-to-many
    links) and, when several sources feed one, the other records of those initiatives."""
    wanted = records_to_load(usable, known, looked_up)
    records = (
        {r.remote_id: r for r in SourceRecord.objects.filter(source=source, remote_id__in=wanted)}
        if wanted
        else {}
    )
    # Only rows that changed need their initiative (to merge field by field).
    to_merge = [records[p.remote_id] for p in usable if not p.unchanged and p.remote_id in records]
    initiatives = Initiative.objects.prefetch_related(*M2M_FIELDS).in_bulk(
        [r.initiative_id for r in to_merge if r.initiative_id is not None]
    )
    for merged in to_merge:
        if merged.initiative_id in initiatives:
            merged.initiative = initiatives[merged.initiative_id]
            merged.source = source
    siblings = _siblings([r for r in to_merge if r.initiative_id in initiatives])
    return Stored(known, records, siblings, snapshot([*initiatives.values(), *to_merge]))


def _prior_keys(record: SourceRecord) -> list[tuple[str, Any]]:
    """The keys of `Stored.prior` an update of this record needs kept."""
    keys = [(SourceRecord._meta.label_lower, record.pk)]
    if record.initiative_id is not None:
        keys.append((Initiative._meta.label_lower, record.initiative_id))
    return keys


def apply_plan(job: HarvestJob, plan: BatchPlan, report: list[ReportRow]) -> None:
    """Write a batch's decision whole or not at all (a savepoint): the new initiatives and
    their records, the updates (their state before kept for undo.py), then the report rows
    (new ones get their initiative id)."""
    with transaction.atomic():
        created = _insert_new(job, plan.new)
        remember(
            job,
            plan.prior,
            (u.record.initiative_id for u in plan.updates if u.record.initiative_id),
        )
        _write_changes(job, plan.updates)
        if created:
            for item in report:
                if item.outcome == Outcome.NEW:
                    item.initiative_id = created[item.row_number]
        insert_items(job, report)


def _merge(
    record: SourceRecord,
    values: dict[str, Any],
    siblings: list[SourceRecord] | None = None,
    verified_on: datetime.date | None = None,
) -> tuple[dict, list, list[str], bool]:
    """Apply what the source changed, except where staff changed the same field since, and,
    on an initiative fed by several sources, where another source's value survives
    (see survival.py).

    Returns the diff applied ({field: [before, after]}), the conflicts kept for review,
    notes on the values another source kept, and whether the fields' provenance changed.
    """
    initiative = record.initiative
    assert initiative is not None
    siblings = siblings or []
    before = record.imported
    diff: dict[str, list[Any]] = {}
    conflicts: list[dict[str, Any]] = []
    notes: list[str] = []
    moved = False
    for name, value in values.items():
        if before.get(name) == value:
            continue  # the source did not change this field
        current = _model_value(initiative, name)
        other = owner_of(initiative, name, record, siblings)
        previous = before if other is None else other.imported
        if name in previous and current != previous[name]:
            conflicts.append(
                {"field": name, "kept": current, "source": value, "previous_source": previous[name]}
            )
            continue
        if other is not None and not survives(record, verified_on, other):
            notes.append(
                _(
                    "%(field)s : valeur de la source « %(source)s » gardée (plus récente ou plus sûre)"
                )
                % {"field": name, "source": other.source.name}
            )
            continue
        if current != value:
            diff[name] = [current, value]
            if name not in M2M_FIELDS:
                _assign(initiative, name, value)
        if siblings and initiative.field_sources.get(name) != record.pk:
            initiative.field_sources = {**initiative.field_sources, name: record.pk}
            moved = True
    record.imported = {**values, **{c["field"]: c["source"] for c in conflicts}}
    return diff, conflicts, notes, moved


def _siblings(to_merge: list[SourceRecord]) -> dict[int, list[SourceRecord]]:
    """The live records of these records' initiatives (two or more after a merge), by
    initiative. The batch's own records are copied as loaded (before any merge) rather than
    read again, and the others' sources attached from one query: reading every record back
    with its source's JSON cost a twentieth of a re-import that changes 1 % of its rows."""
    ids = {r.initiative_id for r in to_merge if r.initiative_id is not None}
    if not ids:
        return {}
    others = list(
        SourceRecord.objects.filter(initiative_id__in=ids, archived_at__isnull=True).exclude(
            pk__in=[r.pk for r in to_merge]
        )
    )
    sources = Source.objects.in_bulk({r.source_id for r in others}) if others else {}
    found: dict[int, list[SourceRecord]] = {}
    for sibling in others:
        sibling.source = sources[sibling.source_id]
    own = [copy.copy(r) for r in to_merge if r.archived_at is None and r.initiative_id in ids]
    for sibling in [*others, *own]:
        assert sibling.initiative_id is not None
        found.setdefault(sibling.initiative_id, []).append(sibling)
    return found


RECORD_COLUMNS = ["remote_id", "initiative_id", "raw_hash", "imported", "verified_on"]


def is_first_harvest(job: HarvestJob) -> bool:
    """No earlier real import of the job's source succeeded."""
    return not HarvestJob.objects.filter(
        source_id=job.source_id,
        dry_run=False,
        status__in=[HarvestJob.Status.DONE, HarvestJob.Status.DONE_WITH_ERRORS],
        pk__lt=job.pk,
    ).exists()


def _insert_new(job: HarvestJob, new: list[Prepared]) -> dict[int, int]:
    """Insert the new initiatives, their source records and their many-to-many links, from
    the rows parsing encoded; returns row number → initiative id."""
    if not new:
        return {}
    now = fastwrite.db_datetime(timezone.now())
    today = timezone.localdate().isoformat()
    given = {"id", *ROW_COLUMNS, *M2M_FIELDS}
    same_for_all = fastwrite.column_defaults(Initiative, exclude=given)
    same_for_all.update(
        first_seen_on=today,
        # Absent from an earlier harvest of the source, present now: it appeared (a first
        # harvest's records only came with it).
        appeared_on=None if is_first_harvest(job) else today,
        created_at=now,
        updated_at=now,
        # Published by the job's last transaction (undo.publish_new), unless the source is
        # under moderation: then they wait for a person (catalog admin).
        published=False,
    )
    ids = fastwrite.reserve_ids(Initiative, len(new))
    encoded = [p.encoded for p in new]
    assert all(e is not None for e in encoded), "a new row is always encoded by parsing"
    # No history record yet: written when the initiative first changes (catalog.history).
    fastwrite.insert(
        Initiative,
        ["id", *ROW_COLUMNS],
        [(pk, *e.row) for e, pk in zip(encoded, ids, strict=True)],  # type: ignore[union-attr]
        constants=same_for_all,
    )
    fastwrite.insert(
        SourceRecord,
        RECORD_COLUMNS,
        [
            (p.remote_id, pk, p.digest, e.imported.decode(), p.verified_on or today)  # type: ignore[union-attr]
            for p, e, pk in zip(new, encoded, ids, strict=True)
        ],
        constants={
            "source_id": job.source_id,
            "first_seen_job_id": job.pk,
            "last_changed_job_id": job.pk,
        },
    )
    _insert_m2m(
        [
            (pk, dict(zip(M2M_FIELDS, e.links, strict=True)))  # type: ignore[union-attr]
            for e, pk in zip(encoded, ids, strict=True)
        ],
        fresh=True,
    )
    return {p.row.number: pk for p, pk in zip(new, ids, strict=True)}


def _write_changes(job: HarvestJob, updates: list[RecordUpdate]) -> None:
    """Updates are few on a re-run: the ORM (with history) is fine for them."""
    reason = history_reason(job)
    touched = [u.record.initiative for u in updates if u.fields and u.record.initiative]
    fields = sorted({f for u in updates for f in u.fields if f not in M2M_FIELDS})
    for u in updates:
        record = u.record
        if record.archived_at is not None and record.initiative is not None:
            record.initiative.archived_at = None
            if "archived_at" not in fields:
                fields.append("archived_at")
            touched.append(record.initiative)
    if touched and fields:
        ensure_baseline(i.pk for i in touched)
        bulk_update_with_history(
            touched, Initiative, [*fields, "updated_at"],
            default_user=job.started_by, default_change_reason=reason,
        )  # fmt: skip
    _insert_m2m(
        [
            (u.record.initiative_id, u.prepared.values)
            for u in updates
            if u.record.initiative_id is not None and set(u.fields) & set(M2M_FIELDS)
        ]
    )
    for u in updates:
        u.record.last_changed_job = job
        u.record.archived_at = None
    SourceRecord.objects.bulk_update(
        [u.record for u in updates],
        ["raw_hash", "imported", "last_changed_job", "archived_at", "verified_on"],
    )


def _insert_m2m(pairs: list[tuple[int, dict[str, Any]]], fresh: bool = False) -> None:
    """Many-to-many links of many initiatives in a few statements (not one `.set()` per row,
    which costs a dozen queries each). Their history stays in the job's item diffs.
    `fresh`: the initiatives were just created, there are no old links to remove."""
    for name, target in (("exchange_modes", "exchangemode"), ("secondary_categories", "category")):
        through = getattr(Initiative, name).through
        # An empty list clears the links of an existing initiative; a new one has none.
        wanted = [
            (pk, v[name]) for pk, v in pairs if v.get(name) is not None and (v[name] or not fresh)
        ]
        if not wanted:
            continue
        if not fresh:
            through.objects.filter(initiative_id__in=[pk for pk, _codes in wanted]).delete()
        links = [(pk, code) for pk, codes in wanted for code in codes]
        fastwrite.insert(through, ["initiative_id", f"{target}_id"], links)


def archive_missing(
    job: HarvestJob, grace: datetime.timedelta, seen: Set[str] | None
) -> list[ReportRow]:
    """Records of the source absent from this complete run (`seen`: the remote ids it read):
    first noted as missing, then archived after the grace period — never deleted.
    `seen` is None when the run read exactly what the last one read (a replay): what was
    missing then is still missing, nothing new is.

    Compared in memory rather than by stamping every record seen: a re-run of a million
    unchanged rows then writes nothing for them."""
    now = timezone.now()
    active = SourceRecord.objects.filter(source=job.source, archived_at__isnull=True)
    if seen is not None:
        _note_missing(job, active, seen, now)
    due = list(active.filter(missing_since__lte=now - grace).select_related("initiative"))
    items = []
    for record in due:
        record.archived_at = now
        items.append(
            ReportRow(
                row_number=0,
                remote_id=record.remote_id,
                raw={},
                outcome=Outcome.ARCHIVED,
                reasons=[
                    _("archivée : absente du fichier depuis le %(date)s (jamais supprimée)")
                    % {"date": timezone.localtime(record.missing_since).date().isoformat()}
                ],
                initiative_id=record.initiative_id,
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
    insert_items(job, items)
    return items


def _note_missing(job: HarvestJob, active: Any, seen: Set[str], now: datetime.datetime) -> None:
    """Records back in the file are no longer missing; records absent from it are, from now."""
    back = [
        pk
        for pk, remote_id in active.filter(missing_since__isnull=False).values_list(
            "id", "remote_id"
        )
        if remote_id in seen
    ]
    # Records this job created were seen by it: the database leaves them out of the scan.
    gone = [
        pk
        for pk, remote_id in active.filter(missing_since__isnull=True)
        .exclude(first_seen_job=job)
        .values_list("id", "remote_id")
        .iterator(chunk_size=20000)
        if remote_id not in seen
    ]
    for chunk in _chunks(back):
        SourceRecord.objects.filter(pk__in=chunk).update(missing_since=None)
    for chunk in _chunks(gone):
        SourceRecord.objects.filter(pk__in=chunk).update(missing_since=now)


def _chunks(ids: list[int], size: int = 5000) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
