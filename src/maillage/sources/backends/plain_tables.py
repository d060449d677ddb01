"""The csv and xlsx backends' readers (encoding, delimiter and header detection, limits,
uneven rows) without their column mapping: each row is its cells keyed by the header, for
formats that know their own columns (the footprint formats)."""

from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from ..limits import OVERSIZE_KEY
from .base import BackendOptions
from .tabular import CELLS_MISMATCH_KEY, EXTRA_CELLS_KEY, CsvBackend, XlsxBackend
from .tabular_mapping import ResolvedMapping

RESERVED_KEYS = (CELLS_MISMATCH_KEY, EXTRA_CELLS_KEY, OVERSIZE_KEY)


def _plain(header: list[str], id_column: str) -> ResolvedMapping:
    return ResolvedMapping(
        source={},
        proposed=False,
        text={},
        dates={},
        lat=None,
        lon=None,
        latlon=None,
        coordinates="wgs84",
        remote_id=id_column if id_column in header else None,
        category=None,
        status=None,
        extra=(),
    )


class PlainCsv(CsvBackend):
    """A CSV file with a header line, read as the csv backend reads it."""

    def __init__(self, id_column: str = "") -> None:
        super().__init__(BackendOptions(mapping={"header": True}))
        self.id_column = id_column

    def _use_header(
        self, header: list[str], content: list[list[str]] | None = None
    ) -> ResolvedMapping:
        self.header = header
        self._mapping = _plain(header, self.id_column)
        return self._mapping


class PlainXlsx(XlsxBackend):
    """The first sheet of a workbook with a header row, read as the xlsx backend reads it."""

    def __init__(self, id_column: str = "") -> None:
        super().__init__(BackendOptions(mapping={"header": True}))
        self.id_column = id_column

    def _use_header(
        self, header: list[str], content: list[list[str]] | None = None
    ) -> ResolvedMapping:
        self.header = header
        self._mapping = _plain(header, self.id_column)
        return self._mapping


def plain_reader(path: Path, id_column: str = "") -> PlainCsv | PlainXlsx:
    """The reader of a table: XLSX by its extension, CSV otherwise."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return PlainXlsx(id_column)
    return PlainCsv(id_column)


def broken_row(data: dict[str, Any]) -> str | None:
    """Why a row read by these readers cannot be used as it is (French), or None."""
    if OVERSIZE_KEY in data:
        return str(data[OVERSIZE_KEY])
    if CELLS_MISMATCH_KEY in data:
        expected, got = data[CELLS_MISMATCH_KEY]
        return _(
            "ligne de %(got)s cellule(s) au lieu de %(expected)s (séparateur ou guillemets "
            "mal placés ?)"
        ) % {"got": got, "expected": expected}
    return None
