"""Cells safe to open in a spreadsheet: every CSV or XLSX file Maillage writes goes through here.

Imported data is written back in reports (a rejected row is kept as received), so a cell such
as `=HYPERLINK("http://…")` from a community-edited source would run as a formula in the
spreadsheet of whoever opens the report (CSV / formula injection, OWASP). A text cell that
starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, which
spreadsheets read as « this is text ».

Numbers stay numbers: Python ints and floats are written as they are, and so is a text that is
just a negative decimal number (`-1.68`, a longitude, `-2,5`), which no spreadsheet evaluates
as a formula; `-2+3` is not such a number and is neutralised.
"""

import csv
import re
from collections.abc import Iterable, Iterator
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NEGATIVE_NUMBER = re.compile(r"-\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?")


def safe_cell(value: Any) -> Any:
    """`value` as a spreadsheet cell that cannot be a formula (non-text values unchanged)."""
    if not isinstance(value, str) or not value.startswith(TRIGGERS):
        return value
    if _NEGATIVE_NUMBER.fullmatch(value):
        return value
    return "'" + value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


def safe_rows(rows: Iterable[Iterable[Any]]) -> Iterator[list[Any]]:
    return (safe_row(row) for row in rows)


class SafeWriter:
    """`csv.writer` whose every cell goes through `safe_cell` (same arguments)."""

    def __init__(self, handle: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(handle, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        self._writer.writerows(safe_rows(rows))


class SafeDictWriter(csv.DictWriter):
    """`csv.DictWriter` whose every value goes through `safe_cell` (the header too)."""

    def writeheader(self) -> Any:
        return self.writer.writerow(safe_row(self.fieldnames))

    def writerow(self, rowdict: Any) -> Any:
        return super().writerow({key: safe_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Any]) -> None:
        for rowdict in rowdicts:
            self.writerow(rowdict)
