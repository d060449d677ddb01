"""The per-row pipeline: parse → check → locate → classify → values to write.

Runs on a batch at once (the locator is vectorised) and never raises for a bad row: each row
comes out as a Prepared with either values or a rejection reason.
"""

import datetime
import hashlib
import json
import operator
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any, NamedTuple

import orjson

from maillage.core.i18n import gettext as _  # per row: see core/i18n.py

from .backends import Backend
from .errors import RowRejected, RowSkipped
from .personal import CellPath, redact, redact_unparsed
from .quality import (
    Placed,
    QualityContext,
    check_coordinates,
    check_dates,
    check_name,
    check_website,
    drop_personal_data,
    name_unnamed,
    place,
)
from .records import Candidate, RawRow

# Candidate fields copied to the initiative as they are.
COPIED_FIELDS = (
    "name", "description", "lon", "lat", "location_precision", "address", "postcode",
    "insee_code", "website", "siret", "rna", "osm_id", "network", "status", "created_on",
    "opened_on", "closed_on", "carrier", "counterpart", "contact_name", "contact_email",
    "contact_phone",
)  # fmt: skip
UNCLASSIFIED = "a-classer"
# A row the backend skips travels as `rejected` with this prefix: writes.screen_rows makes it
# « ignorée » (skipped) with its reason, as it does for repeated rows.
SKIP_PREFIX = "skip:"
# The initiative columns an imported row gives, in the order of `Encoded.row` (the others
# are the same for every new initiative of a job: see writes._insert_new).
ROW_COLUMNS = (
    *COPIED_FIELDS, "category_id", "category_rule", "commune_id", "commune_method",
    "source_name", "source_licence", "source_url", "contact_is_personal", "contact_legal_basis",
)  # fmt: skip
# The last two of ROW_COLUMNS are in `values` only when the row has a contact.
_row_head = operator.itemgetter(*ROW_COLUMNS[:-2])
DATE_FIELDS = ("created_on", "opened_on", "closed_on")
_PLAIN_FIELDS = tuple(name for name in COPIED_FIELDS if name not in DATE_FIELDS)
_plain_values = operator.attrgetter(*_PLAIN_FIELDS)
M2M_FIELDS = ("exchange_modes", "secondary_categories")


def to_json_bytes(value: Any) -> bytes:
    """JSON as UTF-8 bytes: what parsing sends the writer (bytes cross between processes as
    they are, where text would be encoded and decoded again)."""
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)


def to_json(value: Any) -> str:
    """JSON text as both databases take it (SQLite stores it, PostgreSQL's COPY parses it)."""
    return to_json_bytes(value).decode()


class Encoded(NamedTuple):
    """A row ready to be written as a new initiative, in database form, made where parsing
    runs (in the parsing process when there is one): the writer only adds ids."""

    row: tuple[Any, ...]  # values of ROW_COLUMNS
    links: tuple[list[str], list[str]]  # exchange modes, secondary categories
    imported: bytes  # JSON of `values`, kept on the source record
    raw: bytes  # JSON of the raw row, kept on the report row


@dataclass
class Prepared:
    row: RawRow
    remote_id: str = ""
    # initiative field → JSON value; left out of what the parsing process sends back for a
    # row that has no stored record (it can only be new: `encoded` is all the writer needs)
    values: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    rejected: str = ""  # the reason, when the row cannot be imported
    digest: str = ""  # hash of the raw row and the parse settings
    unchanged: bool = False  # same raw row as last time: not even parsed again
    verified_on: str | None = None  # ISO date the source gives as its row's last update
    commune_id: str = ""
    category: str = ""
    category_rule: str = ""
    encoded: Encoded | None = None
    fresh: bool = False  # its id (known before parsing) has no stored record: it can only be new


class PreparedBatch(NamedTuple):
    """Prepared rows as the parsing process sends them back: one list per field of Prepared
    (the rows themselves stay with the parent), in row order. Lists of plain values pickle
    at C speed, where a named tuple or a dataclass per row costs a Python call each way."""

    remote_id: list[str]
    values: list[dict[str, Any]]
    reasons: list[list[str]]
    rejected: list[str]
    digest: list[str]
    unchanged: list[bool]
    verified_on: list[str | None]
    commune_id: list[str]
    category: list[str]
    category_rule: list[str]
    encoded: list[tuple[Any, ...] | None]  # the fields of Encoded, as a plain tuple

    @classmethod
    def of(cls, prepared: list[Prepared]) -> "PreparedBatch":
        return cls(
            remote_id=[p.remote_id for p in prepared],
            values=[{} if p.fresh else p.values for p in prepared],
            reasons=[p.reasons for p in prepared],
            rejected=[p.rejected for p in prepared],
            digest=[p.digest for p in prepared],
            unchanged=[p.unchanged for p in prepared],
            verified_on=[p.verified_on for p in prepared],
            commune_id=[p.commune_id for p in prepared],
            category=[p.category for p in prepared],
            category_rule=[p.category_rule for p in prepared],
            encoded=[None if p.encoded is None else tuple(p.encoded) for p in prepared],
        )

    def prepared(self, rows: list[RawRow]) -> list[Prepared]:
        """The Prepared rows again, given their raw rows (the columns are Prepared's fields
        after `row`, in order: checked below)."""
        encoded = [None if e is None else Encoded._make(e) for e in self.encoded]
        return list(map(Prepared, rows, *self[:-1], encoded))


assert (
    PreparedBatch._fields
    == tuple(f.name for f in fields(Prepared))[1 : len(PreparedBatch._fields) + 1]
)


@dataclass
class PipelineSettings:
    source_name: str
    source_licence: str
    source_url: str
    default_category: str
    keep_personal: set[str]
    legal_basis: str
    signature: str  # backend + mapping + options: a change re-imports unchanged rows


@cache
def _max_lengths() -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Text columns an imported row gives and their size (PostgreSQL enforces it, SQLite not)."""
    from maillage.catalog.models import Initiative

    limited = [
        (f.attname, f.max_length)
        for f in Initiative._meta.concrete_fields
        if f.max_length is not None and f.attname in ROW_COLUMNS[:-2]
    ]
    return tuple(name for name, _size in limited), tuple(size for _name, size in limited)


def _too_long(values: dict[str, Any]) -> list[tuple[str, int, str]]:
    """(field, limit, value) of the texts longer than their column allows."""
    names, limits = _max_lengths()
    try:  # one pass in C over every field, the usual case: nothing is too long
        if not any(map(operator.gt, map(len, operator.itemgetter(*names)(values)), limits)):
            return []
    except TypeError:  # a field that is not text (None): checked one by one
        pass
    return [
        (name, limit, value)
        for name, limit in zip(names, limits, strict=True)
        if type(value := values.get(name)) is str and len(value) > limit
    ]


@cache
def _signed(signature: str) -> Any:
    """A hash that has already read the parse settings (often kilobytes of mapping): each
    row's hash starts from a copy of it instead of hashing them again."""
    return hashlib.sha1(f"{signature}\n".encode(), usedforsecurity=False)


def raw_hash(row: RawRow, signature: str) -> str:
    data = row.data
    try:
        # Flat text rows (CSV): join in the file's column order, ten times cheaper than JSON.
        text = "\x1f".join(map("\x1e".join, data.items()))
    except TypeError:  # a value that is not text
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    digest = _signed(signature).copy()
    digest.update(text.encode())
    return str(digest.hexdigest())


def _iso(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def content_id(name: str, lon: Any, lat: Any, place: str) -> str:
    """The id of a record known by its content: its name and its point to about a metre (or
    its commune's code when it has no point). For sources without identifiers, and for rows
    whose file id is not one (repeats.py): a record whose name or place changes comes back
    as new, the old one is archived."""
    key = "|".join(
        [
            " ".join(str(name or "").lower().split()),
            f"{float(lon):.5f}" if lon is not None else "",
            f"{float(lat):.5f}" if lat is not None else "",
            place or "",
        ]
    )
    return "auto:" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:20]


def _derived_remote_id(candidate: Candidate) -> str:
    return content_id(
        candidate.name, candidate.lon, candidate.lat, candidate.insee_code or candidate.postcode
    )


def prepare_batch(
    rows: list[RawRow],
    backend: Backend,
    ctx: QualityContext,
    settings: PipelineSettings,
    categories: set[str],
    known_hashes: dict[str, str] | None = None,
) -> list[Prepared]:
    """`known_hashes` (remote id → hash of the row last imported, "" when that record cannot
    be skipped) lets a re-import skip every check of a row that did not change: that is what
    makes a monthly re-run cheap."""
    prepared: list[Prepared] = []
    candidates: list[Candidate | None] = []
    known = known_hashes or {}
    for row in rows:
        # Hashed here, where parsing runs (in the parsing process when there is one).
        item = Prepared(
            row=row, remote_id=row.remote_id or "", digest=raw_hash(row, settings.signature)
        )
        item.fresh = bool(item.remote_id) and item.remote_id not in known
        if item.remote_id and known.get(item.remote_id) == item.digest:
            item.unchanged = True
            prepared.append(item)
            candidates.append(None)
            continue
        candidate = None
        try:
            candidate = backend.parse(row)
            check_name(candidate)
            check_coordinates(candidate)
        except RowSkipped as exc:  # out of what the import keeps: « ignorée » (writes.py)
            item.rejected = SKIP_PREFIX + str(exc)
        except RowRejected as exc:
            item.rejected = str(exc)
        except Exception as exc:  # one malformed row must not stop the job
            item.rejected = _("ligne illisible : %(error)s") % {"error": exc}
            candidate = None
        prepared.append(item)
        candidates.append(None if item.rejected else candidate)
    points = [
        (i, c.lon, c.lat)
        for i, c in enumerate(candidates)
        if c is not None and c.lon is not None and c.lat is not None
    ]
    found = ctx.locate_many([lon for _i, lon, _lat in points], [lat for _i, _lon, lat in points])
    with_point = [i for i, _lon, _lat in points]
    located = dict(zip(with_point, found, strict=True))
    cells = backend.personal_cells()  # known now that rows were parsed
    for i, (item, candidate) in enumerate(zip(prepared, candidates, strict=True)):
        if candidate is not None:
            try:
                _finish(item, candidate, located.get(i), ctx, settings, cells, categories)
            except RowRejected as exc:
                item.rejected = str(exc)
        if item.rejected and cells:
            _redact_rejected(item, cells, settings.keep_personal)
    return prepared


def _redact_rejected(item: Prepared, cells: dict[str, list[CellPath]], keep: set[str]) -> None:
    """A rejected row keeps its cells for the report, but not a person's: when it has some,
    its redacted raw row travels as `encoded.raw` (the writer stores that, see writes._raw),
    since the row itself may stay in another process."""
    redacted = redact_unparsed(item.row.data, cells, keep, organisation=False)
    if redacted is not None:
        item.encoded = Encoded(row=(), links=([], []), imported=b"", raw=to_json_bytes(redacted))


def _secondary(proposed: list[str], categories: set[str], main: str) -> list[str]:
    if not proposed:  # the usual case, without building a set
        return []
    return sorted({code for code in proposed if code in categories and code != main})


def _finish(
    item: Prepared,
    candidate: Candidate,
    located: str | None,
    ctx: QualityContext,
    settings: PipelineSettings,
    cells: dict[str, list[CellPath]],
    categories: set[str],
) -> None:
    """A parsed row's checks, place and category (what to say about it), then its values
    and their database form (what to write)."""
    placed = place(ctx, candidate, located)
    reasons = item.reasons
    reasons += candidate.notes + placed.reasons
    reasons += check_dates(candidate, ctx.today)
    columns = {name: ", ".join(path[-1] for path in paths) for name, paths in cells.items()}
    contacts = drop_personal_data(candidate, settings.keep_personal, columns)
    reasons += contacts.reasons
    if candidate.website:
        reasons += check_website(candidate)
    code, rule = _classify(candidate, settings.default_category, categories, reasons)
    built = name_unnamed(ctx, candidate, code, placed.commune_id)
    if built:
        reasons.append(built)
    values = _initiative_values(
        candidate, placed, code, rule, settings, categories, contacts.personal_kept
    )
    for name, limit, value in _too_long(values):
        values[name] = value[:limit]
        reasons.append(
            _("valeur trop longue : %(field)s coupé à %(limit)s caractères")
            % {"field": name, "limit": limit}
        )
    item.values = values
    if candidate.source_updated_on is not None:
        item.verified_on = candidate.source_updated_on.isoformat()
    if not item.remote_id:
        item.remote_id = _derived_remote_id(candidate)
    item.commune_id = placed.commune_id or ""
    item.category, item.category_rule = code, rule
    data = item.row.data
    if contacts.dropped and cells:  # only rows that had a person's contact are copied
        data = redact(data, [path for name in contacts.dropped for path in cells.get(name, ())])
    item.encoded = _encoded(values, data)


def _classify(
    candidate: Candidate, default_category: str, categories: set[str], reasons: list[str]
) -> tuple[str, str]:
    """(category code, rule that chose it), ("", "") « à classer » with the reason said in
    `reasons`: the backend's proposal, else the source's category, when in the typology."""
    code, rule = candidate.category, candidate.category_rule
    if not code and default_category:
        code, rule = default_category, _("catégorie de toute la source")
    if code and code not in categories:
        reasons.append(
            _("à classer : catégorie proposée « %(code)s » absente de la typologie")
            % {"code": code}
        )
        code = ""
    if not code:
        reasons.append(_("à classer : aucune règle ne place cette fiche"))
        return "", ""
    return code, rule


def _initiative_values(
    candidate: Candidate,
    placed: Placed,
    code: str,
    rule: str,
    settings: PipelineSettings,
    categories: set[str],
    personal: bool = False,
) -> dict[str, Any]:
    """Initiative field → JSON value, for a row `placed` in its commune and classified in
    `code` ("" « à classer »); `personal`: its contact is a person's, kept with a legal
    basis."""
    values = dict(zip(_PLAIN_FIELDS, _plain_values(candidate), strict=True))
    values.update(
        created_on=_iso(candidate.created_on),
        opened_on=_iso(candidate.opened_on),
        closed_on=_iso(candidate.closed_on),
        category_id=code or None,
        category_rule=rule,
        commune_id=placed.commune_id,
        commune_method=placed.method or ("point" if candidate.lon is not None else "insee"),
        source_name=settings.source_name,
        source_licence=settings.source_licence,
        source_url=settings.source_url,
        exchange_modes=sorted(set(candidate.exchange_modes)) if candidate.exchange_modes else [],
        secondary_categories=_secondary(candidate.secondary_categories, categories, code),
    )
    if not values["status"]:
        values["status"] = "actif"
    if not values["location_precision"]:
        values["location_precision"] = "unknown" if candidate.lon is not None else "commune"
    if values["contact_name"] or values["contact_email"] or values["contact_phone"]:
        # personal: a person's contact kept with the mapping's legal basis; otherwise what
        # is left is the organisation's (switchboard, role address)
        values["contact_is_personal"] = personal
        values["contact_legal_basis"] = settings.legal_basis if personal else ""
    return values


def _encoded(values: dict[str, Any], data: dict[str, Any]) -> Encoded:
    """The row's database form (see Encoded), from its values and its cells as received."""
    return Encoded(
        row=(
            *_row_head(values),
            values.get("contact_is_personal", False),
            values.get("contact_legal_basis", ""),
        ),
        links=(values["exchange_modes"], values["secondary_categories"]),
        imported=to_json_bytes(values),
        raw=to_json_bytes(data),
    )
