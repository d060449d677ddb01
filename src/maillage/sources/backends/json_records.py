"""The `json` backend: a list of records in JSON, read with the csv backend's mapping.

Accepted shapes, as people export them:

- a JSON array of objects: `[{"nom": …, "commune": …}, …]`;
- an object holding the array, at any depth up to three: `{"espaces_numeriques": [...]}`
  (the longest array of objects wins; the notes say which key, and a mapping may name it:
  `"records": "espaces_numeriques"`);
- data exported for a web page: `const lieux = [...];`, `var x = {...}`, `window.data = …`,
  `export default …`, with JavaScript's comments, trailing commas, single-quoted strings and
  bare keys — read through `relaxed_json`, which says what it had to undo.

Nested objects become dotted columns (`adresse.ville`), lists of plain values one cell
joined by « ; ». The columns are every key met, in the order met, and the mapping is
proposed from them exactly as for a CSV header. A GeoJSON FeatureCollection is sent to the
`geojson` backend.
"""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from maillage.core.i18n import gettext as _  # per row: see core/i18n.py

from ..errors import SourceFileError
from ..limits import bound_cells, import_limits, oversize_reason
from ..records import RawRow
from ._common import check_file_size, check_not_html_or_binary
from .tabular import _TabularBackend

MAX_DEPTH = 3  # where records are looked for
JOIN = " ; "
# `const x =`, `let x =`, `var x =`, `window.x =`, `module.exports =`, `export default`
_WRAPPER = re.compile(
    r"^\s*(?:(?:export\s+default)|(?:(?:const|let|var)\s+[\w$]+\s*=)|(?:[\w$.]+\s*=))\s*"
)
_BARE_KEY = re.compile(r"[A-Za-z_$][\w$]*")


def relaxed_json(text: str) -> tuple[Any, list[str]]:
    """The value of a JSON text, or of a JavaScript assignment of a literal; and notes on
    what had to be undone. Raises ValueError when it is neither."""
    try:
        return json.loads(text), []
    except ValueError:
        pass
    notes: list[str] = []
    body = _without_leading_comments(text.lstrip("\ufeff"))
    wrapper = _WRAPPER.match(body)
    if wrapper:
        notes.append(
            _("enveloppe JavaScript retirée (« %(start)s »)") % {"start": wrapper.group(0).strip()}
        )
        body = body[wrapper.end() :]
    body = body.rstrip().rstrip(";").rstrip()
    converted, fixes = _to_json(body)
    notes += fixes
    return json.loads(converted), notes


def _without_leading_comments(text: str) -> str:
    """The text from its first statement (comments before `const x =` would hide it)."""
    body = text.lstrip()
    while body.startswith(("//", "/*")):
        end = body.find("\n") if body.startswith("//") else body.find("*/") + 1
        body = "" if end <= 0 else body[end + 1 :].lstrip()
    return body


def _to_json(source: str) -> tuple[str, list[str]]:
    """JavaScript literal → JSON text: comments dropped, single quotes and bare keys made
    JSON, trailing commas removed. Strings are copied as they are."""
    out: list[str] = []
    fixes: set[str] = set()
    last = last_before = ""  # last characters written that are not blank: a bare word
    # after `{` or `,` and before `:` is a key
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if not c.isspace():
            last_before, last = last, c
        if c in "\"'":
            end = i + 1
            while end < n and source[end] != c:
                end += 2 if source[end] == "\\" else 1
            text = source[i + 1 : end]
            if c == "'":
                fixes.add(_("chaînes entre apostrophes"))
                text = text.replace("\\'", "'").replace('"', '\\"')
            out.append(f'"{text}"')
            last = '"'
            i = end + 1
        elif source.startswith("//", i):
            last = last_before
            fixes.add(_("commentaires"))
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif source.startswith("/*", i):
            last = last_before
            fixes.add(_("commentaires"))
            end = source.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif c == ",":
            if _next_significant(source, i + 1) in ("}", "]"):
                fixes.add(_("virgules finales"))
                last = last_before
            else:
                out.append(c)
            i += 1
        elif key := _bare_key(source, i, last_before):
            fixes.add(_("clés sans guillemets"))
            out.append(f'"{key}"')
            last = '"'
            i += len(key)
        else:
            out.append(c)
            i += 1
    notes = [_("JavaScript ramené au JSON : %(fixes)s") % {"fixes": ", ".join(sorted(fixes))}]
    return "".join(out), notes if fixes else []


def _next_significant(source: str, i: int) -> str:
    """The next character from `i` that is neither blank nor in a comment."""
    n = len(source)
    while i < n:
        if source[i].isspace():
            i += 1
        elif source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            return source[i]
    return ""


def _bare_key(source: str, i: int, before: str) -> str:
    """An unquoted object key starting at `i` (after `{` or `,`, before `:`), or ""."""
    if before not in ("{", ","):
        return ""
    match = _BARE_KEY.match(source, i)
    if not match or match.group(0) in ("true", "false", "null"):
        return ""
    after = source[match.end() : match.end() + 40].lstrip()[:1]
    return match.group(0) if after == ":" else ""


def find_records(data: Any, wanted: str = "") -> tuple[list[dict[str, Any]], str]:
    """The list of objects holding the records, and the key path it was found under ("" for
    a top-level array). `wanted` (the mapping's `records`) names the key."""
    if isinstance(data, list) and (not data or isinstance(data[0], dict)) and not wanted:
        return [r for r in data if isinstance(r, dict)], ""
    found: list[tuple[int, str, list[dict[str, Any]]]] = []

    def walk(value: Any, path: str, depth: int) -> None:
        if depth > MAX_DEPTH or not isinstance(value, dict):
            return
        for key, inner in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(inner, list) and inner and isinstance(inner[0], dict):
                found.append((len(inner), where, [r for r in inner if isinstance(r, dict)]))
            walk(inner, where, depth + 1)

    walk(data, "", 1)
    if wanted:
        for _size, where, records in found:
            if where == wanted or where.rsplit(".", 1)[-1] == wanted:
                return records, where
        raise SourceFileError(
            _("Aucune liste d'objets sous la clé « %(key)s » (clés trouvées : %(found)s).")
            % {"key": wanted, "found": ", ".join(w for _s, w, _r in found) or "—"}
        )
    if not found:
        raise SourceFileError(
            _(
                "Aucune liste d'enregistrements dans ce JSON : attendu une liste d'objets, "
                "ou un objet qui en contient une."
            )
        )
    _size, where, records = max(found, key=lambda item: item[0])
    return records, where


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """One record as text cells: nested objects as dotted columns, lists joined."""
    cells: dict[str, str] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            cells.update(flatten(value, f"{name}."))
        elif isinstance(value, list):
            cells[name] = JOIN.join(
                json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else _plain(v)
                for v in value
            )
        else:
            cells[name] = _plain(value)
    return cells


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)


class JsonBackend(_TabularBackend):
    name = "json"
    label = "Liste JSON ou données JavaScript (correspondance de colonnes)"

    def rows(self, path: Path) -> Iterator[RawRow]:
        check_file_size(path, import_limits().whole_file_bytes)  # parsed whole, in memory
        check_not_html_or_binary(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
            data, notes = relaxed_json(text)
        except RecursionError as exc:
            raise SourceFileError(
                _("Le fichier %(file)s imbrique trop de listes ou d'objets.") % {"file": path.name}
            ) from exc
        except (UnicodeDecodeError, ValueError) as exc:
            raise SourceFileError(
                _(
                    "Le fichier %(file)s n'est ni du JSON ni une donnée JavaScript lisible : "
                    "%(error)s."
                )
                % {"file": path.name, "error": exc}
            ) from exc
        if isinstance(data, dict) and data.get("type") == "FeatureCollection":
            raise SourceFileError(
                _("Le fichier %(file)s est du GeoJSON : importez-le au format « geojson ».")
                % {"file": path.name}
            )
        records, where = find_records(data, str(self.options.mapping.get("records") or ""))
        self.notes = list(notes)
        if where:
            self.notes.append(
                _("%(count)s enregistrements lus sous la clé « %(key)s »")
                % {"count": len(records), "key": where}
            )
        rows = [flatten(record) for record in records]
        header = list(dict.fromkeys(key for row in rows for key in row))
        mapping = self._use_header(header)
        if where:
            mapping.source["records"] = where
        limits = import_limits()
        for number, cells in enumerate(rows, start=1):
            reason = oversize_reason(list(cells), list(cells.values()), limits)
            kept: dict[str, Any] = bound_cells(cells, reason, limits) if reason else cells
            yield RawRow(number, self._remote_id(kept), kept)
