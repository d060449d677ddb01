"""Numbers as French open data writes them: what parse_number reads, and what it refuses."""

import pytest

from maillage.sources.coords import parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("48.11", 48.11),
        ("48,11", 48.11),
        (" -1,5 ", -1.5),
        ("+2.5", 2.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("1e3", 1000.0),
        ("48\u00a0110", 48110.0),  # a no-break space inside: dropped
        (48.11, 48.11),
        (7, 7.0),
    ],
)
def test_numbers_it_reads(text, expected):
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text",
    ["", "  ", None, "N/A", "nan", "inf", "-Infinity", "1_000", "1 000,5", "47,2184 N",
     "45.76.4", "0x10", float("nan")],
)  # fmt: skip
def test_what_is_not_a_number_gives_none(text):
    assert parse_number(text) is None
