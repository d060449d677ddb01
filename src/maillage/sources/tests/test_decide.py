"""The decision step of a batch's writes (writes.screen_rows / decide_rows), without the
database: rows and stored records built in memory."""

import datetime

import orjson
from django.utils import timezone

from maillage.catalog.models import Initiative
from maillage.sources.models import Outcome, SourceRecord
from maillage.sources.pipeline import Encoded, Prepared
from maillage.sources.records import RawRow
from maillage.sources.repeats import SeenIds
from maillage.sources.writes import (
    DELETED_BY_STAFF,
    HELD_FOR_REVIEW,
    KnownRecord,
    Stored,
    decide_rows,
    records_to_load,
    screen_rows,
)

TODAY = datetime.date(2026, 3, 1)


def _row(number: int, remote_id: str, **values) -> Prepared:
    return Prepared(
        row=RawRow(number, remote_id, {"id": remote_id}),
        remote_id=remote_id,
        values=values,
        digest=f"hash-{remote_id}-{values.get('name', '')}",
    )


def _record(
    remote_id: str, initiative: Initiative | None, imported: dict, **kwargs
) -> SourceRecord:
    return SourceRecord(
        pk=100 + len(remote_id),
        remote_id=remote_id,
        initiative=initiative,
        raw_hash=kwargs.pop("raw_hash", "old-hash"),
        imported=imported,
        **kwargs,
    )


def _decide(rows, records=(), known=None, held=False, dry_run=False):
    stored = Stored(known or {}, {r.remote_id: r for r in records}, {})
    return decide_rows(rows, stored, held=held, dry_run=dry_run, today=TODAY)


def _parsed(number: int, remote_id: str, **values) -> Prepared:
    """A row as parsing sends it back for a new record: its values encoded."""
    row = _row(number, remote_id)
    imported = orjson.dumps(values)
    row.encoded = Encoded(row=(), links=([], []), imported=imported, raw=b"{}")
    row.fresh = True
    return row


def test_screening_rejects_parse_failures_skips_identical_repeats_and_remembers_the_others():
    broken = _row(1, "a")
    broken.rejected = "nom absent"
    first, repeated, other = (
        _parsed(2, "b", name="Amap du Blosne"),
        _parsed(3, "b", name="Amap du Blosne"),  # the same AMAP, listed with another producer
        _parsed(4, "c", name="Amap de Cleunay"),
    )
    seen = SeenIds()
    screened, usable = screen_rows([broken, first, repeated, other], seen)
    assert [(r.row_number, r.outcome) for r in screened] == [
        (1, Outcome.REJECTED),
        (3, Outcome.SKIPPED),
    ]
    assert screened[0].reasons == ["nom absent"]
    assert "à l'identique" in screened[1].reasons[0]
    assert "ligne 2" in screened[1].reasons[0]
    assert usable == [first, other]
    assert sorted(seen.keys()) == ["b", "c"]
    assert seen.notes() == []


def test_an_id_repeated_with_other_values_is_not_an_id_the_rows_are_known_by_their_content():
    rows = [
        _parsed(n, "node/1", name=name, lon=lon, lat=lat)
        for n, (name, lon, lat) in enumerate(
            [("Espace A", -1.68, 48.11), ("Espace B", -1.67, 48.12), ("Espace C", -1.66, 48.1)],
            start=1,
        )
    ]
    seen = SeenIds()
    screened, usable = screen_rows(rows, seen)
    assert screened == []
    assert usable == rows
    assert rows[0].remote_id == "node/1"  # the first keeps it: a re-run finds it again
    assert rows[1].remote_id.startswith("auto:")
    assert rows[1].remote_id != rows[2].remote_id
    assert rows[1].values["name"] == "Espace B"  # known values: it may match a stored record
    assert not rows[1].fresh
    [note] = seen.notes()
    assert "2 lignes" in note
    # The same place again with other values: rejected, Maillage cannot tell which is right.
    again = _parsed(4, "node/1", name="Espace B", lon=-1.67, lat=48.12, address="2 rue X")
    screened, usable = screen_rows([again], seen)
    assert usable == []
    assert screened[0].outcome == Outcome.REJECTED
    assert "ligne 2" in screened[0].reasons[0]


def test_a_row_without_stored_record_is_new_and_held_when_the_source_is_moderated():
    row = _row(1, "a", name="Aire")
    row.encoded = Encoded(row=(), links=([], []), imported=b'{"name": "Aire"}', raw=b"{}")
    plan = _decide([row], held=True, dry_run=True)
    assert plan.new == [row]
    assert plan.updates == []
    [item] = plan.report
    assert item.outcome == Outcome.NEW
    assert item.reasons == [str(HELD_FOR_REVIEW)]
    assert item.diff == {"new": {"name": "Aire"}}  # the preview of a dry run
    assert _decide([_row(2, "b", name="Aire")]).report[0].reasons == []


def test_a_row_seen_before_parsing_as_unchanged_reports_what_was_stored():
    row = _row(7, "a")
    row.unchanged = True
    known = {"a": KnownRecord(pk=1, initiative_id=42, raw_hash="h", active=True, category="amap")}
    plan = _decide([row], known=known)
    [item] = plan.report
    assert (item.outcome, item.initiative_id, item.category, item.raw) == (
        Outcome.UNCHANGED,
        42,
        "amap",
        {},
    )
    assert (plan.new, plan.updates) == ([], [])


def test_a_record_whose_initiative_staff_deleted_is_skipped_not_recreated():
    record = _record("a", None, {"name": "Aire"})
    plan = _decide([_row(1, "a", name="Aire")], [record])
    assert [i.outcome for i in plan.report] == [Outcome.SKIPPED]
    assert plan.report[0].reasons == [str(DELETED_BY_STAFF)]
    assert (plan.new, plan.updates) == ([], [])


def test_a_row_with_the_stored_hash_is_unchanged_and_writes_nothing():
    row = _row(1, "a", name="Aire")
    record = _record("a", Initiative(pk=5, name="Aire"), {"name": "Aire"}, raw_hash=row.digest)
    plan = _decide([row], [record])
    assert [(i.outcome, i.initiative_id) for i in plan.report] == [(Outcome.UNCHANGED, 5)]
    assert plan.updates == []


def test_a_changed_field_is_updated_and_staged_on_the_initiative():
    initiative = Initiative(pk=5, name="Aire", address="1 rue")
    record = _record("a", initiative, {"name": "Aire", "address": "1 rue"})
    row = _row(1, "a", name="Aire du lac", address="1 rue")
    plan = _decide([row], [record])
    [item] = plan.report
    assert item.outcome == Outcome.UPDATED
    assert item.diff == {"name": ["Aire", "Aire du lac"]}
    [update] = plan.updates
    assert (update.prepared, update.record, update.fields) == (row, record, ["name"])
    assert initiative.name == "Aire du lac"
    assert record.raw_hash == row.digest
    assert record.verified_on == TODAY


def test_a_field_staff_edited_since_is_kept_and_reported_as_a_conflict():
    initiative = Initiative(pk=5, name="Aire (corrigé)")
    record = _record("a", initiative, {"name": "Aire"})
    plan = _decide([_row(1, "a", name="Aire du lac")], [record])
    [item] = plan.report
    assert item.outcome == Outcome.UNCHANGED  # nothing applied
    assert item.conflicts == [
        {
            "field": "name",
            "kept": "Aire (corrigé)",
            "source": "Aire du lac",
            "previous_source": "Aire",
        }
    ]
    assert initiative.name == "Aire (corrigé)"
    assert [u.fields for u in plan.updates] == [[]]  # the record is still re-verified


def test_an_archived_record_back_in_the_file_is_revived():
    row = _row(1, "a", name="Aire")
    record = _record(
        "a",
        Initiative(pk=5, name="Aire"),
        {"name": "Aire"},
        raw_hash=row.digest,
        archived_at=timezone.now(),
    )
    plan = _decide([row], [record])
    [item] = plan.report
    assert item.outcome == Outcome.UPDATED
    assert "désarchivée" in item.reasons[-1]
    assert [u.record for u in plan.updates] == [record]


def test_only_changed_rows_and_ids_unknown_before_parsing_need_their_record():
    unchanged, changed, unknown, fresh = _row(1, "a"), _row(2, "b"), _row(3, "c"), _row(4, "d")
    unchanged.unchanged = True
    known = {
        rid: KnownRecord(pk=1, initiative_id=1, raw_hash="h", active=True, category="")
        for rid in ("a", "b")
    }
    # "c" was not looked up before parsing (its id came out of parsing); "d" was, in vain.
    looked_up = {"a", "b", "d"}
    assert records_to_load([unchanged, changed, unknown, fresh], known, looked_up) == ["b", "c"]
