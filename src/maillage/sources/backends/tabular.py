"""Generic tabular backends: any CSV (`csv`) or XLSX workbook (`xlsx`) read through a
declarative column mapping (see tabular_mapping for its format).

Without a mapping, one is proposed from the header (`propose_mapping`); `effective_mapping`
gives the mapping actually used — after a full pass it also lists, with an empty code, every
category or status value that the table did not know, so the user can fill them in.

Raw rows (`RawRow.data`) hold the cells keyed by column name, exactly as read (XLSX dates as
ISO text). A row whose cell count differs from the header's is still handed out, with two
reserved keys — `CELLS_MISMATCH_KEY`: [expected, got] and, when longer, `EXTRA_CELLS_KEY`: the
surplus cells — and `parse()` rejects it with a reason. Wholly empty lines are not rows: they
are counted in `notes`. `RawRow.number` is the 1-based position of the data row (the header
and the title lines above it are not counted).
"""

import copy
import csv
import datetime
import itertools
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_noop

from maillage.core.i18n import gettext as _  # per row: see core/i18n.py

from .. import coords
from ..errors import RowRejected, SourceFileError
from ..limits import OVERSIZE_KEY, Limits, bound_cells, import_limits, oversize_reason
from ..records import Candidate, RawRow
from .base import Backend, BackendOptions
from .tabular_detect import (
    HEADER_SEARCH_ROWS,
    CsvLayout,
    check_header,
    clean_header,
    data_cells,
    detect_csv,
    find_sheet_header,
    headerless_note,
    open_workbook,
    pick_sheet,
    sheet_data_start,
    trimmed_width,
)
from .tabular_mapping import (
    Proposal,
    ResolvedMapping,
    ValueTable,
    as_positions,
    check_mapping,
    position_name,
    propose,
    propose_by_content,
    propose_mapping,
    resolve_mapping,
)
from .xlsx_bounded import check_row_count, sheet_rows

CELLS_MISMATCH_KEY = "__cells_mismatch__"
EXTRA_CELLS_KEY = "__extra_cells__"
_RESERVED_KEYS = (CELLS_MISMATCH_KEY, EXTRA_CELLS_KEY, OVERSIZE_KEY)
EMPTY_ROW_REASON = gettext_noop("ligne vide ou sans nom, ni adresse, ni coordonnées")
_UNMATCHED_LIMIT = 200
_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_FRENCH_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: .*)?$")
_YEAR = re.compile(r"^\d{4}$")
_ZEROS = re.compile(r"^0+$")
_PHONE_DIGITS = re.compile(r"^[1-9](?:[\s.-]?\d{2}){4}$")  # 9 digits: the leading 0 lost

__all__ = [
    "CELLS_MISMATCH_KEY",
    "EXTRA_CELLS_KEY",
    "CsvBackend",
    "XlsxBackend",
    "propose_mapping",
]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _joined(data: dict[str, Any], columns: tuple[str, ...]) -> str:
    if len(columns) == 1:
        value = data.get(columns[0])
        return value.strip() if type(value) is str else _text(value)  # CSV cells are text
    return " ".join(v for v in (_text(data.get(c)) for c in columns) if v)


def _code(value: str, label: str, notes: list[str]) -> str:
    """Postcode or INSEE code: zero-pad what a spreadsheet turned into a 4-digit number."""
    value = value.replace(" ", "").upper()
    if _ZEROS.match(value):
        notes.append(
            _("%(label)s « %(value)s » ignoré (valeur de remplissage)")
            % {"label": label, "value": value}
        )
        return ""
    if value.isdigit() and len(value) == 4:
        notes.append(
            _(
                "%(label)s %(value)s complété en 0%(value)s (zéro initial perdu, sans doute par "
                "un tableur)"
            )
            % {"label": label, "value": value}
        )
        return "0" + value
    return value


_POSTCODE_CELL = re.compile(r"^(\d{4,5})\b\s*(.*)$")
_CEDEX = re.compile(r"\bcedex\b(\s*\d+)?", re.IGNORECASE)


def _postcode_cell(
    value: str, data: dict[str, Any], mapping: ResolvedMapping, candidate: Candidate
) -> str:
    """A postcode cell that also holds « CEDEX » or the town (`30032 CEDEX`, `32000 Auch`):
    the code alone; the town goes to `city` when no column gives it."""
    match = _POSTCODE_CELL.match(value)
    if match is None:
        return value
    code, rest = match.group(1), _CEDEX.sub("", match.group(2)).strip(" ,-")
    if rest and not _joined(data, mapping.text.get("city", ())):
        candidate.city = rest
    return code


def _phone(value: str, notes: list[str]) -> str:
    """A French phone number of 9 digits (a spreadsheet took it for a number and dropped its
    leading 0) gets its 0 back, with a note."""
    if _PHONE_DIGITS.match(value):
        restored = "0" + value
        notes.append(
            _(
                "téléphone %(value)s complété en %(restored)s (zéro initial perdu, sans doute "
                "par un tableur)"
            )
            % {"value": value, "restored": restored}
        )
        return restored
    digits = re.sub(r"\D", "", value)
    if (
        value[:1].isdigit()
        and value.replace(" ", "").replace(".", "").isdigit()
        and (len(digits) < 9)
    ):
        notes.append(
            _("téléphone « %(value)s » incomplet (%(count)s chiffres)")
            % {"value": value, "count": len(digits)}
        )
    return value


def _date(value: str, column: str, notes: list[str]) -> datetime.date | None:
    try:
        if match := _ISO_DATE.match(value):
            year, month, day = (int(g) for g in match.groups())
            return datetime.date(year, month, day)
        if match := _FRENCH_DATE.match(value):
            day, month, year = (int(g) for g in match.groups())
            return datetime.date(year, month, day)
        if _YEAR.match(value):
            notes.append(
                _("date « %(value)s » (colonne %(column)s) : année seule, 1er janvier retenu")
                % {"value": value, "column": column}
            )
            return datetime.date(int(value), 1, 1)
    except ValueError:
        pass
    notes.append(
        _("date « %(value)s » illisible (colonne %(column)s)") % {"value": value, "column": column}
    )
    return None


def _coordinates(data: dict[str, Any], mapping: ResolvedMapping, candidate: Candidate) -> None:
    notes = candidate.notes
    if mapping.latlon:
        raw = _text(data.get(mapping.latlon))
        if not raw:
            return
        pair = coords.parse_lat_lon_pair(raw.strip("[]() "))
        if pair is None:
            notes.append(
                _("coordonnées « %(value)s » illisibles (colonne %(column)s)")
                % {"value": raw, "column": mapping.latlon}
            )
            return
        candidate.lat, candidate.lon = pair
        return
    if not (mapping.lat and mapping.lon):
        return
    raw_y, raw_x = data.get(mapping.lat), data.get(mapping.lon)
    y, x = coords.parse_number(raw_y), coords.parse_number(raw_x)
    if x is None or y is None:
        if _text(raw_x) or _text(raw_y):
            notes.append(
                _("coordonnées illisibles (« %(y)s », « %(x)s »)")
                % {"y": _text(raw_y), "x": _text(raw_x)}
            )
        return
    if mapping.coordinates == "lambert93" or (
        mapping.coordinates == "auto" and coords.looks_like_lambert93(x, y)
    ):
        lon, lat = coords.lambert93_to_wgs84(x, y)
        if not (abs(lon) <= 180 and abs(lat) <= 90):
            notes.append(
                _("coordonnées Lambert-93 (%(x)s, %(y)s) hors de portée") % {"x": x, "y": y}
            )
            return
        candidate.lon, candidate.lat = lon, lat
        notes.append(_("coordonnées Lambert-93 converties en WGS84"))
        return
    candidate.lat, candidate.lon = y, x


def _translate(
    data: dict[str, Any], table: ValueTable, what: str, notes: list[str]
) -> list[tuple[str, str]]:
    """(value, code) pairs that the table knows, in cell order; unknown values are noted."""
    column = ", ".join(table.columns)
    raw = _joined(data, table.columns)
    if not raw:
        notes.append(_("%(what)s vide (colonne %(column)s)") % {"what": what, "column": column})
        return []
    parts = [p.strip() for p in raw.split(table.separator)] if table.separator else [raw]
    found: list[tuple[str, str]] = []
    for part in filter(None, parts):
        code = table.lookup(part)
        if code is None:
            notes.append(
                _("%(what)s « %(value)s » (colonne %(column)s) absente de la correspondance")
                % {"what": what, "value": part, "column": column}
            )
            if part in table.unmatched or len(table.unmatched) < _UNMATCHED_LIMIT:
                table.unmatched[part] = table.unmatched.get(part, 0) + 1
        elif code:
            found.append((part, code))
        else:
            notes.append(
                _("%(what)s « %(value)s » (colonne %(column)s) sans code dans la correspondance")
                % {"what": what, "value": part, "column": column}
            )
    return found


def _category(
    data: dict[str, Any], table: ValueTable | None, forced: str, candidate: Candidate
) -> None:
    if forced:
        candidate.category = forced
        candidate.category_rule = _("--category %(code)s (toute la source)") % {"code": forced}
        return
    if table is None:
        return
    if table.constant is not None:
        candidate.category = table.constant
        candidate.category_rule = _("catégorie fixée par la correspondance → %(code)s") % {
            "code": table.constant
        }
        return
    found = _translate(data, table, _("catégorie"), candidate.notes)
    if found:
        value, code = found[0]
        candidate.category = code
        candidate.category_rule = _("colonne %(column)s = « %(value)s » → %(code)s") % {
            "column": ", ".join(table.columns),
            "value": value,
            "code": code,
        }
        candidate.secondary_categories = list(
            dict.fromkeys(c for _part, c in found[1:] if c != code)
        )


def build_candidate(data: dict[str, Any], mapping: ResolvedMapping, forced: str) -> Candidate:
    """One raw row → Candidate, through a resolved mapping; RowRejected when unusable."""
    if OVERSIZE_KEY in data:
        raise RowRejected(str(data[OVERSIZE_KEY]))
    if CELLS_MISMATCH_KEY in data:
        expected, got = data[CELLS_MISMATCH_KEY]
        raise RowRejected(
            _(
                "ligne de %(got)s cellule(s) au lieu de %(expected)s (séparateur ou guillemets "
                "mal placés ?)"
            )
            % {"got": got, "expected": expected}
        )
    candidate = Candidate()
    notes = candidate.notes
    for name, columns in mapping.text.items():
        value = _joined(data, columns)
        if not value:
            continue
        if name == "postcode":
            value = _code(_postcode_cell(value, data, mapping, candidate), _("code postal"), notes)
            if value and not (value.isdigit() and len(value) == 5):
                notes.append(
                    _("code postal « %(value)s » non reconnu (5 chiffres attendus)")
                    % {"value": value}
                )
                value = ""
        elif name == "insee_code":
            value = _code(value, _("code INSEE"), notes)
            if value and not _INSEE.match(value):
                notes.append(_("code INSEE « %(value)s » mal formé") % {"value": value})
        elif name == "siret":
            value = value.replace(" ", "")
        elif name == "contact_phone":
            value = _phone(" ".join(value.split()), notes)
        elif name != "description":
            value = " ".join(value.split())
        setattr(candidate, name, value)
    for name, column in mapping.dates.items():
        if value := _text(data.get(column)):
            setattr(candidate, name, _date(value, column, notes))
    _coordinates(data, mapping, candidate)
    _category(data, mapping.category, forced, candidate)
    if mapping.status is not None:
        if mapping.status.constant is not None:
            candidate.status = mapping.status.constant
        elif found := _translate(data, mapping.status, _("statut"), notes):
            candidate.status = found[0][1]
    for column in mapping.extra:
        candidate.extra[column] = data.get(column)
    if not candidate.name and mapping.unnamed_reason:
        raise RowRejected(mapping.unnamed_reason)
    if not candidate.name and candidate.lat is None and not candidate.address:
        raise RowRejected(_(EMPTY_ROW_REASON))
    return candidate


class _TabularBackend(Backend):
    """What the csv and xlsx backends share: the mapping and parse()."""

    checks_cells = True  # rows() does, once per row (see limits.py)

    def __init__(self, options: BackendOptions | None = None) -> None:
        super().__init__(options)
        self.header: list[str] = []
        self._mapping: ResolvedMapping | None = None

    @property
    def effective_mapping(self) -> dict[str, Any] | None:
        """The mapping actually used (given or proposed), None before rows() read the header.
        Category and status values met but absent from the tables appear with an empty code."""
        if self._mapping is None:
            return None
        result = copy.deepcopy(self._mapping.source)
        for key in ("category", "status"):
            table = getattr(self._mapping, key)
            if table is not None and table.unmatched:
                values = result[key].setdefault("values", {})
                for value in sorted(table.unmatched):
                    values.setdefault(value, "")
        return result

    def _use_header(
        self, header: list[str], content: list[list[str]] | None = None
    ) -> ResolvedMapping:
        """Resolve the given mapping, or propose one: from the header's names, or from the
        cells' `content` when the file has no header."""
        self.header = header
        given = self.options.mapping
        proposed = not given
        proposal: Proposal | None = None
        if proposed:
            proposal = propose(header) if content is None else propose_by_content(header, content)
        mapping = proposal.mapping if proposal else given
        self._mapping = resolve_mapping(mapping, header, proposed)
        if proposal:
            self.notes.append(
                _("aucune correspondance fournie : correspondance proposée d'après l'en-tête")
                if content is None
                else _("aucune correspondance fournie : correspondance proposée d'après le contenu")
            )
            self.notes.extend(proposal.notes)
            self._mapping.unnamed_reason = proposal.unnamed_reason
        return self._mapping

    def personal_cells(self) -> dict[str, list[tuple[str, ...]]]:
        if self._mapping is None:
            return {}
        return {
            name: [(column,) for column in self._mapping.text[name]]
            for name in ("contact_name", "contact_email", "contact_phone")
            if self._mapping.text.get(name)
        }

    def _remote_id(self, data: dict[str, Any]) -> str | None:
        column = self._mapping.remote_id if self._mapping else None
        return (_text(data.get(column)) or None) if column else None

    def parse(self, row: RawRow) -> Candidate:
        if self._mapping is None:  # a row stored earlier, parsed again without reading the file
            header = [k for k in row.data if k not in _RESERVED_KEYS]
            positional = header == [position_name(p) for p in range(1, len(header) + 1)]
            content = [[_text(row.data[k]) for k in header]] if positional else None
            self._use_header(header, content)
        assert self._mapping is not None
        return build_candidate(row.data, self._mapping, self.options.category)


def _uneven(header: list[str], record: list[str]) -> dict[str, Any] | None:
    """A record whose length differs from the header's: None when blank, else its data, with
    the mismatch recorded unless only empty trailing cells are in excess."""
    trimmed = trimmed_width(record)
    if not trimmed:
        return None
    width = len(header)
    data: dict[str, Any] = dict(zip(header, record, strict=False))
    if len(record) > width and trimmed <= width:
        return data
    if len(record) > width:
        data[EXTRA_CELLS_KEY] = record[width:]
    data[CELLS_MISMATCH_KEY] = [width, len(record)]
    return data


class CsvBackend(_TabularBackend):
    name = "csv"
    label = "Fichier CSV (correspondance de colonnes)"

    def __init__(self, options: BackendOptions | None = None) -> None:
        super().__init__(options)
        self.layout: CsvLayout | None = None

    def rows(self, path: Path) -> Iterator[RawRow]:
        given = self.options.mapping
        if given:
            check_mapping(given)
        layout = detect_csv(
            path,
            given.get("encoding"),
            given.get("delimiter"),
            given.get("header_row"),
            given.get("header"),
        )
        self.layout, self.notes = layout, list(layout.notes)
        mapping = self._use_header(layout.header, None if layout.has_header else layout.sample)
        mapping.source.update(
            encoding=layout.encoding,
            delimiter=layout.delimiter,
            decimal="," if layout.decimal_comma else ".",
        )
        if layout.has_header:
            mapping.source["header_row"] = layout.header_index + 1
        else:
            mapping.source = as_positions(mapping.source, layout.header)
            mapping.source["header"] = False
        yield from self._stream(path, layout)

    def _stream(self, path: Path, layout: CsvLayout) -> Iterator[RawRow]:
        header, width = layout.header, len(layout.header)
        id_column = self._mapping.remote_id if self._mapping else None
        number = blank = 0
        limits = import_limits()
        cell_chars, columns = limits.cell_chars, limits.columns
        with path.open(encoding=layout.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=layout.delimiter)
            try:
                for _skipped in itertools.islice(reader, layout.header_index + 1):
                    pass
                for record in reader:
                    data: dict[str, Any] | None
                    if len(record) == width and any(record):
                        data = dict(zip(header, record, strict=True))
                    else:
                        data = _uneven(header, record) if record else None
                    if data is None:
                        blank += 1
                        continue
                    # One sum per row: no cell can pass the cap while the row is shorter.
                    if len(record) > columns or sum(map(len, record)) > cell_chars:
                        reason = oversize_reason(header, record, limits)
                        if reason:
                            data = bound_cells(data, reason, limits)
                    number += 1
                    remote_id = (data.get(id_column, "").strip() or None) if id_column else None
                    yield RawRow(number, remote_id, data)
            except csv.Error as exc:
                raise SourceFileError(
                    _(
                        "%(file)s, ligne %(line)s : CSV illisible (%(error)s) — guillemet non fermé ?"
                    )
                    % {"file": path.name, "line": reader.line_num, "error": exc}
                ) from exc
        if blank:
            self.notes.append(_("%(count)s ligne(s) vide(s) ignorée(s)") % {"count": blank})


def _cell(value: object) -> Any:
    """An XLSX cell value, JSON-serialisable."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class XlsxBackend(_TabularBackend):
    name = "xlsx"
    label = "Classeur XLSX (correspondance de colonnes)"

    def rows(self, path: Path) -> Iterator[RawRow]:
        given = self.options.mapping
        if given:
            check_mapping(given)
        limits = import_limits()
        workbook = open_workbook(path, limits)
        try:
            sheet = pick_sheet(workbook, given.get("sheet"), path)
            check_row_count(sheet, limits, path.name)
            # Dimensions the file records are ignored (some writers get them wrong).
            values = sheet_rows(sheet, limits, path.name)
            head = list(itertools.islice(values, HEADER_SEARCH_ROWS))
            texts = [[_text(v) for v in row] for row in head]
            with_header = given.get("header")
            index = None if with_header is False else find_sheet_header(texts)
            if index is None and with_header is None:  # no header-like row: data from row 1?
                index = sheet_data_start(texts)
            if index is None and with_header is not False:
                raise SourceFileError(
                    _(
                        "%(file)s : en-tête introuvable dans la feuille « %(sheet)s » (aucune "
                        "des premières lignes ne ressemble à des noms de colonnes)"
                    )
                    % {"file": path.name, "sheet": sheet.title}
                )
            self.notes = [_("feuille « %(sheet)s »") % {"sheet": sheet.title}]
            row = texts[index][: trimmed_width(texts[index])] if index is not None else []
            looks_like_data = data_cells(row) if with_header is None else []
            if with_header is False or looks_like_data:
                yield from self._headerless(path, head, texts, index, looks_like_data, values)
                return
            assert index is not None
            header, notes = clean_header(row)
            check_header(path, header, limits)
            self.notes.extend(notes)
            if index:
                self.notes.append(
                    _("%(count)s ligne(s) avant l'en-tête ignorée(s)") % {"count": index}
                )
            self._use_header(header)
            yield from self._stream(header, itertools.chain(head[index + 1 :], values), limits)
        except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError) as exc:
            raise SourceFileError(
                _("%(file)s : classeur XLSX tronqué ou endommagé (%(error)s)")
                % {"file": path.name, "error": exc}
            ) from exc
        finally:
            workbook.close()

    def _headerless(
        self,
        path: Path,
        head: list[tuple[Any, ...]],
        texts: list[list[str]],
        index: int | None,
        looks_like_data: list[tuple[str, str]],
        values: Iterable[tuple[Any, ...]],
    ) -> Iterator[RawRow]:
        """A sheet without header row: its columns named by position (« colonne 1 »…)."""
        limits = import_limits()
        width = max((trimmed_width(r) for r in texts), default=1) or 1
        # Rows above the first data-like one are data too unless they are short titles.
        start = next((i for i in range((index or 0) + 1) if trimmed_width(texts[i]) * 2 > width), 0)
        header = [position_name(p) for p in range(1, width + 1)]
        check_header(path, header, limits)
        if looks_like_data:
            self.notes.append(headerless_note(start + 1, looks_like_data, width))
        else:
            self.notes.append(
                _(
                    "pas de ligne d'en-tête (correspondance) : colonnes appelées « %(first)s » à "
                    "« %(last)s »"
                )
                % {"first": position_name(1), "last": position_name(width)}
            )
        if start:
            self.notes.append(
                _("%(count)s ligne(s) de titre avant les données ignorée(s)") % {"count": start}
            )
        content = [r for r in texts[start:] if any(r)]
        mapping = self._use_header(header, content)
        mapping.source = as_positions(mapping.source, header)
        mapping.source["header"] = False
        yield from self._stream(header, itertools.chain(head[start:], values), limits)

    def _stream(
        self, header: list[str], values: Iterable[tuple[Any, ...]], limits: Limits
    ) -> Iterator[RawRow]:
        width = len(header)
        number = blank = 0
        for row in values:
            cells = [_cell(v) for v in row]
            got = len(cells)
            while got and (cells[got - 1] is None or cells[got - 1] == ""):
                got -= 1
            if not got:
                blank += 1
                continue
            data: dict[str, Any] = dict(zip(header, cells[:width], strict=False))
            if got > width:
                data[EXTRA_CELLS_KEY] = cells[width:got]
                data[CELLS_MISMATCH_KEY] = [width, got]
            if reason := oversize_reason(header, cells[:got], limits):
                data = bound_cells(data, reason, limits)
            number += 1
            yield RawRow(number, self._remote_id(data), data)
        if blank:
            self.notes.append(_("%(count)s ligne(s) vide(s) ignorée(s)") % {"count": blank})
