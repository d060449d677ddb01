"""Bulk inserts without the ORM's per-field machinery, for imports of a million rows.

The ORM's bulk_create prepares every field of every object through several method calls;
on a 1,000,000-row import that alone costs more than SQLite's whole insert. Here each model's
columns and their conversions are worked out once, then rows go to `executemany` as tuples.
Values must already be in database form: strings, numbers, booleans, ISO dates, None, JSON
as text (SQLite stores it, PostgreSQL's COPY parses it); datetimes go through `db_datetime`,
once per batch.
"""

import datetime
import math
import time
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import DatabaseError, connection, models


def db_datetime(value: datetime.datetime) -> Any:
    """A timezone-aware datetime as this database stores it (done once per batch)."""
    return connection.ops.adapt_datetimefield_value(value)


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys for explicit inserts, inside the current transaction.

    SQLite: the import holds the write lock, so max(id)+1… is free (AUTOINCREMENT follows the
    explicit ids). PostgreSQL: the identity sequence hands them out, as concurrent writers
    would see them.
    """
    if count == 0:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + count))


def insert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    constants: dict[str, Any] | None = None,
) -> None:
    """INSERT the rows (tuples in `columns` order) into the model's table, with `constants`
    (column → value) the same for every row. PostgreSQL gets them through COPY, several times
    faster than one INSERT per row. SQLite gets the constants, and the columns that hold one
    value in every row of this call, written once in the statement instead of bound per row:
    binding is most of what an insert costs there."""
    constants = constants or {}
    if connection.vendor == "postgresql":
        _copy(model, [*columns, *constants], rows, tuple(constants.values()))
        return
    rows = list(rows)
    if not rows:
        return
    names, bound = list(columns), list(rows)
    fixed = {name: value for name, value in constants.items() if _literal(value) is not None}
    extra = tuple(value for name, value in constants.items() if name not in fixed)
    names += [name for name in constants if name not in fixed]
    if extra:
        bound = [(*row, *extra) for row in bound]
    if len(bound) > 1:
        by_column = list(zip(*bound, strict=True))
        same = [
            i for i, values in enumerate(by_column)
            if values.count(values[0]) == len(values) and _literal(values[0]) is not None
        ]  # fmt: skip
        if same:
            fixed.update((names[i], by_column[i][0]) for i in same)
            keep = [i for i in range(len(names)) if i not in set(same)]
            names = [names[i] for i in keep]
            bound = list(zip(*(by_column[i] for i in keep), strict=True)) if keep else []
    _sqlite_insert(model, names, bound, fixed, len(rows))


def _literal(value: Any) -> str | None:
    """The SQL literal of a plain value, None when it has none that is safe to inline."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


def _sqlite_insert(
    model: type[models.Model],
    names: list[str],
    bound: list[Sequence[Any]],
    fixed: dict[str, Any],
    count: int,
) -> None:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(c) for c in [*names, *fixed])
    # Django turns "%s" into SQLite's "?" and "%%" into "%": a literal's percent signs double.
    literals = [str(_literal(v)).replace("%", "%%") for v in fixed.values()]
    values = ", ".join(["%s"] * len(names) + literals)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({values})"
    with connection.cursor() as cursor:
        if names:
            cursor.executemany(sql, bound)
        else:  # every column the same: still one row per row
            for _row in range(count):
                cursor.execute(sql, [])


def _copy(
    model: type[models.Model], names: list[str], rows: Iterable[Sequence[Any]], extra: tuple
) -> None:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(c) for c in names)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row((*row, *extra) if extra else row)


def column_defaults(model: type[models.Model], exclude: set[str]) -> dict[str, Any]:
    """attname → value used when a row does not give one (the field's default, in DB form)."""
    defaults = {}
    for field in model._meta.concrete_fields:
        if field.attname in exclude:
            continue
        value = field.get_default()
        defaults[field.attname] = (
            None if value is None else field.get_db_prep_save(value, connection)
        )
    return defaults


def refresh_statistics(*models_: type[models.Model]) -> None:
    """PostgreSQL plans queries from table statistics that autovacuum refreshes only after
    the transaction commits: after writing thousands of rows, the pages read right after
    (in the same transaction, or before autovacuum runs) would get plans made for empty
    tables. ANALYZE samples a bounded number of rows: cheap, and allowed in a transaction."""
    if connection.vendor != "postgresql":
        return
    names = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models_)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {names}")


def delete_rows(model: type[models.Model], ids: Sequence[int]) -> None:
    """Delete these rows of `model` and what hangs on them, without the ORM's collector (which
    loads every row, sends signals and updates unindexed links one by one: a minute for
    8,000 initiatives). Rows that reference them are deleted (CASCADE) or unlinked
    (SET_NULL), as the ORM would; DO_NOTHING links (history tables) are left, as the ORM
    leaves them. References are few; each lookup uses the referencing column."""
    if not ids:
        return
    for relation in model._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete):
            continue
        if not (relation.one_to_many or relation.one_to_one):
            continue
        related: Any = relation
        if related.on_delete is models.DO_NOTHING:
            continue
        referencing = related.related_model._base_manager.filter(
            **{f"{related.field.name}__in": ids}
        )
        if related.on_delete is models.SET_NULL:
            referencing.update(**{related.field.name: None})
        else:  # CASCADE and the like: the ORM, for what hangs on these in turn
            referencing.delete()
    rows = model._base_manager.filter(pk__in=ids)
    rows._raw_delete(rows.db)


class WriterTurns:
    """Lets other writers in between a long job's transactions, on SQLite.

    SQLite has one writer at a time, and a writer kept waiting retries every 100 ms at most
    (its busy handler): a job that starts its next transaction as soon as it commits the last
    one can starve a login or another import until it ends. So, every `every` seconds of
    holding the lock, the job pauses `pause` seconds — longer than one retry, so that any
    waiting writer gets its turn — at a cost of pause/every of the job's time: 2 %, for a
    wait of 5 s at most, a quarter of the 20 s a request waits before it gives up."""

    def __init__(self, every: float = 5.0, pause: float = 0.11) -> None:
        self.every, self.pause = every, pause
        self.held = 0.0
        self.started = 0.0

    def __enter__(self) -> "WriterTurns":
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        """Called once the transaction has committed (or failed)."""
        self.held += time.monotonic() - self.started
        if self.held >= self.every and connection.vendor == "sqlite":
            time.sleep(self.pause)
            self.held = 0.0


# While a long job writes, SQLite's WAL may grow to this many pages (4 KiB each: 1 GiB)
# before a checkpoint: the default (1,000 pages) made every batch's commit copy the WAL back
# into the database file and wait for the disk (40 ms a commit, a tenth of a million-row
# import). One checkpoint at the end does the same work once, as a single transaction did.
DEFERRED_CHECKPOINT_PAGES = 262_144


class DeferredCheckpoints:
    """On SQLite, postpone WAL checkpoints during a job of many small transactions, then run
    one (passive: readers are never blocked) when it ends. Nothing on PostgreSQL."""

    def __init__(self, pages: int = DEFERRED_CHECKPOINT_PAGES) -> None:
        self.pages = pages
        self.previous: int | None = None

    def __enter__(self) -> "DeferredCheckpoints":
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_autocheckpoint")
                self.previous = int(cursor.fetchone()[0])
                cursor.execute(f"PRAGMA wal_autocheckpoint={int(self.pages)}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.previous is None:
            return
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA wal_autocheckpoint={self.previous}")
                if not connection.in_atomic_block:  # a checkpoint needs no open transaction
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except DatabaseError:  # the job's own error (a lost database) is the one to tell
            if not exc or exc[0] is None:
                raise
