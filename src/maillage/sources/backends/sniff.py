"""What a file really is, before a backend reads it: the one set of rules every backend's
file checks follow (its own wording of the problem stays with the backend family).

A file is refused when it is empty (blank, or only a byte order mark), compressed (gzip), an
HTML or XML page (a portal's error page saved under the data file's name), a ZIP archive or
XLSX workbook, an old Excel workbook, a PDF, or binary (a NUL byte, or more than 1 % of
control bytes in any megabyte). Otherwise its encoding is strict UTF-8 when every byte
decodes (`utf-8-sig` with a byte order mark), UTF-16 with its byte order mark, else
Windows-1252, or Latin-1 when bytes undefined in Windows-1252 occur; a file announcing UTF-8
by its byte order mark but holding invalid bytes is refused.
"""

import codecs
import re
from pathlib import Path
from typing import NamedTuple

HEAD_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
_BLANK = b"\xef\xbb\xbf \t\r\n"  # what an empty file may still hold
_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body)", re.IGNORECASE)
_XML_START = re.compile(rb"^\s*<\?xml", re.IGNORECASE)
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
_CONTROL_SHARE = 0.01

# What a file is instead of text (Sniffed.problem).
EMPTY = "empty"
GZIP = "gzip"
HTML = "html"
XML = "xml"
ZIP = "zip"  # a ZIP archive, XLSX workbooks included
XLS = "xls"  # an Excel workbook of the old format
PDF = "pdf"
BINARY = "binary"  # NUL or control bytes (Sniffed.offset: where the first one is)
BAD_BOM = "bad-bom"  # a UTF-8 byte order mark, then bytes that are not UTF-8

_SIGNATURES = (
    (b"\x1f\x8b", GZIP),
    (b"PK\x03\x04", ZIP),
    (b"\xd0\xcf\x11\xe0", XLS),
    (b"%PDF", PDF),
)


class Sniffed(NamedTuple):
    problem: str | None  # one of the kinds above; None: a text file
    encoding: str  # Python codec of a text file, "" otherwise
    head: bytes  # the first HEAD_BYTES bytes
    offset: int = 0  # BINARY: offset of the first NUL or control byte
    # With `line_limit`: offset of the end of the first line longer than that many bytes (a
    # table is not one 400 MB line), or -1.
    long_line: int = -1


def head_problem(head: bytes) -> str | None:
    """What the first bytes of a file say it is, when that is not a text table: EMPTY, a
    known signature, HTML, XML or BINARY; None when they may be text."""
    if not head.strip(_BLANK):
        return EMPTY
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    plain = head.removeprefix(codecs.BOM_UTF8)
    if _HTML_START.match(plain):
        return HTML
    if _XML_START.match(plain):
        return XML
    if is_utf16(head):
        return None
    return BINARY if _binary(head) else None


def is_utf16(head: bytes) -> bool:
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def _binary(chunk: bytes) -> bool:
    return b"\x00" in chunk or _control_share(chunk) > _CONTROL_SHARE


def _control_share(chunk: bytes) -> float:
    return (len(chunk) - len(chunk.translate(None, _CONTROL_BYTES))) / max(len(chunk), 1)


def _first_control(chunk: bytes) -> int:
    positions = [chunk.find(bytes([b])) for b in (0, *_CONTROL_BYTES)]
    return min((p for p in positions if p >= 0), default=0)


def _newline_bounds(chunk: bytes) -> tuple[int, int]:
    """(first, last) offset of a line end (LF or bare CR) in the chunk, (-1, -1) if none."""
    firsts = [p for p in (chunk.find(b"\n"), chunk.find(b"\r")) if p >= 0]
    if not firsts:
        return -1, -1
    return min(firsts), max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))


def sniff(path: Path, line_limit: int | None = None) -> Sniffed:
    """Read the whole file once, in chunks: its problem, or its encoding. OSError when the
    file cannot be read. With `line_limit` (at least _CHUNK bytes, so that a line inside one
    chunk never passes it), also where the first longer line ends (`long_line`)."""
    assert line_limit is None or line_limit >= _CHUNK
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
        problem = head_problem(head)
        if problem == BINARY:
            return Sniffed(BINARY, "", head, _first_control(head))
        if problem is not None:
            return Sniffed(problem, "", head)
        if is_utf16(head):
            return Sniffed(None, "utf-16", head)
        bom = head.startswith(codecs.BOM_UTF8)
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        utf8, cp1252 = True, True
        chunk, offset = head, 0
        line, long_line = 0, -1  # bytes since the last line end
        while chunk:
            if _binary(chunk):
                return Sniffed(BINARY, "", head, offset + _first_control(chunk))
            if line_limit is not None and long_line < 0:
                first, last = _newline_bounds(chunk)
                if first < 0:
                    line += len(chunk)
                else:
                    line += first
                if line > line_limit:
                    long_line = offset + (first if first >= 0 else len(chunk))
                line = line if first < 0 else len(chunk) - last - 1
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            if cp1252 and any(b in chunk for b in _CP1252_UNDEFINED):
                cp1252 = False
            offset += len(chunk)
            chunk = handle.read(_CHUNK)
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        return Sniffed(None, "utf-8-sig" if bom else "utf-8", head, 0, long_line)
    if bom:
        return Sniffed(BAD_BOM, "", head)
    return Sniffed(None, "cp1252" if cp1252 else "latin-1", head, 0, long_line)
