"""The same file again, read the same way: replay the last run instead of reading it.

When a source's file has the checksum of its last completed run, and the backend, mapping,
referential, typology and import code are those of that run, every row would come out as
it did then: rows imported then are unchanged now, rejected rows are rejected again for
the same reasons. The report is built from the last run's (one line per row, as always),
nothing is parsed, and records absent from the file are still followed up for archiving.
A monthly re-run of an unchanged file then costs seconds instead of a full read.
"""

import hashlib
import heapq
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from django.db.models import Max

from maillage.catalog.models import Category
from maillage.territories.models import ReferentialLoad

from .models import HarvestItem, HarvestJob, Outcome, Source, SourceRecord, UnchangedRows
from .writes import ItemRow

REPLAYABLE = (HarvestJob.Status.DONE, HarvestJob.Status.DONE_WITH_ERRORS)
CHUNK = 2000


@cache
def _code_fingerprint() -> str:
    """The import code itself: a new version may check rows differently."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        digest.update(path.read_bytes())
    return digest.hexdigest()


def input_key(signature: str) -> str:
    referential = ReferentialLoad.objects.aggregate(latest=Max("id"))["latest"]
    typology = sorted(Category.objects.filter(retired=False).values_list("code", flat=True))
    parts = [signature, referential, typology, _code_fingerprint()]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def live_records(source: Source) -> int:
    return SourceRecord.objects.filter(
        source=source, archived_at__isnull=True, initiative__isnull=False
    ).count()


def identical_last_run(source: Source, job: HarvestJob) -> HarvestJob | None:
    """The source's last completed run, if it read this very file the same way and nothing
    since has deleted a record or its initiative (staff, by hand)."""
    last = (
        HarvestJob.objects.filter(source=source, dry_run=False, status__in=REPLAYABLE)
        .exclude(pk=job.pk)
        .order_by("-finished_at", "-id")
        .first()
    )
    if last is None or not job.file_sha256 or not job.input_key:
        return None
    if (last.file_sha256, last.input_key) != (job.file_sha256, job.input_key):
        return None
    if last.live_records is None or live_records(source) != last.live_records:
        return None
    return last


def replayed_rows(last: HarvestJob) -> Iterator[list[ItemRow]]:
    """The last run's rows as this run's, in file order, in chunks. The raw rows are only
    read for the rejected ones, which are handed back again."""
    items = HarvestItem.objects.filter(job=last, row_number__gt=0).order_by("row_number")
    imported = (
        ItemRow(number, remote_id, {}, Outcome.UNCHANGED, initiative_id=pk, category=category)
        for number, remote_id, pk, category in items.exclude(outcome=Outcome.REJECTED)
        .values_list("row_number", "remote_id", "initiative_id", "category")
        .iterator(chunk_size=20000)
    )
    rejected = (
        ItemRow(number, remote_id, raw, Outcome.REJECTED, reasons=list(reasons))
        for number, remote_id, raw, reasons in items.filter(outcome=Outcome.REJECTED)
        .values_list("row_number", "remote_id", "raw", "reasons")
        .iterator(chunk_size=5000)
    )
    blocks = (
        ItemRow(row[0], row[1], {}, Outcome.UNCHANGED, initiative_id=row[2], category=row[3])
        for block in UnchangedRows.objects.filter(job=last).order_by("first_row").iterator(50)
        for row in block.rows
    )
    chunk: list[ItemRow] = []
    for row in heapq.merge(imported, rejected, blocks, key=lambda r: r.row_number):
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
