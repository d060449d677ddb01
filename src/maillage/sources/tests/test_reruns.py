"""Re-runs on the real carpooling base: the same file is replayed, a changed file is read row
by row with unchanged rows skipped; both keep one report line per row, in file order."""

import csv
import datetime
from pathlib import Path

import pytest

from maillage.catalog.models import Initiative
from maillage.sources import harvest, parallel
from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.items import JobItems
from maillage.sources.models import HarvestItem, HarvestJob, Source, SourceRecord, UnchangedRows
from maillage.sources.selectors import report_rows

from .csvfiles import read_rows, write_rows

REPLAY_NOTE = "fichier identique"


@pytest.fixture
def bnlc(raw_data: Path) -> Path:
    return raw_data / "bnlc-covoiturage" / "bnlc.csv"


def _import(path: Path, **kwargs) -> HarvestJob:
    return run_import(ImportRequest(backend="bnlc", path=path, source="bnlc", **kwargs))


def _copy_with_one_change(bnlc: Path, target: Path, line: int) -> tuple[Path, str]:
    with bnlc.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header, rows = list(reader.fieldnames or []), list(reader)
    rows[line]["nom_lieu"] = "Aire renommée pour le test"
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return target, rows[line]["id_lieu"]


def _outcomes(job: HarvestJob) -> dict[str, int]:
    return {k: v for k, v in job.outcomes.items() if v}


@pytest.mark.django_db
@pytest.mark.real_data
def test_the_same_file_again_is_replayed_with_the_same_outcomes_and_report(bnlc):
    first = _import(bnlc)
    again = _import(bnlc)
    assert any(REPLAY_NOTE in note for note in again.notes)
    assert _outcomes(again) == {"unchanged": 2472, "rejected": 1}
    assert again.categories == first.categories  # not all « à classer »
    rejected = HarvestItem.objects.get(job=again, outcome="rejected")
    before = HarvestItem.objects.get(job=first, outcome="rejected")
    assert (rejected.row_number, rejected.raw, rejected.reasons) == (
        before.row_number,
        before.raw,
        before.reasons,
    )
    report = list(report_rows(again))
    assert [r[0] for r in report] == list(range(1, 2474))  # every row once, in file order
    assert UnchangedRows.objects.filter(job=again).count() == 2  # two batches of rows


@pytest.mark.django_db
@pytest.mark.real_data
def test_same_file_read_differently_is_read_again(bnlc):
    _import(bnlc)
    Source.objects.filter(name="bnlc").update(default_category="covoiturage")
    again = _import(bnlc)
    assert not any(REPLAY_NOTE in note for note in again.notes)
    assert again.categories == {"covoiturage": 2472}  # the autostop rows too, now


@pytest.mark.django_db
@pytest.mark.real_data
def test_an_initiative_deleted_by_staff_is_not_brought_back(bnlc):
    _import(bnlc)
    deleted = Initiative.objects.order_by("pk").first()
    remote_id = deleted.source_records.get().remote_id
    deleted.delete()
    again = _import(bnlc)
    assert not any(REPLAY_NOTE in note for note in again.notes)  # no replay then
    assert _outcomes(again) == {"skipped": 1, "unchanged": 2471, "rejected": 1}
    skipped = HarvestItem.objects.get(job=again, outcome="skipped")
    assert skipped.remote_id == remote_id
    assert "supprimée par l'équipe" in skipped.reasons[0]
    assert Initiative.objects.count() == 2471


@pytest.mark.django_db
@pytest.mark.real_data
def test_a_changed_file_is_read_row_by_row_and_skips_what_did_not_change(bnlc, tmp_path):
    _import(bnlc)
    changed, remote_id = _copy_with_one_change(bnlc, tmp_path / "bnlc.csv", 1500)
    job = _import(changed)
    assert not any(REPLAY_NOTE in note for note in job.notes)
    assert _outcomes(job) == {"updated": 1, "unchanged": 2471, "rejected": 1}
    assert job.categories == {"covoiturage": 2390, "autostop-organise": 82}
    assert HarvestItem.objects.get(job=job, outcome="updated").remote_id == remote_id
    # The unchanged rows are stored in blocks, the others alone; read back in file order.
    assert sum(UnchangedRows.objects.filter(job=job).values_list("count", flat=True)) == 2471
    everything = JobItems(job)
    assert len(everything) == 2473
    page = everything[1495:1505]
    assert [i.row_number for i in page] == list(range(1496, 1506))
    assert [i.outcome for i in page if i.row_number == 1501] == ["updated"]
    unchanged = JobItems(job, "unchanged")
    assert len(unchanged) == 2471
    others = {i.row_number for i in HarvestItem.objects.filter(job=job)}
    expected = [n for n in range(1, 2474) if n not in others]
    assert [i.row_number for i in unchanged[2000:2003]] == expected[2000:2003]
    assert unchanged[0].category in {"covoiturage", "autostop-organise"}
    assert len(JobItems(job, "rejected")) == 1


@pytest.mark.django_db
@pytest.mark.real_data
def test_a_replay_of_a_run_with_blocks_and_single_rows_keeps_every_row_in_order(bnlc, tmp_path):
    first = _import(bnlc)
    changed, remote_id = _copy_with_one_change(bnlc, tmp_path / "bnlc.csv", 1500)
    _import(changed)  # blocks of unchanged rows, and the updated row alone
    again = _import(changed)
    assert any(REPLAY_NOTE in note for note in again.notes)
    assert _outcomes(again) == {"unchanged": 2472, "rejected": 1}
    assert again.categories == first.categories
    report = list(report_rows(again))
    assert [r[0] for r in report] == list(range(1, 2474))
    rows = JobItems(again)
    assert rows[1500].remote_id == remote_id  # row 1501, the one changed last time
    assert rows[1500].outcome == "unchanged"
    assert rows[1500].initiative_id == SourceRecord.objects.get(remote_id=remote_id).initiative_id
    rejected = HarvestItem.objects.get(job=again, outcome="rejected")
    assert rejected.raw
    assert rejected.reasons


@pytest.mark.django_db
@pytest.mark.real_data
def test_a_record_missing_then_back_is_no_longer_missing(bnlc, tmp_path):
    header, rows = read_rows(bnlc)

    def write(subset: list[dict[str, str]]) -> Path:
        return write_rows(tmp_path / "part.csv", header, subset)

    _import(write(rows[:6]))
    _import(write(rows[:5]))
    record = SourceRecord.objects.get(remote_id=rows[5]["id_lieu"])
    assert record.missing_since is not None
    _import(write(rows[:6]))
    record.refresh_from_db()
    assert record.missing_since is None
    assert record.archived_at is None


@pytest.mark.django_db
@pytest.mark.real_data
def test_a_replay_still_archives_the_records_whose_grace_period_ran_out(bnlc, tmp_path):
    header, rows = read_rows(bnlc)
    six, five = write_rows(tmp_path / "six.csv", header, rows[:6]), tmp_path / "five.csv"
    write_rows(five, header, rows[:5])
    _import(six)
    _import(five)
    record = SourceRecord.objects.get(remote_id=rows[5]["id_lieu"])
    assert record.missing_since is not None
    # The source's grace period is 30 days.
    record.missing_since = record.missing_since - datetime.timedelta(days=31)
    record.save()
    again = _import(five)
    assert any(REPLAY_NOTE in note for note in again.notes)
    assert _outcomes(again) == {"unchanged": 5, "archived": 1}
    record.refresh_from_db()
    assert record.archived_at is not None
    assert Initiative.objects.get(source_records=record).archived_at is not None


def _report(job: HarvestJob) -> list[tuple]:
    return list(
        HarvestItem.objects.filter(job=job)
        .order_by("row_number")
        .values_list(
            "row_number", "remote_id", "raw", "outcome", "reasons", "commune_id", "category",
            "category_rule", "diff",
        )
    )  # fmt: skip


def _initiatives() -> list[tuple]:
    return list(
        Initiative.objects.order_by("source_records__remote_id").values_list(
            "source_records__remote_id", "name", "commune_id", "category_id", "lon", "lat",
            "status", "published", "source_name", "source_records__imported",
        )
    )  # fmt: skip


@pytest.mark.django_db
@pytest.mark.real_data
def test_parsing_in_a_second_process_gives_the_same_rows_as_in_place(bnlc, tmp_path, monkeypatch):
    """Both ways of parsing in a second process — it reads the file itself on a first import,
    it parses rows the writer read on a re-import — give what parsing in place gives."""
    monkeypatch.setattr(harvest, "BATCH_SIZE", 400)  # 7 batches: the parsing process runs
    monkeypatch.setattr(parallel, "READ_IN_CHILD_MIN_BYTES", 0)
    changed, _remote_id = _copy_with_one_change(bnlc, tmp_path / "changed.csv", line=100)
    preparers: list[parallel.BatchPreparer] = []

    class Spied(parallel.BatchPreparer):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            preparers.append(self)

    monkeypatch.setattr(harvest, "BatchPreparer", Spied)

    def run_both() -> tuple[list, list, list, list]:
        first = _import(bnlc)
        after_first = _initiatives()
        second = _import(changed)
        jobs = [(_outcomes(j), j.mapping, j.notes, j.columns) for j in (first, second)]
        return _report(first), after_first, _report(second), jobs

    forked = run_both()
    assert [p.forked for p in preparers] == [True, True]
    assert "fork" in parallel.multiprocessing.get_all_start_methods()
    monkeypatch.setattr(parallel, "fork_available", lambda: False)
    Initiative.objects.all().delete()
    SourceRecord.objects.all().delete()
    # As before the first pass: no earlier harvest, no coverage proposed yet (issue 14).
    HarvestJob.objects.all().delete()
    Source.objects.update(coverage_categories=[], coverage_area=[], data_vintage=None)
    in_place = run_both()
    assert [p.forked for p in preparers[2:]] == [False, False]
    assert forked == in_place
    assert [job[0] for job in forked[3]] == [
        {"new": 2472, "rejected": 1},
        {"updated": 1, "unchanged": 2471, "rejected": 1},
    ]


@pytest.mark.django_db
def test_the_parsing_process_cannot_touch_the_database():
    from maillage.sources.records import RawRow

    def prepare(rows: list[RawRow], hashes: dict[str, str]) -> list:
        Initiative.objects.count()  # forbidden in the child
        return []

    preparer = parallel.BatchPreparer(prepare, before_fork=lambda: None, finish=lambda: None)
    batches: list[parallel.Batch] = [
        parallel.Batch([RawRow(1, "a", {})], {}, None),
        parallel.Batch([RawRow(2, "b", {})], {}, None),
    ]
    with pytest.raises(parallel.ParsingProcessFailed, match="ne doit pas interroger la base"):
        list(preparer.run(batches))
