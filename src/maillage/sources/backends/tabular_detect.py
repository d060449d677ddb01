"""What a tabular file really is: its encoding and the file checks (rules in sniff.py), its
delimiter, header row and decimal mark.

Everything here reads the file before the first row is handed out, so that a file that is not
what it claims (binary, HTML error page, empty, truncated workbook) fails the job up front with
a French message, and changes nothing.
"""

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ..errors import SourceFileError
from ..limits import Limits, import_limits, number
from .sniff import (
    BAD_BOM,
    EMPTY,
    HEAD_BYTES,
    HTML,
    PDF,
    XLS,
    XML,
    ZIP,
    Sniffed,
    head_problem,
    sniff,
)
from .tabular_mapping import cell_kind, position_name
from .xlsx_bounded import open_bounded_workbook

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_LABELS = {
    ",": gettext_noop("virgule"),
    ";": gettext_noop("point-virgule"),
    "\t": gettext_noop("tabulation"),
    "|": gettext_noop("barre verticale"),
}
ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": gettext_noop("UTF-8 avec BOM"),
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252 (cp1252)",
    "latin-1": "Latin-1 (ISO-8859-1)",
}
SAMPLE_CHARS = 256 * 1024
HEADER_SEARCH_ROWS = 50
HEADER_NAME_CHARS = 1000
_NUMERIC = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_DECIMAL_DOT = re.compile(r"^[+-]?\d+\.\d+$")
_YEAR = re.compile(r"^(19|20)\d\d$")


@dataclass
class CsvLayout:
    """How to read a CSV file, as detected (or as forced by the mapping)."""

    encoding: str  # Python codec name
    delimiter: str
    header_index: int  # 0-based record index of the header (records before it are titles);
    # without header, the index of the record before the first data record (-1: none)
    header: list[str]
    decimal_comma: bool
    notes: list[str] = field(default_factory=list)  # what detection found, in French
    has_header: bool = True  # False: the columns are named « colonne 1 », « colonne 2 »…
    sample: list[list[str]] = field(default_factory=list)  # first data records (proposal)


def _file_error(path: Path, message: str) -> SourceFileError:
    return SourceFileError(_("%(file)s : %(message)s") % {"file": path.name, "message": message})


def _not_a_table(sniffed: Sniffed) -> str:
    """A French description of a file that is not a text table (see sniff.py)."""
    problem = sniffed.problem
    if problem == EMPTY:
        return _("le fichier est vide")
    if problem == HTML:
        return _(
            "c'est une page web (HTML), pas un tableau — sans doute une page d'erreur "
            "enregistrée à la place des données ; téléchargez à nouveau le fichier"
        )
    if problem == XML:
        return _("c'est un document XML, pas un tableau CSV")
    if problem == ZIP:
        return _("c'est une archive ZIP ou un classeur XLSX, pas un CSV (essayez le format xlsx)")
    if problem == XLS:
        return _(
            "c'est un classeur Excel de l'ancien format (.xls) : enregistrez-le en .xlsx ou en CSV"
        )
    if problem == PDF:
        return _("c'est un document PDF, pas un tableau")
    if problem == BAD_BOM:
        return _("le fichier annonce de l'UTF-8 (BOM) mais contient des octets invalides")
    where = f"{sniffed.offset:,}".replace(",", "\u202f")  # BINARY, GZIP
    return _(
        "le fichier est binaire (octets nuls ou de contrôle vers l'octet "
        "%(where)s) : ce n'est pas un tableau CSV"
    ) % {"where": where}


def check_size(path: Path, limit: int) -> None:
    """SourceFileError when the file is larger than `limit` bytes."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _file_error(
            path, _("fichier illisible (%(error)s)") % {"error": exc.strerror}
        ) from exc
    if size > limit:
        raise _file_error(
            path,
            _("le fichier fait %(size)s octets, au plus %(limit)s (MAILLAGE_IMPORT_MAX_FILE_BYTES)")
            % {"size": number(size), "limit": number(limit)},
        )


def check_text_file(path: Path, limits: Limits | None = None) -> tuple[str, list[str]]:
    """Read the whole file once, in chunks, and return (codec, notes); SourceFileError when
    it is not a text file (the rules: see sniff.py), is too large or holds a line too long
    to be a table's."""
    limits = limits or import_limits()
    check_size(path, limits.file_bytes)
    line_bytes = limits.line_bytes
    try:
        sniffed = sniff(path, line_bytes)
    except OSError as exc:
        raise _file_error(
            path, _("fichier illisible (%(error)s)") % {"error": exc.strerror}
        ) from exc
    if sniffed.problem is not None:
        raise _file_error(path, _not_a_table(sniffed))
    if sniffed.long_line >= 0:
        raise _file_error(
            path,
            _(
                "une ligne de plus de %(size)s octets (jusqu'à l'octet %(where)s) : ce n'est "
                "pas un tableau CSV (guillemet jamais fermé ?)"
            )
            % {"size": number(line_bytes), "where": number(sniffed.long_line)},
        )
    codec = sniffed.encoding
    note = _("encodage détecté : %(encoding)s") % {"encoding": _(ENCODING_LABELS[codec])}
    if codec in ("cp1252", "latin-1"):
        note += _(" (le fichier n'est pas en UTF-8)")
    return codec, [note]


def read_sample(path: Path, encoding: str) -> tuple[str, bool]:
    """The first SAMPLE_CHARS characters, cut after the last full line; (text, truncated)."""
    with path.open(encoding=encoding, newline="") as handle:
        text = handle.read(SAMPLE_CHARS + 1)
    if len(text) <= SAMPLE_CHARS:
        return text, False
    cut = max(text.rfind("\n", 0, SAMPLE_CHARS), text.rfind("\r", 0, SAMPLE_CHARS))
    return (text[: cut + 1] if cut > 0 else text[:SAMPLE_CHARS]), True


def allow_long_fields(limits: Limits) -> None:
    """Let the csv module read cells up to a line's length (131,072 characters by default, a
    process-wide setting): a long cell then rejects its row instead of failing the file."""
    if csv.field_size_limit() < limits.line_bytes:
        csv.field_size_limit(limits.line_bytes)


def sample_records(sample: str, delimiter: str, truncated: bool) -> list[list[str]]:
    """The sample's records; line ends LF, CRLF or a bare CR (old Mac files) alike."""
    try:
        records = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
    except csv.Error:  # a quote left open in the sample: read up to it
        records = []
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        while True:
            try:
                records.append(next(reader))
            except (csv.Error, StopIteration):
                break
    if truncated and records:
        records.pop()  # may be cut inside a quoted field
    return records


def _consistency(records: Sequence[Sequence[str]]) -> tuple[float, int]:
    """(share of non-blank records having the most common cell count, that count)."""
    counts = Counter(len(r) for r in records if any(cell.strip() for cell in r))
    if not counts:
        return 0.0, 0
    width, hits = counts.most_common(1)[0]
    return hits / sum(counts.values()), width


def detect_delimiter(sample: str, truncated: bool) -> str:
    """csv.Sniffer first; kept when its delimiter splits the lines consistently, otherwise the
    delimiter giving the most consistent cell count (≥ 2 cells) across the sample."""
    sniffed: str | None
    lines = sample[:65536].replace("\r\n", "\n").replace("\r", "\n")  # the Sniffer splits on LF
    try:
        sniffed = csv.Sniffer().sniff(lines, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    scores = {d: _consistency(sample_records(sample, d, truncated)) for d in DELIMITERS}
    if sniffed in scores:
        share, width = scores[sniffed]
        if width >= 2 and share >= 0.9 and share >= max(s for s, w in scores.values() if w >= 2):
            return sniffed
    usable = [(share, width, d) for d, (share, width) in scores.items() if width >= 2]
    if not usable:
        return sniffed or ","  # a single column: any delimiter reads it
    # Highest share of consistent lines wins; ties go to more columns, then to the order above.
    usable.sort(key=lambda item: (-round(item[0], 3), -item[1], DELIMITERS.index(item[2])))
    return usable[0][2]


def is_numeric(text: str) -> bool:
    return bool(_NUMERIC.match(text.strip().replace("\u00a0", "")))


def looks_like_header(cells: Sequence[str]) -> bool:
    """Mostly filled, mostly non-numeric cells."""
    filled = [c for c in cells if c.strip()]
    if not filled or len(filled) * 2 <= len(cells):
        return False
    return sum(is_numeric(c) for c in filled) * 2 < len(filled)


def trimmed_width(cells: Sequence[str]) -> int:
    width = len(cells)
    while width and not cells[width - 1].strip():
        width -= 1
    return width


def find_csv_header(records: Sequence[Sequence[str]]) -> tuple[int, int] | None:
    """(index, width) of the first record spanning more than half the usual cell count of the
    file and whose cells look like column names; None when no record qualifies. The width
    covers trailing unnamed header cells only when the data rows below fill them."""
    counts = Counter(len(r) for r in records if any(c.strip() for c in r))
    if not counts:
        return None
    bulk = counts.most_common(1)[0][0]
    for index, record in enumerate(records[:HEADER_SEARCH_ROWS]):
        width = trimmed_width(record)
        if width * 2 > bulk and looks_like_header(record[:width]):
            used = max((trimmed_width(r) for r in records[index + 1 :]), default=0)
            return index, max(width, min(len(record), used))
    return None


def find_sheet_header(rows: Sequence[Sequence[str]]) -> int | None:
    """Same for spreadsheet rows, whose trailing empty cells are not written: the header is the
    first row spanning more than half the widest row, with header-like cells."""
    widths = [trimmed_width(r) for r in rows]
    widest = max(widths, default=0)
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        width = widths[index]
        if width * 2 > widest and looks_like_header(row[:width]):
            return index
    return None


def clean_header(cells: Iterable[str]) -> tuple[list[str], list[str]]:
    """Column names made unique and non-empty; (names, notes)."""
    names: list[str] = []
    notes: list[str] = []
    seen: set[str] = set()
    for position, cell in enumerate(cells, start=1):
        name = " ".join(str(cell).split())
        if not name:
            name = f"colonne_{position}"
            notes.append(
                _("colonne %(position)s sans nom : appelée « %(name)s »")
                % {"position": position, "name": name}
            )
        if name in seen:
            base, suffix = name, 2
            while f"{base}_{suffix}" in seen:
                suffix += 1
            name = f"{base}_{suffix}"
            notes.append(
                _("nom de colonne « %(name)s » en double : la suivante est « %(renamed)s »")
                % {"name": base, "renamed": name}
            )
        seen.add(name)
        names.append(name)
    return names, notes


def check_header(path: Path, header: Sequence[str], limits: Limits) -> None:
    """SourceFileError for a header wider than allowed, or a column name longer than a
    name can reasonably be (it is stored with the job)."""
    if len(header) > limits.columns:
        raise _file_error(
            path,
            _("%(count)s colonnes, au plus %(limit)s (MAILLAGE_IMPORT_MAX_COLUMNS)")
            % {"count": number(len(header)), "limit": number(limits.columns)},
        )
    longest = max(map(len, header), default=0)
    if longest > HEADER_NAME_CHARS:
        raise _file_error(
            path,
            _(
                "un nom de colonne de %(size)s caractères, au plus %(limit)s : l'en-tête est-il le bon ?"
            )
            % {"size": number(longest), "limit": number(HEADER_NAME_CHARS)},
        )


CELL_KIND_LABELS = {
    "email": gettext_noop("adresse e-mail"),
    "url": gettext_noop("adresse web"),
    "phone": gettext_noop("téléphone"),
    "postcode": gettext_noop("code postal"),
    "number": gettext_noop("nombre"),
}


def data_cells(cells: Sequence[str]) -> list[tuple[str, str]]:
    """(cell, kind) of the cells that look like data, not like column names: an e-mail, a web
    address, a phone number, a postcode, a number (a year is a column name of wide tables)."""
    found = []
    for cell in cells:
        kind = cell_kind(cell)
        if kind is not None and not _YEAR.match(cell.strip()):  # « 2019 »: a year column
            found.append((cell.strip(), kind))
    return found


def sheet_data_start(rows: Sequence[Sequence[str]]) -> int | None:
    """When no row looks like a header: the first non-blank row if it holds text and codes
    (an e-mail, a web address, a phone, a postcode), a record of a file without header; None
    for anything else (a grid of numbers is not a table of places)."""
    first = next((i for i, r in enumerate(rows) if any(c.strip() for c in r)), None)
    if first is None:
        return None
    record = rows[first]
    kinds = {kind for _cell, kind in data_cells(record)}
    if kinds - {"number"} and any(c.strip() and not cell_kind(c) for c in record):
        return first
    return None


def headerless_note(line: int, found: list[tuple[str, str]], width: int) -> str:
    shown = ", ".join(
        _("« %(cell)s » : %(kind)s") % {"cell": cell[:60], "kind": _(CELL_KIND_LABELS[kind])}
        for cell, kind in found[:3]
    )
    return _(
        "la ligne %(line)s ressemble à des données, pas à des noms de colonnes (%(cells)s) : "
        "lue comme un enregistrement ; colonnes appelées « %(first)s » à « %(last)s », "
        'désignées par leur numéro dans la correspondance ("header": false, '
        '"fields": {"name": 1, …})'
    ) % {
        "line": line,
        "cells": shown,
        "first": position_name(1),
        "last": position_name(width),
    }


def detect_decimal_comma(records: Sequence[Sequence[str]]) -> bool:
    comma = dot = 0
    for record in records:
        for cell in record:
            if _DECIMAL_COMMA.match(cell):
                comma += 1
            elif _DECIMAL_DOT.match(cell):
                dot += 1
    return comma > dot


def detect_csv(
    path: Path,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    with_header: bool | None = None,
) -> CsvLayout:
    """Detect the layout of a CSV file; the arguments force what the mapping pins down. A
    first line that looks like data (e-mail, web address, phone, postcode, number in a
    "column name") is read as a record, its columns named by position."""
    limits = import_limits()
    allow_long_fields(limits)
    detected_encoding, notes = check_text_file(path, limits)
    if encoding:
        notes = [_("encodage imposé par la correspondance : %(encoding)s") % {"encoding": encoding}]
    encoding = encoding or detected_encoding
    try:
        sample, truncated = read_sample(path, encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise _file_error(
            path,
            _("illisible avec l'encodage « %(encoding)s » (%(error)s)")
            % {"encoding": encoding, "error": exc},
        ) from exc
    if not delimiter:
        delimiter = detect_delimiter(sample, truncated)
        notes.append(
            _("séparateur détecté : %(label)s « %(delimiter)s »")
            % {"label": _(DELIMITER_LABELS[delimiter]), "delimiter": delimiter}
        )
    records = sample_records(sample, delimiter, truncated)
    has_header = True
    if with_header is False:
        has_header, header_index = False, -1
        counts = Counter(len(r) for r in records if any(c.strip() for c in r))
        width = counts.most_common(1)[0][0] if counts else 1
        raw_header = [position_name(p) for p in range(1, width + 1)]
        notes.append(
            _(
                "pas de ligne d'en-tête (correspondance) : colonnes appelées « %(first)s » à "
                "« %(last)s »"
            )
            % {"first": position_name(1), "last": position_name(width)}
        )
    elif header_row:
        header_index = header_row - 1
        if header_index >= len(records):
            raise _file_error(
                path, _("la ligne d'en-tête %(row)s n'existe pas") % {"row": header_row}
            )
        raw_header = records[header_index]
    else:
        found = find_csv_header(records)
        if found is None and with_header is None:  # no header-like line: data from line 1?
            first = sheet_data_start(records)
            if first is not None:
                counts = Counter(len(r) for r in records if any(c.strip() for c in r))
                found = first or 0, counts.most_common(1)[0][0]
        if found is None:
            raise _file_error(
                path,
                _(
                    "en-tête introuvable : aucune des premières lignes ne ressemble à des noms "
                    "de colonnes (le fichier est-il un tableau CSV avec une ligne d'en-tête ? "
                    'sinon, déclarez "header": false dans la correspondance)'
                ),
            )
        header_index, width = found
        raw_header = records[header_index][:width]
        looks_like_data = data_cells(raw_header) if with_header is None else []
        if looks_like_data:
            has_header = False
            # Data lines above it, taken for titles because of their codes, are data too.
            header_index = next(
                i for i in range(header_index + 1) if trimmed_width(records[i]) * 2 > width
            )
            looks_like_data = data_cells(records[header_index]) or looks_like_data
            notes.append(headerless_note(header_index + 1, looks_like_data, width))
            raw_header = [position_name(p) for p in range(1, width + 1)]
            header_index -= 1
        if header_index > 0 and has_header:
            notes.append(
                _(
                    "%(count)s ligne(s) avant l'en-tête ignorée(s) (titre ou lignes vides) ; "
                    "en-tête en ligne %(line)s"
                )
                % {"count": header_index, "line": header_index + 1}
            )
        elif header_index >= 0 and not has_header:
            notes.append(
                _("%(count)s ligne(s) de titre avant les données ignorée(s)")
                % {"count": header_index + 1}
            )
    header, header_notes = clean_header(raw_header)
    check_header(path, header, limits)
    notes.extend(header_notes)
    data = records[header_index + 1 :]
    decimal_comma = detect_decimal_comma(data)
    if decimal_comma:
        notes.append(_("nombres à virgule décimale (48,11) détectés"))
    return CsvLayout(
        encoding,
        delimiter,
        header_index,
        header,
        decimal_comma,
        notes,
        has_header,
        [r for r in data[:HEADER_SEARCH_ROWS] if any(c.strip() for c in r)],
    )


def open_workbook(path: Path, limits: Limits | None = None) -> Any:
    """The workbook in read-only mode, in bounded memory (see xlsx_bounded); SourceFileError
    when the file is not a sound XLSX or breaks a limit."""
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise _file_error(
            path, _("fichier illisible (%(error)s)") % {"error": exc.strerror}
        ) from exc
    problem = head_problem(head)
    if problem == EMPTY:
        raise _file_error(path, _("le fichier est vide"))
    if problem != ZIP:
        if problem == HTML:
            reason = _("c'est une page web (HTML), sans doute une page d'erreur, pas un classeur")
        elif problem == XLS:
            reason = _("c'est un classeur de l'ancien format (.xls) : enregistrez-le en .xlsx")
        else:
            reason = _("ce n'est pas un classeur XLSX (pour un CSV, utilisez le format csv)")
        raise _file_error(path, reason)
    try:
        return open_bounded_workbook(path, limits or import_limits())
    except SourceFileError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a broken archive
        raise SourceFileError(
            _("%(file)s : classeur XLSX tronqué ou endommagé (%(error)s)")
            % {"file": path.name, "error": exc.__class__.__name__}
        ) from exc


def pick_sheet(workbook: Any, wanted: object, path: Path) -> Any:
    """The sheet named (or numbered from 1) by the mapping; the first one by default."""
    names = list(workbook.sheetnames)
    if wanted is None:
        return workbook.worksheets[0]
    if isinstance(wanted, int) and 1 <= wanted <= len(names):
        return workbook.worksheets[wanted - 1]
    if isinstance(wanted, str) and wanted in names:
        return workbook[wanted]
    raise _file_error(
        path,
        _("feuille « %(sheet)s » introuvable ; feuilles : %(sheets)s")
        % {"sheet": wanted, "sheets": ", ".join(names)},
    )
