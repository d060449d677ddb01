"""fastwrite.insert: values the same in every row are written once in the statement (SQLite)
or sent with every row (PostgreSQL's COPY); what lands in the table must not depend on it."""

import pytest
from django.db import connection

from maillage.core import fastwrite
from maillage.sources.models import HarvestItem, HarvestJob, Source


def _job() -> HarvestJob:
    return HarvestJob.objects.create(source=Source.objects.create(name="essai", backend="csv"))


def _items(job: HarvestJob) -> list[tuple]:
    return list(
        HarvestItem.objects.filter(job=job)
        .order_by("row_number")
        .values_list("row_number", "remote_id", "raw", "outcome", "reasons", "category_rule")
    )


COLUMNS = ["row_number", "remote_id", "raw", "outcome", "reasons", "conflicts", "diff",
           "commune_id", "category", "category_rule", "initiative_id"]  # fmt: skip


def _row(number: int, rule: str, remote_id: str = "x") -> tuple:
    raw = '{"nom": "100 % local"}'
    return (number, remote_id, raw, "new", "[]", "[]", "{}", "", "", rule, None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rule",
    [
        "l'atelier « 100 % vélo » → réparation",  # quote and percent sign in a literal
        "%s %% %(name)s ?",  # what Django or SQLite could take for a placeholder
        "avec\x00nul",  # no safe literal: bound with every row instead
    ],
)
def test_a_value_shared_by_every_row_lands_as_given(rule: str) -> None:
    if "\x00" in rule and connection.vendor == "postgresql":
        pytest.skip("PostgreSQL's text cannot hold NUL; only SQLite needs the fallback")
    job = _job()
    rows = [_row(n, rule, remote_id=f"r{n}") for n in range(1, 4)]
    fastwrite.insert(HarvestItem, COLUMNS, rows, constants={"job_id": job.pk})
    assert _items(job) == [
        (n, f"r{n}", {"nom": "100 % local"}, "new", [], rule) for n in range(1, 4)
    ]


@pytest.mark.django_db
def test_rows_that_differ_keep_their_own_values() -> None:
    job = _job()
    rows = [_row(1, "règle A"), _row(2, "règle B"), _row(3, "règle A")]
    fastwrite.insert(HarvestItem, COLUMNS, rows, constants={"job_id": job.pk})
    assert [r[5] for r in _items(job)] == ["règle A", "règle B", "règle A"]


@pytest.mark.django_db
def test_one_row_and_no_rows() -> None:
    job = _job()
    fastwrite.insert(HarvestItem, COLUMNS, [], constants={"job_id": job.pk})
    assert not HarvestItem.objects.exists()
    fastwrite.insert(HarvestItem, COLUMNS, [_row(7, "seule")], constants={"job_id": job.pk})
    assert [r[0] for r in _items(job)] == [7]


@pytest.mark.django_db
def test_rows_the_same_in_every_column_are_all_written() -> None:
    job = _job()
    fastwrite.insert(HarvestItem, COLUMNS, [_row(5, "r")] * 3, constants={"job_id": job.pk})
    assert [r[0] for r in _items(job)] == [5, 5, 5]
