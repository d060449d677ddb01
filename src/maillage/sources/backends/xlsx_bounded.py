"""An XLSX workbook read in bounded memory, whatever it claims.

An XLSX file is a ZIP archive of XML parts: 400 KB can hold a 400 MB cell, millions of rows or
a row of millions of cells. openpyxl (read-only mode, pinned in pyproject.toml) streams the
sheets, but keeps one whole cell text, one whole row, the shared strings and the small parts
(styles, workbook) in memory. So, before anything is read:

- the archive's directory must declare at most `file_bytes` once decompressed, the shared
  strings an eighth of it, every other part (styles, workbook…) SMALL_PART_BYTES (zipfile then
  never decompresses more than a member declares);

and while openpyxl reads, each part goes through `_CappedXml`, which

- cuts a text longer than `_text_cap` bytes (the cell then has more characters than a cell
  may hold: its row is rejected, see limits.py), without ever holding more of it;
- refuses a tag longer than that, and more than RECORD_TAGS tags in one row (or shared
  string), or SMALL_PART_TAGS in a part without rows (styles…).

Rows are then taken from openpyxl's sheet parser directly (`sheet_rows`), not through
`iter_rows`, which fills the gaps a file claims (a row numbered 100,000,000, a cell in
column XFD) before we could count them.
"""

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from ..errors import SourceFileError
from ..limits import Limits, number

EXCEL_ROWS = 1_048_576  # what Excel itself can hold: a sheet claiming more is not a workbook
EXCEL_COLUMNS = 16_384
MEMBERS = 10_000
SMALL_PART_BYTES = 16 * 1024 * 1024
SMALL_PART_TAGS = 1_000_000
RECORD_TAGS = EXCEL_COLUMNS * 8  # <c>, <v>, <is>, <t>, rich text runs… with their closing tags
_CHUNK = 64 * 1024
_RECORD = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:row|si)[\s/>]")
_LAST_RECORD = re.compile(rb".*(" + _RECORD.pattern + rb")", re.DOTALL)


def _refuse(name: str, message: str) -> SourceFileError:
    return SourceFileError(
        _("%(file)s : classeur XLSX refusé : %(problem)s") % {"file": name, "problem": message}
    )


def _streamed(member: str) -> bool:
    return member.startswith("xl/worksheets/") or member == "xl/sharedStrings.xml"


def _safe_prefix(text: bytes, size: int) -> bytes:
    """The first `size` bytes of an XML text, shortened so as not to end inside a UTF-8
    character or an entity (`&amp;`, `&#233;`)."""
    cut = min(size, len(text))
    while cut > 0 and cut < len(text) and (text[cut] & 0xC0) == 0x80:
        cut -= 1
    amp = text.rfind(b"&", max(0, cut - 12), cut)
    if amp >= 0 and text.find(b";", amp, cut) < 0:
        cut = amp
    return text[:cut]


class _CappedXml:
    """A part of the archive as openpyxl reads it, with the caps of the module docstring.
    Tags pass untouched; only a text run over the cap is shortened."""

    def __init__(self, raw: IO[bytes], file: str, member: str, text_cap: int) -> None:
        self.raw = raw
        self.file = file
        self.member = member
        self.text_cap = text_cap
        self.records = _streamed(member)
        self.tag_cap = RECORD_TAGS if self.records else SMALL_PART_TAGS
        self.pending = b""  # from the last "<" read: a tag and its text may go on
        self.dropping = False  # inside a text run already cut: skip to the next "<"
        self.tags = 0  # tags since the last row (or shared string), or in the whole part

    def read(self, size: int = -1) -> bytes:
        parts = []
        while True:
            chunk = self.raw.read(_CHUNK)
            if not chunk:
                parts.append(self._flush())
                break
            if out := self._feed(chunk):
                parts.append(out)
                if size >= 0:
                    break
        return b"".join(parts)

    def _flush(self) -> bytes:
        rest, self.pending = self.pending, b""
        if self.dropping:
            return b""
        self._count(rest)
        if len(rest) > 2 * self.text_cap:
            return self._cap_open(rest)
        return rest

    def _feed(self, chunk: bytes) -> bytes:
        if self.dropping:
            start = chunk.find(b"<")
            if start < 0:
                return b""
            chunk, self.dropping = chunk[start:], False
        data = self.pending + chunk if self.pending else chunk
        last = data.rfind(b"<")
        if last <= 0:
            head, self.pending = b"", data
        else:
            head, self.pending = data[:last], data[last:]
        out = head
        if head:
            self._count(head)
            if len(head) > self.text_cap and max(map(len, head.split(b"<"))) > self.text_cap:
                out = b"<".join(self._cap_piece(p) for p in head.split(b"<"))
        if len(self.pending) > 2 * self.text_cap:  # no "<" for that long: cut the text now
            out += self._cap_open(self.pending)
            self.pending = b""
            self.dropping = True
        return out

    def _cap_piece(self, piece: bytes) -> bytes:
        """A tag and the text after it (up to the next "<"), the text cut to the cap."""
        if len(piece) <= self.text_cap:
            return piece
        end = piece.find(b">")
        if end < 0 or end > self.text_cap:
            raise self._too_long_tag()
        return piece[: end + 1] + _safe_prefix(piece[end + 1 :], self.text_cap)

    def _cap_open(self, piece: bytes) -> bytes:
        end = piece.find(b">")
        if end < 0 or end > self.text_cap:
            raise self._too_long_tag()
        return piece[: end + 1] + _safe_prefix(piece[end + 1 :], self.text_cap)

    def _too_long_tag(self) -> SourceFileError:
        return _refuse(
            self.file,
            _("balise XML de plus de %(size)s octets dans %(part)s")
            % {"size": number(self.text_cap), "part": self.member},
        )

    def _count(self, data: bytes) -> None:
        """Tags per row (or shared string), or per part: one row of millions of cells would
        be held whole by the parser."""
        if self.records and (first := _RECORD.search(data)):
            before = data.count(b"<", 0, first.start())
            if self.tags + before > self.tag_cap:
                raise self._too_many_tags()
            last = _LAST_RECORD.match(data)
            self.tags = data.count(b"<", last.start(1) if last else first.start())
            # Between two rows of this chunk: fewer tags than a chunk holds, below the cap.
            return
        self.tags += data.count(b"<")
        if self.tags > self.tag_cap:
            raise self._too_many_tags()

    def _too_many_tags(self) -> SourceFileError:
        what = _("une ligne") if self.records else self.member
        return _refuse(
            self.file,
            _("plus de %(count)s balises XML dans %(what)s")
            % {"count": number(self.tag_cap), "what": what},
        )

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> "_CappedXml":
        return self

    def __exit__(self, *args: object) -> None:
        self.close()


class BoundedArchive(zipfile.ZipFile):
    """The workbook's ZIP archive, checked from its directory before any part is read, whose
    parts are read through _CappedXml."""

    def __init__(self, path: Path, limits: Limits) -> None:
        super().__init__(path)
        self.label = path.name
        self.text_cap = (limits.cell_chars + 2) * 10  # "&#1114111;": 10 bytes per character
        members = self.infolist()
        if len(members) > MEMBERS:
            raise _refuse(
                path.name,
                _("plus de %(count)s fichiers dans l'archive") % {"count": number(MEMBERS)},
            )
        total = sum(m.file_size for m in members)
        if total > limits.file_bytes:
            raise _refuse(
                path.name,
                _(
                    "%(size)s octets une fois décompressé, au plus %(limit)s "
                    "(MAILLAGE_IMPORT_MAX_FILE_BYTES)"
                )
                % {"size": number(total), "limit": number(limits.file_bytes)},
            )
        for member in members:
            if member.filename == "xl/sharedStrings.xml":
                limit = limits.whole_file_bytes
            elif _streamed(member.filename):
                continue
            else:
                limit = SMALL_PART_BYTES
            if member.file_size > limit:
                raise _refuse(
                    path.name,
                    _(
                        "la partie %(part)s fait %(size)s octets une fois décompressée, au plus %(limit)s"
                    )
                    % {
                        "part": member.filename,
                        "size": number(member.file_size),
                        "limit": number(limit),
                    },
                )

    def open(self, name: Any, mode: Any = "r", pwd: Any = None, **kwargs: Any) -> Any:
        member = super().open(name, mode, pwd, **kwargs)
        if mode != "r":
            return member
        filename = name.filename if isinstance(name, zipfile.ZipInfo) else str(name)
        return _CappedXml(member, self.label, filename, self.text_cap)


def open_bounded_workbook(path: Path, limits: Limits) -> Any:
    """The workbook in read-only mode, its parts read through BoundedArchive."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    class _Sheet(ReadOnlyWorksheet):
        def _get_size(self) -> None:
            """Not read: sheet_rows ignores the recorded dimensions, and a sheet without them
            would be parsed whole a first time just to look for them."""

    class _Reader(ExcelReader):
        def __init__(self) -> None:
            with path.open("rb") as handle:  # a file object: no check of the file's extension
                super().__init__(handle, read_only=True, data_only=True, keep_links=False)
            self.archive = BoundedArchive(path, limits)
            self.valid_files = self.archive.namelist()

        def read_worksheets(self) -> None:
            """The read-only part of openpyxl's, with _Sheet; chart sheets are left out."""
            for sheet, rel in self.parser.find_sheets():
                if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                    ws = _Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
                    ws.sheet_state = sheet.state
                    self.wb._sheets.append(ws)

    reader = _Reader()
    try:
        reader.read()
    except BaseException:
        reader.archive.close()
        raise
    return reader.wb


def check_row_count(sheet: Any, limits: Limits, file: str) -> None:
    """Count the sheet's rows in its XML before openpyxl parses any (C-speed counting of
    "<row" tags, about a second per gigabyte): a 400 KB workbook of 3 million rows is refused
    at once rather than after a million rows parsed and rejected."""
    most_rows = min(limits.rows, EXCEL_ROWS)
    archive = sheet.parent._archive
    count, tail = 0, b""
    with zipfile.ZipFile.open(archive, sheet._worksheet_path) as raw:  # not capped: only counted
        while chunk := raw.read(1 << 20):
            data = tail + chunk
            count += data.count(b"<row") + data.count(b":row ") + data.count(b":row>")
            tail = data[-5:]
            count -= tail.count(b"<row") + tail.count(b":row ") + tail.count(b":row>")
            if count > most_rows:
                raise _refuse(
                    file,
                    _("la feuille compte au moins %(count)s lignes, au plus %(limit)s")
                    % {"count": number(count), "limit": number(most_rows)},
                )


def sheet_rows(sheet: Any, limits: Limits, file: str) -> Iterator[tuple[Any, ...]]:
    """The sheet's rows as tuples of values, gaps filled with empty rows, like openpyxl's
    `iter_rows(values_only=True)` after `reset_dimensions()`, but refusing a sheet that claims
    more rows than allowed before walking the gap, and never building more than
    `limits.columns` + 1 cells of a row (the last one tells the row is too wide)."""
    from openpyxl.worksheet._reader import WorkSheetParser

    workbook = sheet.parent
    most_rows = min(limits.rows, EXCEL_ROWS)
    width_cap = min(limits.columns, EXCEL_COLUMNS) + 1
    counter = 1
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for index, cells in parser.parse():
            if index > most_rows:
                raise _refuse(
                    file,
                    _("la feuille compte au moins %(count)s lignes, au plus %(limit)s")
                    % {"count": number(index), "limit": number(most_rows)},
                )
            while counter < index:  # rows the file left out
                counter += 1
                yield ()
            if counter > index:  # a row repeated or out of order: openpyxl skips it too
                continue
            counter += 1
            if not cells:
                yield ()
                continue
            width = min(max(cell["column"] for cell in cells), width_cap)
            row: list[Any] = [None] * width
            for cell in cells:
                column = cell["column"]
                if 1 <= column <= width:
                    row[column - 1] = cell["value"]
                elif column > width and row[-1] is None:  # stands for the cells beyond
                    row[-1] = cell["value"]
            yield tuple(row)
