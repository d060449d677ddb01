"""Run one import job: lock the source, read the file in batches, write everything in one
transaction (a failed or interrupted run leaves the database as it was), archive what
disappeared, and summarise every row's outcome."""

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

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.catalog.models import Category, Initiative
from maillage.catalog.signals import announce_inventory_change
from maillage.core.errors import MaillageError
from maillage.core.fastwrite import refresh_statistics
from maillage.core.tasks import process_alive

from .backends import Backend, BackendOptions, get_backend
from .collector import collect_between_batches
from .errors import SourceFileError
from .models import HarvestItem, HarvestJob, Outcome, Source, SourceRecord, UnchangedRows
from .parallel import Batch, BatchPreparer
from .pipeline import UNCLASSIFIED, PipelineSettings, prepare_batch
from .quality import QualityContext
from .records import RawRow
from .replay import identical_last_run, input_key, live_records, replayed_rows
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
    progress: Progress = field(default=lambda rows: None)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _start_job(source: Source, request: ImportRequest, job: HarvestJob | None = None) -> HarvestJob:
    """Take the source's lock: at most one running job per source. A job left "running" by a
    process that died is closed as interrupted (its writes were never committed).

    `job`, when given, is a pending job created beforehand (by the import pages): it becomes
    the running one instead of a new job being created."""
    host = socket.gethostname()
    with transaction.atomic():
        for running in HarvestJob.objects.select_for_update().filter(
            source=source, status=HarvestJob.Status.RUNNING
        ):
            if running.host == host and not process_alive(running.pid):
                running.status = HarvestJob.Status.FAILED
                running.error = _("interrompu (processus arrêté) ; rien n'a été écrit")
                running.finished_at = timezone.now()
                running.save(update_fields=["status", "error", "finished_at"])
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


def get_or_create_source(request: ImportRequest) -> Source:
    name = request.source or f"{request.backend}-{request.path.stem}".lower().replace("_", "-")
    source, _created = Source.objects.get_or_create(
        name=name[:100], defaults={"backend": request.backend, "label": name}
    )
    changed = []
    if request.mapping is not None and request.mapping != source.mapping:
        source.mapping = request.mapping
        changed.append("mapping")
    if request.category and request.category != source.default_category:
        source.default_category = request.category
        changed.append("default_category")
    if request.licence and request.licence != source.licence:
        source.licence = request.licence
        changed.append("licence")
    if request.moderation and request.moderation != source.moderation:
        source.moderation = request.moderation
        changed.append("moderation")
    if str(request.path) != source.location:
        source.location = str(request.path)
        changed.append("location")
    if changed:
        source.save(update_fields=changed)
    return source


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
    try:
        job.file_sha256 = file_sha256(request.path)
        counts = _run(job, source, backend, request)
    except BaseException as exc:  # includes KeyboardInterrupt: the job must not stay running
        job.status = HarvestJob.Status.FAILED
        job.error = str(exc) if isinstance(exc, SourceFileError) else repr(exc)
        job.finished_at = timezone.now()
        job.save()
        raise
    job.status = (
        HarvestJob.Status.DONE_WITH_ERRORS if counts["rejected"] else HarvestJob.Status.DONE
    )
    job.finished_at = timezone.now()
    job.save()
    if not request.dry_run and counts["new"] + counts["updated"] + counts["archived"]:
        announce_inventory_change(HarvestJob, f"import {source.name} #{job.pk}")
    return job


class Tally:
    """A job's counts: outcomes, categories of the rows kept, kinds of reasons."""

    def __init__(self) -> None:
        self.outcomes: Counter = Counter({o.value: 0 for o in Outcome})
        self.categories: Counter = Counter()
        self.reasons: Counter = Counter()

    def add(self, items: list[ReportRow]) -> None:
        for item in items:
            self.outcomes[item.outcome] += 1
            if item.outcome in (Outcome.NEW, Outcome.UPDATED, Outcome.UNCHANGED):
                self.categories[item.category or UNCLASSIFIED] += 1
            for reason in item.reasons:
                self.reasons[_reason_kind(reason)] += 1

    def add_unchanged(self, rows: list[Unchanged]) -> None:
        """Rows seen again as last time."""
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
    if last is not None:
        _replay(job, last, request, tally)
    else:
        _read(job, source, backend, request, settings, tally)
    tally.save_to(job)
    if not request.dry_run:
        job.live_records = live_records(source)
    return tally.outcomes


def _archive(job: HarvestJob, request: ImportRequest, seen: Set[str] | None, tally: Tally) -> None:
    """See archive_missing; `seen` None: a replay, the same rows as last time."""
    if not request.dry_run:
        grace = datetime.timedelta(days=job.source.archive_after_days)
        tally.add(archive_missing(job, grace, seen))


def _replay(job: HarvestJob, last: HarvestJob, request: ImportRequest, tally: Tally) -> None:
    with transaction.atomic():
        for unchanged, rejected in replayed_rows(last):
            insert_unchanged(job, unchanged)
            insert_items(job, rejected)
            tally.add_unchanged(unchanged)
            tally.add(rejected)
            job.rows += len(unchanged) + len(rejected)
            request.progress(job.rows)
        _archive(job, request, None, tally)
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
) -> None:
    categories = set(Category.objects.filter(retired=False).values_list("code", flat=True))
    ctx = QualityContext()
    seen: dict[str, int] = {}
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
        batches = preparer.run(_with_known(source, backend, request.path))
    else:  # nothing stored yet: nothing to look up, the parsing process can read the file
        batches = preparer.run_reading(
            lambda: _batches(iter(backend.rows(request.path)), BATCH_SIZE),
            request.path.stat().st_size,
        )
    with transaction.atomic(), collect_between_batches() as collect:
        for done in batches:  # done.extra: the records known for the batch's ids
            rows = done.rows
            looked_up = {row.remote_id for row in rows if row.remote_id}
            items = write_batch(job, done.prepared, seen, request.dry_run, done.extra, looked_up)
            for cells in (rows[0].data, *(i.raw for i in items if i.outcome == Outcome.REJECTED)):
                for key in cells:
                    columns.setdefault(str(key), None)
            tally.add(items)
            job.rows += len(rows)
            request.progress(job.rows)
            collect()
        if not first_import:  # else every record of the source was just seen
            _archive(job, request, seen.keys(), tally)
        refresh_statistics(Initiative, SourceRecord, HarvestItem, UnchangedRows)
    effective, parse_notes = preparer.final if preparer.forked else parse_state()
    job.mapping = effective or source.mapping or {}
    # Notes the reader made (encoding, blank lines) then those parsing made, once each.
    job.notes = list(dict.fromkeys([str(n) for n in backend.notes] + parse_notes))
    job.columns = list(columns)


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
