"""Parse in a second process while this one writes: on a 2-core machine the two halves of an
import overlap instead of taking turns.

The parent reads the file's rows (cheap), looks up what is stored for their ids and writes;
a forked child runs the expensive part — parsing, checks, locating, classifying, encoding
for the database — on batch n + 1 while the parent writes batch n. When nothing is stored
for the source yet (its first import), there is nothing to look up: the child reads the file
too, and the parent only writes (`run_reading`).

The child never touches the database: the referential and the locator are loaded before the
fork and shared copy-on-write, and a guard makes any query from the child fail loudly. A
small file is prepared in place.
"""

import gc
import multiprocessing
import os
import queue
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import chain
from typing import Any, NamedTuple

from django.db import connections
from django.utils.translation import gettext as _

from maillage.core.errors import MaillageError
from maillage.core.i18n import freeze_language

from .collector import between_batches
from .errors import SourceFileError
from .pipeline import Prepared, PreparedBatch
from .records import RawRow

Hashes = dict[str, str]


class Batch(NamedTuple):
    """A batch to prepare."""

    rows: list[RawRow]
    hashes: Hashes  # the stored hashes of their ids (for prepare)
    extra: Any  # what the caller wants back with the prepared rows (stored records)


class Done(NamedTuple):
    """A prepared batch."""

    rows: list[RawRow]
    extra: Any  # the batch's extra, handed back
    prepared: list[Prepared]


class ReadBatch(NamedTuple):
    """A batch read and prepared by the child (`run_reading`), as it crosses to the parent:
    the rows' numbers, ids and cells, then their prepared fields."""

    numbers: list[int]
    remote_ids: list[str | None]
    # A row's cells, or {} when parsing encoded them (as JSON, in `prepared`); a batch's
    # first row always has its cells: the parent lists the file's columns from them.
    cells: list[dict[str, Any]]
    prepared: PreparedBatch


Prepare = Callable[[list[RawRow], Hashes], list[Prepared]]
Read = Callable[[], Iterable[list[RawRow]]]
LOOKAHEAD = 2  # batches handed to the child ahead of the one being written
POLL_SECONDS = 1.0
# Below this size a file read by the child is prepared in place: starting a second process
# would cost more than it saves.
READ_IN_CHILD_MIN_BYTES = 1 << 20


class ParsingProcessFailed(MaillageError):
    """The parsing process stopped or raised (stable code `parsing-process-failed`; 503: the
    import can be tried again)."""

    code = "parsing-process-failed"
    status = 503


def fork_available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _no_database(*args: Any) -> Any:
    raise RuntimeError("le processus d'analyse ne doit pas interroger la base de données")


class BatchPreparer:
    """Runs `prepare(rows, hashes)` on every batch, in a child process when there are several.

    `before_fork` runs in the parent just before the child starts (load what the child will
    need from the database); `finish` runs in the child after the last batch and its result,
    which must pickle, comes back as `final` (what parsing learned: notes, unmatched values).
    """

    def __init__(
        self,
        prepare: Prepare,
        before_fork: Callable[[], Any],
        finish: Callable[[], Any],
    ) -> None:
        self.prepare = prepare
        self.before_fork = before_fork
        self.finish = finish
        self.final: Any = None
        self.forked = False

    def run(self, batches: Iterable[Batch]) -> Iterator[Done]:
        iterator = iter(batches)
        head = [b for b in (next(iterator, None), next(iterator, None)) if b is not None]
        if len(head) < 2 or not fork_available():
            for rows, hashes, extra in chain(head, iterator):
                yield Done(rows, extra, self.prepare(rows, hashes))
            return
        yield from self._in_child(chain(head, iterator))

    def run_reading(self, read: Read, size: int) -> Iterator[Done]:
        """Like run, for batches that need no lookup (empty hashes, no extra): `read` gives
        them, in the child when the file (of `size` bytes) is worth a second process."""
        if size < READ_IN_CHILD_MIN_BYTES or not fork_available():
            for rows in read():
                yield Done(rows, None, self.prepare(rows, {}))
            return
        with self._forked(self._reading_child, read) as (child, credits, done):
            for _batch in range(LOOKAHEAD + 1):
                credits.put(True)
            while (read_batch := self._message(done, child, "batch")) is not None:
                credits.put(True)  # the child may read one batch more
                rows = list(
                    map(RawRow, read_batch.numbers, read_batch.remote_ids, read_batch.cells)
                )
                yield Done(rows, None, read_batch.prepared.prepared(rows))

    def _in_child(self, batches: Iterator[Batch]) -> Iterator[Done]:
        pending: deque[tuple[list[RawRow], Any]] = deque()
        with self._forked(self._child) as (child, todo, done):
            for rows, hashes, extra in batches:
                todo.put((rows, hashes))
                pending.append((rows, extra))
                if len(pending) > LOOKAHEAD:
                    rows, extra = pending.popleft()
                    yield Done(rows, extra, self._receive(done, child, rows))
            todo.put(None)
            while pending:
                rows, extra = pending.popleft()
                yield Done(rows, extra, self._receive(done, child, rows))

    @contextmanager
    def _forked(self, target: Callable[..., None], *args: Any) -> Iterator[tuple[Any, Any, Any]]:
        """A child process running `target(*args, to_child, done, parent pid)`, with its two
        queues; after the block, its final message; stopped whatever happens."""
        self.before_fork()
        context = multiprocessing.get_context("fork")
        to_child: Any = context.Queue()
        done: Any = context.Queue()
        child = context.Process(
            target=target, args=(*args, to_child, done, os.getpid()), daemon=True
        )
        child.start()
        self.forked = True
        try:
            yield child, to_child, done
            self.final = self._message(done, child, "end")
            child.join()
        finally:
            if child.is_alive():
                child.terminate()
                child.join()
            to_child.cancel_join_thread()

    def _receive(self, done: Any, child: Any, rows: list[RawRow]) -> list[Prepared]:
        batch: PreparedBatch = self._message(done, child, "batch")
        return batch.prepared(rows)

    def _message(self, done: Any, child: Any, expected: str) -> Any:
        while True:
            try:
                kind, payload = done.get(timeout=POLL_SECONDS)
                break
            except queue.Empty:
                if not child.is_alive():
                    raise ParsingProcessFailed(
                        _("le processus d'analyse s'est arrêté (code %(code)s)")
                        % {"code": child.exitcode}
                    ) from None
        if kind == "file-error":
            raise SourceFileError(payload)
        if kind == "error":
            raise ParsingProcessFailed(
                _("erreur dans le processus d'analyse : %(error)s") % {"error": payload}
            )
        assert kind == expected, (kind, expected)
        return payload

    def _child(self, todo: Any, done: Any, parent: int) -> None:
        def work() -> None:
            while (task := _next_task(todo, parent)) is not None:
                rows, hashes = task
                done.put(("batch", PreparedBatch.of(self.prepare(rows, hashes))))
                between_batches()

        self._child_main(work, done, parent)

    def _reading_child(self, read: Read, credits: Any, done: Any, parent: int) -> None:
        def work() -> None:
            for rows in read():
                _next_task(credits, parent)  # wait until the parent has room
                done.put(("batch", _read_batch(self.prepare(rows, {}))))
                between_batches()
            done.put(("batch", None))

        self._child_main(work, done, parent)

    def _child_main(self, work: Callable[[], None], done: Any, parent: int) -> None:
        for connection in connections.all(initialized_only=True):
            connection.execute_wrappers.append(_no_database)
        freeze_language()  # one file, one language: each message is translated once
        status = 0
        gc.disable()  # see collector.py
        try:
            work()
            done.put(("end", self.finish()))
        except SourceFileError as exc:  # the file read in the child is not what it claims
            status = 1
            done.put(("file-error", str(exc)))
        except BaseException as exc:  # reported to the parent, which fails the job
            status = 1
            done.put(("error", f"{type(exc).__name__}: {exc}"))
        finally:
            if os.getppid() != parent:
                done.cancel_join_thread()
            done.close()
            done.join_thread()
            # Skip the interpreter's shutdown: it would close the parent's database
            # connection, inherited by the fork.
            os._exit(status)


def _read_batch(prepared: list[Prepared]) -> ReadBatch:
    """Rows the parent has not read, as they cross to it (see ReadBatch)."""
    rows = [p.row for p in prepared]
    cells = [{} if p.encoded is not None else p.row.data for p in prepared]
    if rows:
        cells[0] = rows[0].data
    return ReadBatch(
        numbers=[row.number for row in rows],
        remote_ids=[row.remote_id for row in rows],
        cells=cells,
        prepared=PreparedBatch.of(prepared),
    )


def _next_task(todo: Any, parent: int) -> Any:
    """The next batch, or None at the end; the child also stops when its parent has died
    (killed mid-way: nothing will ever read its results)."""
    while True:
        try:
            return todo.get(timeout=POLL_SECONDS)
        except queue.Empty:
            if os.getppid() != parent:
                os._exit(1)
