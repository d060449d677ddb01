"""Mappings saved by users, in JSON or YAML (.yaml, .yml): the one loader of the command line
(`--mapping`) and of the staff import form (pasted or uploaded), `load_mapping`.

A mapping is small, plain data, and is refused (MappingError, French message) unless it is:
at most MAX_BYTES; JSON, or YAML without anchors nor aliases (a 1.3 KB YAML of nested aliases
expands to gigabytes); nested at most MAX_DEPTH deep with at most MAX_NODES values; made of
objects with text keys, lists, texts of at most MAX_TEXT characters, booleans, null, and
finite numbers (no NaN, Infinity or 1e999999, which no database column stores). Each backend
then checks the content it understands (see the README for the formats).
"""

import json
import math
from pathlib import Path
from typing import Any, NoReturn

import yaml
from django.utils.translation import gettext as _

from maillage.core.errors import MaillageError

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 10
MAX_NODES = 100_000
MAX_TEXT = 10_000
MAX_KEY = 1_000
MAX_INTEGER = 10**15
_YAML_SUFFIXES = (".yaml", ".yml")


class MappingError(MaillageError):
    """The mapping cannot be used; stable code `mapping-invalid`, message in French."""

    code = "mapping-invalid"


def load_mapping(
    path: Path | str | None = None, *, text: str | bytes | None = None, name: str = ""
) -> dict[str, Any]:
    """The mapping in the file at `path`, or in `text` (pasted in the form, or an uploaded
    file's content), YAML when the file's `name` ends in .yaml or .yml, JSON otherwise."""
    if (path is None) == (text is None):
        raise TypeError("load_mapping: a path or a text")
    if path is not None:
        path = Path(path)
        name = name or path.name
        text = _read(path)
    assert text is not None
    label = name or _("la correspondance")
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            _too_large(label)
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise MappingError(
                _("%(file)s : le texte doit être en UTF-8") % {"file": label}
            ) from exc
    text = text.removeprefix("\ufeff")
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        _too_large(label)
    if Path(name).suffix.lower() in _YAML_SUFFIXES:
        data = _parse_yaml(text, label)
    else:
        data = _parse_json(text, label)
    if not isinstance(data, dict):
        raise MappingError(
            _("%(file)s doit contenir un objet (clé → valeur), entre accolades { }")
            % {"file": label}
        )
    check_plain(data, label)
    return data


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_BYTES:
            _too_large(path.name)
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise MappingError(
            _("fichier de correspondance introuvable : %(path)s") % {"path": path}
        ) from exc
    except OSError as exc:
        raise MappingError(
            _("fichier %(file)s illisible (%(error)s)") % {"file": path.name, "error": exc.strerror}
        ) from exc


def _too_large(label: str) -> NoReturn:
    raise MappingError(
        _("%(file)s dépasse %(size)s Mo : une correspondance tient en quelques kilo-octets")
        % {"file": label, "size": MAX_BYTES // (1024 * 1024)}
    )


def _too_deep(label: str) -> MappingError:
    return MappingError(
        _("%(file)s imbrique trop d'objets ou de listes (au plus %(depth)s niveaux)")
        % {"file": label, "depth": MAX_DEPTH}
    )


class _Refused(ValueError):
    """A value the JSON parser must not build (see _parse_json)."""


def _no_constant(name: str) -> NoReturn:
    raise _Refused(name)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(text)
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 16:  # also spares int() a 100,000-digit string
        raise _Refused(text[:20] + "…")
    return int(text)


def _parse_json(text: str, label: str) -> Any:
    try:
        return json.loads(
            text, parse_constant=_no_constant, parse_float=_finite, parse_int=_bounded_int
        )
    except RecursionError as exc:
        raise _too_deep(label) from exc
    except _Refused as exc:
        raise MappingError(
            _("%(file)s : nombre refusé « %(value)s » (seuls les nombres finis sont admis)")
            % {"file": label, "value": str(exc)[:40]}
        ) from exc
    except json.JSONDecodeError as exc:
        raise MappingError(
            _("%(file)s n'est pas du JSON valide (ligne %(line)s, colonne %(column)s : %(error)s)")
            % {"file": label, "line": exc.lineno, "column": exc.colno, "error": exc.msg}
        ) from exc


class _PlainLoader(yaml.SafeLoader):
    """The safe loader, without anchors nor aliases: a few lines of nested aliases expand to
    billions of values."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise MappingError(
                _("ligne %(line)s : les ancres et alias YAML (& et *) ne sont pas admis")
                % {"line": event.start_mark.line + 1}
            )
        return super().compose_node(parent, index)


def _parse_yaml(text: str, label: str) -> Any:
    try:
        return yaml.load(text, Loader=_PlainLoader)
    except MappingError as exc:
        raise MappingError(_("%(file)s : %(error)s") % {"file": label, "error": exc}) from exc
    except RecursionError as exc:
        raise _too_deep(label) from exc
    except yaml.YAMLError as exc:
        raise MappingError(
            _("%(file)s n'est pas du YAML valide (%(error)s)")
            % {"file": label, "error": str(exc)[:300]}
        ) from exc
    except (ValueError, OverflowError, TypeError) as exc:  # a value YAML cannot build
        raise MappingError(
            _("%(file)s : valeur YAML illisible (%(error)s)")
            % {"file": label, "error": str(exc)[:200]}
        ) from exc


def check_plain(data: Any, label: str = "") -> None:
    """MappingError unless `data` is plain JSON data within the bounds of the module
    docstring (YAML can build dates, sets, bytes, non-text keys, NaN…)."""
    label = label or _("la correspondance")
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    nodes = 0
    while stack:
        value, depth, where = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise MappingError(
                _("%(file)s contient plus de %(count)s valeurs")
                % {"file": label, "count": MAX_NODES}
            )
        if isinstance(value, dict | list) and depth > MAX_DEPTH:
            raise _too_deep(label)
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str) or len(key) > MAX_KEY:
                    _refuse(label, where or "/", _("clé qui n'est pas un texte court"))
                stack.append((item, depth + 1, f"{where}/{key[:40]}"))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, f"{where}/{i}") for i, item in enumerate(value))
        elif isinstance(value, str):
            if len(value) > MAX_TEXT:
                _refuse(
                    label,
                    where,
                    _("texte de plus de %(count)s caractères") % {"count": MAX_TEXT},
                )
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if abs(value) > MAX_INTEGER:
                _refuse(label, where, _("nombre trop grand"))
        elif isinstance(value, float):
            if not math.isfinite(value):
                _refuse(label, where, _("nombre non fini (NaN ou infini)"))
        else:
            _refuse(
                label,
                where,
                _("valeur de type %(type)s (attendus : objet, liste, texte, nombre, booléen, null)")
                % {"type": type(value).__name__},
            )


def _refuse(label: str, where: str, problem: str) -> NoReturn:
    raise MappingError(
        _("%(file)s, à %(where)s : %(problem)s")
        % {"file": label, "where": where or "/", "problem": problem}
    )


def check_backend_mapping(backend: str, mapping: dict[str, Any]) -> None:
    """What the backend will check when it reads the file, checked now: the form and the
    command line answer at once, before any job exists (SourceFileError, French)."""
    if backend in ("csv", "xlsx"):
        from .backends.tabular_mapping import check_mapping

        check_mapping(mapping)
    elif backend in ("footprint-airbnb", "footprint"):
        from .backends import BackendOptions, get_backend

        get_backend(backend, BackendOptions(mapping=mapping))  # checks its mapping
