"""Run one import job: lock the source, read the file in batches, commit each batch (the
site and other jobs wait at most one batch for it), then archive what disappeared, publish
what is new and close the job in one last transaction. A failed or interrupted run is taken
back (undo.py): the database is left as it was. Every row's outcome is summarised.
"""

import datetime
import hashlib
import json
import os
import socket
from collections import Counter
from collections.abc import Callable, Iterator, Set
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.catalog.models import Category, Initiative
from maillage.catalog.signals import announce_inventory_change
from maillage.core.errors import MaillageError
from maillage.core.fastwrite import DeferredCheckpoints, WriterTurns, refresh_statistics
from maillage.core.tasks import process_alive

from . import coverage
from .backends import Backend, BackendOptions, default_moderation, get_backend
from .backends.footprint_base import FootprintBackend
from .collector import collect_between_batches
from .errors import SourceFileError
from .footprints import run_footprint
from .models import HarvestItem, HarvestJob, Outcome, Source, SourceRecord, UnchangedRows
from .parallel import Batch, BatchPreparer
from .pipeline import UNCLASSIFIED, PipelineSettings, prepare_batch
from .quality import QualityContext
from .records import RawRow
from .repeats import SeenIds
from .replay import identical_last_run, input_key, live_records, replayed_rows
from .undo import publish_new, undo_job
from .writes import (
    KnownRecord,
    ReportRow,
    Unchanged,
    archive_missing,
    category_of,
    insert_items,
    insert_unchanged,
    write_batch,
)

BATCH_SIZE = 2000
Progress = Callable[[int], None]


class SourceBusy(MaillageError):
    """Another run of the same source is in progress (stable code `source-busy`, 409)."""

    code = "source-busy"
    status = 409


class JobNotPending(MaillageError):
    """The pending job given to run_import was already started (stable code
    `job-not-pending`)."""

    code = "job-not-pending"
    status = 409


@dataclass
class ImportRequest:
    backend: str
    path: Path
    source: str = ""
    mapping: dict[str, Any] | None = None
    category: str = ""
    dry_run: bool = False
    user: Any = None
    licence: str = ""
    moderation: str = ""  # "" keeps the source's
    # What the source inventories (see coverage.py); None keeps the source's.
    coverage_categories: list[str] | None = None
    coverage_area: list[str] | None = None
    data_vintage: datetime.date | None = None
    progress: Progress = field(default=lambda rows: None)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def close_dead_job(job: HarvestJob, error: str = "") -> None:
    """A job left running by a process that died: what it wrote is taken back, then it is
    closed as failed with the reason."""
    undone = undo_job(job)
    HarvestJob.objects.filter(pk=job.pk).update(
        status=HarvestJob.Status.FAILED,
        error=error or str(INTERRUPTED),
        finished_at=timezone.now(),
    )
    _announce_undo(job, undone)


def undone_job(job: HarvestJob) -> None:
    """Take back what the job wrote, and say so if the inventory changed."""
    _announce_undo(job, undo_job(job))


def _announce_undo(job: HarvestJob, undone: dict[str, int]) -> None:
    if undone["removed"] or undone["restored"]:
        announce_inventory_change(HarvestJob, f"undo {job.source.name} #{job.pk}")


INTERRUPTED = gettext_lazy("interrompu (processus arrêté) ; ce qu'il avait écrit a été retiré")


def _start_job(source: Source, request: ImportRequest, job: HarvestJob | None = None) -> HarvestJob:
    """Take the source's lock: at most one running job per source. A job left "running" by a
    process that died is taken back and closed as interrupted.

    `job`, when given, is a pending job created beforehand (by the import pages): it becomes
    the running one instead of a new job being created."""
    host = socket.gethostname()
    with transaction.atomic():
        for running in HarvestJob.objects.select_for_update().filter(
            source=source, status=HarvestJob.Status.RUNNING
        ):
            if running.host == host and not process_alive(running.pid):
                close_dead_job(running)
            else:
                raise SourceBusy(
                    _("La source « %(source)s » est déjà en cours d'import (import n° %(job)s).")
                    % {"source": source.name, "job": running.pk}
                )
        if job is not None:
            claimed = HarvestJob.objects.filter(
                pk=job.pk, source=source, status=HarvestJob.Status.PENDING
            ).update(
                status=HarvestJob.Status.RUNNING,
                started_at=timezone.now(),
                pid=os.getpid(),
                host=host,
            )
            if not claimed:
                raise JobNotPending(
                    _("L'import n° %(job)s n'est plus en attente : il a déjà été lancé.")
                    % {"job": job.pk}
                )
            job.refresh_from_db()
            return job
        return HarvestJob.objects.create(
            source=source,
            status=HarvestJob.Status.RUNNING,
            dry_run=request.dry_run,
            file_name=str(request.path),
            started_by=request.user if getattr(request.user, "is_authenticated", False) else None,
            started_at=timezone.now(),
            pid=os.getpid(),
            host=host,
        )


def _batches(rows: Iterator[RawRow], size: int) -> Iterator[list[RawRow]]:
    while batch := list(islice(rows, size)):
        yield batch


# The settings a run may be given, as (request field, source field, label in the notes).
RUN_SETTINGS = (
    ("mapping", "mapping", gettext_lazy("correspondance des colonnes")),
    ("category", "default_category", gettext_lazy("catégorie de toute la source")),
    ("licence", "licence", gettext_lazy("licence")),
    ("moderation", "moderation", gettext_lazy("modération")),
    ("coverage_categories", "coverage_categories", gettext_lazy("catégories recensées")),
    ("coverage_area", "coverage_area", gettext_lazy("territoire recensé")),
    ("data_vintage", "data_vintage", gettext_lazy("millésime des données")),
)


def get_or_create_source(request: ImportRequest) -> Source:
    """The source of the run, with the settings the run was given applied to it. A real run
    saves them (later runs reuse them); a dry run changes nothing, its settings included:
    they hold in memory, for this run only."""
    name = request.source or f"{request.backend}-{request.path.stem}".lower().replace("_", "-")
    source, _created = Source.objects.get_or_create(
        name=name[:100],
        defaults={
            "backend": request.backend,
            "label": name,
            "moderation": default_moderation(request.backend),
        },
    )
    changed = []
    for given, stored, _label in RUN_SETTINGS:
        value = getattr(request, given)
        if value not in (None, "") and value != getattr(source, stored):
            setattr(source, stored, value)
            changed.append(stored)
    if {"coverage_categories", "coverage_area"} & set(changed) and source.coverage_proposed:
        source.coverage_proposed = False  # a person said it
        changed.append("coverage_proposed")
    if str(request.path) != source.location:
        source.location = str(request.path)  # where scheduled harvests read it again
        changed.append("location")
    if changed and not request.dry_run:
        source.save(update_fields=changed)
    return source


def reused_settings(request: ImportRequest, source: Source) -> list[str]:
    """A note naming the stored settings a run uses without being given them (a mapping or
    a category saved by an earlier run applies silently otherwise)."""
    reused = [
        str(label)
        for given, stored, label in RUN_SETTINGS
        if getattr(request, given) in (None, "")
        and getattr(source, stored)
        # shown on the source's pages, and not how the file is read
        and given not in ("moderation", "coverage_categories", "coverage_area", "data_vintage")
    ]
    if not reused:
        return []
    return [
        _("réglages de la source repris tels qu'enregistrés : %(settings)s")
        % {"settings": ", ".join(reused)}
    ]


def run_import(request: ImportRequest, job: HarvestJob | None = None) -> HarvestJob:
    """Run an import; with `job`, run that pending job (its source and dry-run flag win)."""
    if job is not None:
        request.dry_run = job.dry_run
        request.source = job.source.name
    if not request.path.is_file():
        raise SourceFileError(_("Fichier introuvable : %(path)s") % {"path": request.path})
    source = get_or_create_source(request)
    options = BackendOptions(mapping=source.mapping or {}, category=source.default_category)
    backend = get_backend(source.backend, options)
    job = _start_job(source, request, job)
    job.source = source  # with this run's settings (a dry run's are not saved)
    try:
        job.file_sha256 = file_sha256(request.path)
        if isinstance(backend, FootprintBackend):  # figures, not initiatives
            run_footprint(job, source, backend, request)
            return job
        with DeferredCheckpoints():
            counts = _run(job, source, backend, request)
    except BaseException as exc:  # includes KeyboardInterrupt: the job must not stay running
        _fail(job, exc)
        raise
    if not request.dry_run and counts["new"] + counts["updated"] + counts["archived"]:
        announce_inventory_change(HarvestJob, f"import {source.name} #{job.pk}")
    return job


def _fail(job: HarvestJob, exc: BaseException) -> None:
    """Take back what the job wrote, then close it as failed with the reason. If taking back
    fails too (the database is gone), the job stays running: the next run of the source or
    the worker finds its process dead and takes it back then."""
    undone = undo_job(job)
    job.status = HarvestJob.Status.FAILED
    job.error = str(exc) if isinstance(exc, MaillageError) else repr(exc)
    job.finished_at = timezone.now()
    job.save()
    _announce_undo(job, undone)


class Tally:
    """A job's counts: outcomes, categories of the rows kept, kinds of reasons."""

    def __init__(self) -> None:
        self.outcomes: Counter = Counter({o.value: 0 for o in Outcome})
        self.categories: Counter = Counter()
        self.reasons: Counter = Counter()
        # The kept rows by (category, commune), while every one is known (none was kept as
        # it was without being parsed, none replayed): what a first import created.
        self.placed: coverage.PlaceCounts | None = Counter()

    def add(self, items: list[ReportRow]) -> None:
        for item in items:
            self.outcomes[item.outcome] += 1
            if item.outcome in (Outcome.NEW, Outcome.UPDATED, Outcome.UNCHANGED):
                self.categories[item.category or UNCLASSIFIED] += 1
                if self.placed is not None:
                    self.placed[(item.category, item.commune_id)] += 1
            for reason in item.reasons:
                self.reasons[_reason_kind(reason)] += 1

    def add_unchanged(self, rows: list[Unchanged]) -> None:
        """Rows seen again as last time."""
        self.placed = None
        self.outcomes[Outcome.UNCHANGED] += len(rows)
        self.categories.update(category_of(row) or UNCLASSIFIED for row in rows)

    def save_to(self, job: HarvestJob) -> None:
        job.outcomes = dict(self.outcomes)
        job.categories = dict(self.categories)
        job.reasons = dict(self.reasons.most_common())


def _settings(source: Source) -> PipelineSettings:
    mapping = source.mapping or {}
    keep = mapping.get("keep_personal_data", {}) if isinstance(mapping, dict) else {}
    return PipelineSettings(
        source_name=source.label or source.name,
        source_licence=source.licence,
        source_url="",
        default_category=source.default_category,
        keep_personal=set(keep.get("fields", [])) if keep.get("legal_basis") else set(),
        legal_basis=keep.get("legal_basis", ""),
        signature=json.dumps(
            [source.backend, mapping, source.default_category], sort_keys=True, default=str
        ),
    )


def _run(job: HarvestJob, source: Source, backend: Backend, request: ImportRequest) -> Counter:
    settings = _settings(source)
    job.input_key = input_key(settings.signature)
    tally = Tally()
    last = identical_last_run(source, job)
    seen: Set[str] | None = None  # a replay: the same rows as last time
    if last is not None:
        _replay(job, last, request, tally)
        compare = True
    else:
        seen = _read(job, source, backend, request, settings, tally)
        # A first import: every record of the source was just seen, none can be missing.
        compare = seen is not None
    job.notes = [*reused_settings(request, source), *job.notes]
    with transaction.atomic():  # the last transaction: the job's changes become whole
        if not request.dry_run:
            if compare:
                grace = datetime.timedelta(days=job.source.archive_after_days)
                tally.add(archive_missing(job, grace, seen))
            if source.moderation != Source.Moderation.REVIEW:
                publish_new(job)
            job.live_records = live_records(source)
            # Vintage: proposed by a first import only (reading every stored record's date
            # again at each re-import cost a hundredth of it).
            first = not compare  # a first import counted all it created, by place
            proposed = coverage.propose_if_unset(
                source, timezone.localdate(), first, tally.placed if first else None
            )
            job.notes = [*job.notes, *proposed]
        job.notes = list(dict.fromkeys([*job.notes, *coverage.licence_note(source)]))
        tally.save_to(job)
        job.status = (
            HarvestJob.Status.DONE_WITH_ERRORS
            if tally.outcomes["rejected"]
            else HarvestJob.Status.DONE
        )
        job.finished_at = timezone.now()
        job.save()
        job.prior_states.all().delete()
    if not request.dry_run:
        refresh_statistics(Initiative, SourceRecord, HarvestItem, UnchangedRows)
    return tally.outcomes


def _progress(job: HarvestJob, request: ImportRequest) -> None:
    """Rows read so far, saved in the batch's transaction, then told to the caller."""
    job.progress_at = timezone.now()
    HarvestJob.objects.filter(pk=job.pk).update(rows=job.rows, progress_at=job.progress_at)


def _replay(job: HarvestJob, last: HarvestJob, request: ImportRequest, tally: Tally) -> None:
    turns = WriterTurns()
    for unchanged, rejected in replayed_rows(last):
        with turns, transaction.atomic():
            insert_unchanged(job, unchanged)
            insert_items(job, rejected)
            job.rows += len(unchanged) + len(rejected)
            _progress(job, request)
        tally.add_unchanged(unchanged)
        tally.add(rejected)
        request.progress(job.rows)
    job.mapping, job.columns = last.mapping, last.columns
    job.notes = [
        *last.notes,
        _(
            "fichier identique à celui de l'import n° %(job)s, lu de la même façon : "
            "résultats repris ligne à ligne, sans relecture"
        )
        % {"job": last.pk},
    ]


def _read(
    job: HarvestJob,
    source: Source,
    backend: Backend,
    request: ImportRequest,
    settings: PipelineSettings,
    tally: Tally,
) -> Set[str] | None:
    """Read, decide and write the file batch by batch; returns the remote ids seen (None on
    a first import, where there is nothing stored to compare them with)."""
    categories = set(Category.objects.filter(retired=False).values_list("code", flat=True))
    ctx = QualityContext()
    seen = SeenIds(lambda remote_id: _stored_values(source, remote_id))
    columns: dict[str, None] = {}

    def parse_state() -> tuple[dict[str, Any] | None, list[str]]:
        """What parsing taught the backend: the mapping with the unmatched values, notes."""
        return backend.effective_mapping, [str(n) for n in backend.notes]

    preparer = BatchPreparer(
        prepare=lambda rows, hashes: prepare_batch(
            rows, backend, ctx, settings, categories, hashes
        ),
        before_fork=lambda: ctx.locator,
        finish=parse_state,
    )
    first_import = not SourceRecord.objects.filter(source=source).exists()
    if not first_import:
        tally.placed = None  # the rows kept unparsed do not say their commune
    if not first_import:
        batches = preparer.run(_with_known(source, backend, request.path))
    else:  # nothing stored yet: nothing to look up, the parsing process can read the file
        batches = preparer.run_reading(
            lambda: _batches(iter(backend.rows(request.path)), BATCH_SIZE),
            request.path.stat().st_size,
        )
    turns = WriterTurns()
    with collect_between_batches() as collect:
        for done in batches:  # done.extra: the records known for the batch's ids
            rows = done.rows
            looked_up = {row.remote_id for row in rows if row.remote_id}
            with turns, transaction.atomic():
                items = write_batch(
                    job, done.prepared, seen, request.dry_run, done.extra, looked_up
                )
                job.rows += len(rows)
                _progress(job, request)
            for cells in (rows[0].data, *(i.raw for i in items if i.outcome == Outcome.REJECTED)):
                for key in cells:
                    columns.setdefault(str(key), None)
            tally.add(items)
            request.progress(job.rows)
            collect()
    effective, parse_notes = preparer.final if preparer.forked else parse_state()
    job.mapping = effective or source.mapping or {}
    # Notes the reader made (encoding, blank lines) then those parsing made, once each.
    job.notes = list(dict.fromkeys([str(n) for n in backend.notes] + parse_notes + seen.notes()))
    job.columns = list(columns)
    return None if first_import else seen.keys()


def _stored_values(source: Source, remote_id: str) -> dict[str, Any] | None:
    """What the source's record of this id holds (for repeats.SeenIds). A plain query: it
    runs once per repeated id of a re-imported file, and the ORM's cost of building it was
    a twentieth of such an import."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT imported FROM {connection.ops.quote_name(SourceRecord._meta.db_table)} "
            "WHERE source_id = %s AND remote_id = %s",
            [source.pk, remote_id],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    value = found[0]  # JSON text on both databases (Django reads jsonb as text)
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _with_known(source: Source, backend: Backend, path: Path) -> Iterator[Batch]:
    """The file's rows in batches, each with the stored hashes of its ids and their records."""
    for batch in _batches(iter(backend.rows(path)), BATCH_SIZE):
        known = _known_records(source, batch)
        hashes = {rid: k.raw_hash if k.can_skip else "" for rid, k in known.items()}
        yield Batch(batch, hashes, known)


def _known_records(source: Source, batch: list[RawRow]) -> dict[str, KnownRecord]:
    """Remote id → what is stored for it, for the rows of a batch whose id the backend knows
    before parsing. One plain query per batch: the ORM's cost of building a 2,000-value IN
    clause was a tenth of a first import."""
    ids = list({row.remote_id for row in batch if row.remote_id})
    if not ids:
        return {}
    quote = connection.ops.quote_name
    records = quote(SourceRecord._meta.db_table)
    initiatives = quote(Initiative._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.remote_id, r.id, r.initiative_id, r.raw_hash, r.archived_at IS NULL, "
            f"i.category_id FROM {records} r LEFT JOIN {initiatives} i ON i.id = r.initiative_id "
            f"WHERE r.source_id = %s AND r.remote_id IN ({marks})",
            [source.pk, *ids],
        )
        rows = cursor.fetchall()
    return {
        rid: KnownRecord(pk, initiative, digest, bool(active), category or "")
        for rid, pk, initiative, digest, active, category in rows
    }


def _reason_kind(reason: str) -> str:
    """Reasons read « kind : detail »; the summary counts them by kind. A reason without that
    shape is cut before its first quoted or bracketed value, so that one value per row cannot
    turn the summary into a list of every cell of the file."""
    kind = reason.split(" : ")[0]
    for mark in (" (", " «", " ["):
        kind = kind.split(mark)[0]
    return kind.strip()[:120]
