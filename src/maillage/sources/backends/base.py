"""The backend contract: a backend only reads a file into raw rows and parses one row.

Everything else — error isolation per row, batched writes, dry-run, upsert by (source,
remote id), archiving, locking, locating, classifying, dropping personal data — belongs to
the harvest engine (maillage.sources.harvest).
"""

import functools
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import orjson

from maillage.core.errors import MaillageError
from maillage.core.i18n import gettext as _  # per row: see core/i18n.py

from ..errors import RowRejected, SourceFileError
from ..limits import KEPT_CHARS, OVERSIZE_KEY, Limits, import_limits, number
from ..records import Candidate, RawRow

logger = logging.getLogger("maillage.sources")


@dataclass
class BackendOptions:
    mapping: dict[str, Any] = field(default_factory=dict)  # declarative column mapping
    category: str = ""  # --category: every row of a single-practice file


class Backend(ABC):
    """What the harvest engine uses of a backend, and all it uses.

    - `name`, `label`, `default_licence`: who it is;
    - `rows(path)`: the file's raw rows, in order;
    - `parse(row)`: one raw row → a candidate;
    - after the last row, what reading and parsing taught it, kept on the job: `notes` on
      the whole file (encoding, header line, blank lines… in French) and
      `effective_mapping`, the mapping it applied (given or proposed, the values it could
      not match included), None for a backend without a mapping.
    """

    name: ClassVar[str]  # the BACKEND argument of `maillage import`
    label: ClassVar[str]  # French, for people
    default_licence: ClassVar[str] = ""
    # The moderation of a source created by a first import of this format: « review » keeps
    # its new initiatives unpublished until staff review them (Source.Moderation).
    default_moderation: ClassVar[str] = "publish"
    # True when rows() checks its rows' cells against the limits itself (flat text rows,
    # cheaply); otherwise every row is measured as JSON (see _guarded_rows).
    checks_cells: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every backend's rows() and parse() keep the promises of the contract whatever the
        file holds: see _guarded_rows and _guarded_parse."""
        super().__init_subclass__(**kwargs)
        if "rows" in cls.__dict__:
            setattr(cls, "rows", _guarded_rows(cls.__dict__["rows"]))  # noqa: B010
        if "parse" in cls.__dict__:
            setattr(cls, "parse", _guarded_parse(cls.__dict__["parse"]))  # noqa: B010

    def __init__(self, options: BackendOptions | None = None) -> None:
        self.options = options or BackendOptions()
        self.notes: list[str] = []

    @abstractmethod
    def rows(self, path: Path) -> Iterator[RawRow]:
        """Every row of the file, in order. Raise SourceFileError (French message) as soon as
        the file proves not to be what this backend reads; never skip a row silently."""

    @abstractmethod
    def parse(self, row: RawRow) -> Candidate:
        """One row → candidate. Raise RowRejected(reason in French) for a row that cannot be
        used at all; otherwise fill what is known and put doubts in `candidate.notes`."""

    @property
    def effective_mapping(self) -> dict[str, Any] | None:
        """The mapping applied to the rows read so far; None: this backend has none."""
        return None

    def personal_cells(self) -> dict[str, list[tuple[str, ...]]]:
        """Where a row's contact fields are read: field (`contact_name`, `contact_email`,
        `contact_phone`) → paths of keys into `RawRow.data`, for the cells the engine
        replaces in the stored raw row when it drops them as personal data (see
        sources/personal.py). Known once the mapping is (after `parse()`); {} : none."""
        return {}


def _guarded_rows(
    rows: Callable[[Any, Path], Iterator[RawRow]],
) -> Callable[[Any, Path], Iterator[RawRow]]:
    """rows() that raises nothing but MaillageError (a reader's own error — csv.Error,
    RecursionError, an XML or ZIP error… — becomes a SourceFileError in French, logged),
    refuses a file of more than `limits.rows` rows, and bounds the rows of backends that do
    not check their cells themselves."""

    @functools.wraps(rows)
    def guarded(self: Backend, path: Path) -> Iterator[RawRow]:
        limits = import_limits()
        most, checks = limits.rows, self.checks_cells
        count = 0
        try:
            for row in rows(self, path):
                count += 1
                if count > most:
                    raise SourceFileError(
                        _(
                            "%(file)s : plus de %(limit)s lignes (MAILLAGE_IMPORT_MAX_ROWS) ; "
                            "découpez le fichier"
                        )
                        % {"file": path.name, "limit": number(most)}
                    )
                yield row if checks else _bounded(row, limits)
        except MaillageError:
            raise
        except Exception as exc:
            logger.warning("lecture de %s impossible", path, exc_info=True)
            raise SourceFileError(
                _("%(file)s : fichier illisible (%(error)s)")
                % {"file": path.name, "error": f"{type(exc).__name__}: {exc}"[:300]}
            ) from exc

    return guarded


def _guarded_parse(
    parse: Callable[[Any, RawRow], Candidate],
) -> Callable[[Any, RawRow], Candidate]:
    """parse() rejects a row that broke a limit, with the reason found when it was read."""

    @functools.wraps(parse)
    def guarded(self: Backend, row: RawRow) -> Candidate:
        if OVERSIZE_KEY in row.data:
            raise RowRejected(str(row.data[OVERSIZE_KEY]))
        return parse(self, row)

    return guarded


def _json_text(data: Any) -> str:
    try:
        return orjson.dumps(data).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(data, ensure_ascii=False, default=str)


def _longest_text(data: Any) -> int:
    """The longest string anywhere in a row (keys included)."""
    longest, stack = 0, [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            longest = max(longest, len(value))
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return longest


def _bounded(row: RawRow, limits: Limits) -> RawRow:
    """A row of nested values (a GeoJSON feature, an OSM element…) measured as JSON: when
    longer than a cell may be, each text is looked at; a row over a limit keeps its reason
    and the start of its JSON text only."""
    text = _json_text(row.data)
    if len(text) <= limits.cell_chars:
        return row
    reason = None
    longest = _longest_text(row.data)
    if longest > limits.cell_chars:
        reason = _("cellule trop longue : plus de %(limit)s caractères") % {
            "limit": number(limits.cell_chars)
        }
    elif len(text) > limits.row_chars:
        reason = _("ligne trop longue : %(size)s caractères, au plus %(limit)s") % {
            "size": number(len(text)),
            "limit": number(limits.row_chars),
        }
    if reason is None:
        return row
    kept = {OVERSIZE_KEY: reason, "__extrait__": text[:KEPT_CHARS] + "…"}
    return RawRow(row.number, row.remote_id, kept)
