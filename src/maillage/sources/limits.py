"""What an imported file may hold, so that a small hostile file cannot take the machine's
memory or the database's disk (settings `MAILLAGE_IMPORT_MAX_*`, documented in the README).

- a cell longer than `cell_chars`, a row longer than `row_chars` (all its cells) or wider than
  `columns` cells: the row is rejected with its reason, and kept with its long cells cut
  (`bound_cells`), so no report or admin page ever holds a 400 MB row;
- a file larger than `file_bytes` once decompressed, or holding more than `rows` rows: the
  whole file is refused (SourceFileError) before or while it is read;
- beyond `rejected_kept` rejected rows, the job's report keeps their outcome and reasons but
  not their cells (see sources/rejected_cap.py).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from maillage.core.i18n import gettext as _  # per row: see core/i18n.py

# Reserved key of a raw row that broke a limit: the reason, in French (parse() rejects it).
OVERSIZE_KEY = "__oversize__"
# What is kept of a cell that broke a limit, in the stored raw row.
KEPT_CHARS = 1000


@dataclass(frozen=True)
class Limits:
    cell_chars: int
    row_chars: int
    columns: int
    rows: int
    file_bytes: int
    rejected_kept: int

    @property
    def whole_file_bytes(self) -> int:
        """Formats loaded whole into memory (GeoJSON, JSON, OSM XML): a JSON document takes
        several times its size once parsed, hence an eighth of the streamed formats' limit."""
        return max(self.file_bytes // 8, 1)

    @property
    def line_bytes(self) -> int:
        """Longest physical line of a CSV file: beyond, it is not a table (a 400 MB line
        would be read whole before any cell could be checked)."""
        return max(self.row_chars * 4, 1 << 20)


def import_limits() -> Limits:
    return Limits(
        cell_chars=int(settings.MAILLAGE_IMPORT_MAX_CELL_CHARS),
        row_chars=int(settings.MAILLAGE_IMPORT_MAX_ROW_CHARS),
        columns=int(settings.MAILLAGE_IMPORT_MAX_COLUMNS),
        rows=int(settings.MAILLAGE_IMPORT_MAX_ROWS),
        file_bytes=int(settings.MAILLAGE_IMPORT_MAX_FILE_BYTES),
        rejected_kept=int(settings.MAILLAGE_IMPORT_MAX_REJECTED_KEPT),
    )


def number(value: int) -> str:
    """12345678 → « 12 345 678 » (narrow no-break spaces, as elsewhere in the messages)."""
    return f"{value:,}".replace(",", "\u202f")


def _cut(value: str) -> str:
    return value if len(value) <= KEPT_CHARS else value[:KEPT_CHARS] + "…"


def oversize_reason(names: Sequence[str], values: Sequence[Any], limits: Limits) -> str | None:
    """Why a row breaks a limit (French), or None: `values` are its cells in order, `names`
    the header (cells beyond it have none)."""
    if len(values) > limits.columns:
        return _("ligne trop large : plus de %(limit)s cellules") % {
            "limit": number(limits.columns)
        }
    try:  # the common case, every cell a string within bounds, at C speed
        sizes = list(map(len, values))
        if (not sizes or max(sizes) <= limits.cell_chars) and sum(sizes) <= limits.row_chars:
            return None
    except TypeError:  # a cell that is not text (XLSX numbers, dates): measured one by one
        pass
    total = 0
    for position, value in enumerate(values):
        if isinstance(value, str):
            size = len(value)
            if size > limits.cell_chars:
                name = names[position] if position < len(names) else f"n° {position + 1}"
                return _(
                    "cellule trop longue : colonne « %(column)s », plus de %(limit)s "
                    "caractères ; cellule tronquée dans le rapport"
                ) % {"column": str(name)[:100], "limit": number(limits.cell_chars)}
            total += size
    if total > limits.row_chars:
        return _("ligne trop longue : %(size)s caractères, au plus %(limit)s") % {
            "size": number(total),
            "limit": number(limits.row_chars),
        }
    return None


def bound_cells(cells: dict[str, Any], reason: str, limits: Limits) -> dict[str, Any]:
    """The row as it is kept once rejected for `reason`: its first `columns` cells, each cut
    to KEPT_CHARS characters, and the reason under OVERSIZE_KEY."""
    kept: dict[str, Any] = {}
    for column, value in list(cells.items())[: limits.columns]:
        if isinstance(value, list):  # surplus cells of a row wider than the header
            value = [_cut(v) if isinstance(v, str) else v for v in value[: limits.columns]]
        kept[_cut(str(column))] = _cut(value) if isinstance(value, str) else value
    kept[OVERSIZE_KEY] = reason
    return kept
