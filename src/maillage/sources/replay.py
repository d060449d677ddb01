"""The same file again, read the same way: replay the last run instead of reading it.

When a source's file has the checksum of its last completed run, and the backend, mapping,
referential, typology and import code are those of that run, every row would come out as
it did then: rows imported then are unchanged now, rejected (or skipped) rows are rejected
(or skipped) again for the same reasons. The report is built from the last run's (one line per row, as always),
nothing is parsed, and records absent from the file are still followed up for archiving.
A monthly re-run of an unchanged file then costs seconds instead of a full read.
"""

import hashlib
import heapq
import json
from collections.abc import Iterator
from functools import cache
from itertools import islice
from pathlib import Path

from django.db import connection
from django.db.models import Max

from maillage.catalog.models import Category
from maillage.territories.models import ReferentialLoad

from .models import HarvestItem, HarvestJob, Outcome, Source, SourceRecord, UnchangedRows
from .writes import ReportRow, Unchanged, row_number_of

REPLAYABLE = (HarvestJob.Status.DONE, HarvestJob.Status.DONE_WITH_ERRORS)
# Rows whose outcome is said again with its reasons (the others are unchanged now).
SAID_AGAIN = (Outcome.REJECTED, Outcome.SKIPPED)
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


def _imported_rows(last: HarvestJob) -> Iterator[Unchanged]:
    """The last run's kept rows stored one by one, in file order, as the cursor's tuples:
    read with a plain cursor, a million ORM rows would cost more than the whole replay."""
    quote = connection.ops.quote_name
    table = quote(HarvestItem._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT row_number, remote_id, initiative_id, category FROM {table} "
            "WHERE job_id = %s AND row_number > 0 AND outcome NOT IN (%s, %s) "
            "ORDER BY row_number",
            [last.pk, *SAID_AGAIN],
        )
        while rows := cursor.fetchmany(20000):
            yield from rows  # in the order of UnchangedRow


def _block_rows(last: HarvestJob) -> Iterator[Unchanged]:
    for block in UnchangedRows.objects.filter(job=last).order_by("first_row").iterator(50):
        yield from block.rows


def replayed_rows(last: HarvestJob) -> Iterator[tuple[list[Unchanged], list[ReportRow]]]:
    """The last run's rows as this run's, in file order, in chunks: the kept rows, unchanged
    now, and the rejected rows, rejected
    again (read whole: their cells are handed back again)."""
    kept: Iterator[Unchanged] = _imported_rows(last)
    if UnchangedRows.objects.filter(job=last).exists():  # the last run was a re-run itself
        kept = heapq.merge(kept, _block_rows(last), key=row_number_of)
    rejected = iter(
        ReportRow(number, remote_id, raw, outcome, reasons=list(reasons))
        for number, remote_id, raw, outcome, reasons in HarvestItem.objects.filter(
            job=last, row_number__gt=0, outcome__in=SAID_AGAIN
        )
        .order_by("row_number")
        .values_list("row_number", "remote_id", "raw", "outcome", "reasons")
        .iterator(chunk_size=5000)
    )
    waiting = next(rejected, None)
    while chunk := list(islice(kept, CHUNK)):
        last_row = row_number_of(chunk[-1])
        again: list[ReportRow] = []
        while waiting is not None and waiting.row_number <= last_row:
            again.append(waiting)
            waiting = next(rejected, None)
        yield chunk, again
    again = []
    while waiting is not None:
        again.append(waiting)
        waiting = next(rejected, None)
    if again:
        yield [], again
