"""`geojson`: any GeoJSON FeatureCollection.

Points are kept; a Polygon or MultiPolygon becomes a point inside it and a line a point on
it (shapely's `point_on_surface`), with a note. A row is kept as the whole Feature.

Properties are read through the same declarative mapping as the csv/xlsx backends (see
`tabular_mapping`), with property names in place of column names:

```json
{
  "fields": {"remote_id": "id", "name": "name", "address": "adresse", "city": "ville"},
  "category": {"column": "structure", "values": {"fablabMIT": "fablab", "tierslieu": "tiers-lieu"}},
  "status": {"column": "etat", "values": {"ouvert": "actif"}},
  "extra": ["surface"]
}
```

Without a mapping, one is proposed from common property names (name/nom/title/libelle,
id/identifiant, adresse/address, code_insee/insee, site/website/url, categorie/type…) and
exposed as `effective_mapping`, for the user to save and correct. The point comes from the
geometry; `fields.lat`/`fields.lon` are read only for a feature without geometry. Mapping
keys that only make sense for a spreadsheet (sheet, encoding, delimiter…) are ignored.

Category: `--category CODE` sets every row; else the mapped category property, translated by
`category.values`, or taken as is when it already is a typology code; any other value leaves
the row without category (the engine queues it « à classer ») and is kept in
`extra["categorie_source"]`.

Remote id: the mapped (or proposed) id property, else the feature's top-level `id`, else None.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from maillage.core.i18n import gettext as _  # per row: see core/i18n.py

from ..coords import parse_number
from ..errors import RowRejected, SourceFileError
from ..records import Candidate, RawRow
from ._common import (
    attribute_codes,
    clean_email,
    clean_insee,
    clean_postcode,
    clean_website,
    feature_properties,
    forced_category,
    load_features,
    parse_date,
    remote_id,
    representative_point,
    text,
    typology_codes,
)
from .base import Backend
from .tabular_mapping import (
    DATE_FIELDS,
    TEXT_FIELDS,
    Proposal,
    ValueTable,
    check_mapping,
    normalize,
    propose,
)

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
# Fields cleaned by a helper rather than copied as text.
_CLEANED = ("postcode", "insee_code", "website", "contact_email", "carrier", "counterpart")
# Mapping keys of the csv/xlsx backends that a GeoJSON file has no use for.
_SPREADSHEET_ONLY = ("coordinates", "latlon_column", "sheet", "encoding", "delimiter", "header")


def without_html(value: str) -> str:
    """`"Espace d'Arvor<br />Place d'Armorique"` → `"Espace d'Arvor, Place d'Armorique"`."""
    if "<" not in value:
        return value
    return text(_TAG.sub(" ", _BREAK.sub(", ", value))).replace(" ,", ",")


@dataclass
class Resolved:
    """The mapping with the property names of the file."""

    fields: dict[str, tuple[str, ...]]
    category: ValueTable | None = None
    status: ValueTable | None = None
    extra: tuple[str, ...] = ()
    mapping: dict[str, Any] = field(default_factory=dict)  # as shown to the user


def property_names(features: list[dict[str, Any]]) -> list[str]:
    """Every property name of the file, in order of first appearance."""
    names: dict[str, None] = {}
    for feature in features:
        names.update(dict.fromkeys(feature_properties(feature)))
    return list(names)


def _table(spec: dict[str, Any], find: Any) -> ValueTable:
    if "value" in spec:
        return ValueTable((), {}, {}, constant=spec["value"])
    columns = spec["column"]
    names = tuple(find(c) for c in ([columns] if isinstance(columns, str) else columns))
    values = dict(spec.get("values") or {})
    by_key = {normalize(key): code for key, code in values.items()}
    return ValueTable(names, values, by_key, separator=spec.get("separator", ""))


def resolve(mapping: dict[str, Any], names: list[str]) -> Resolved:
    """Match the mapping to the property names (exactly, else ignoring case, accents and
    punctuation). SourceFileError listing what is missing when a named property is absent."""
    check_mapping(mapping)
    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(normalize(name), name)
    missing: list[str] = []

    def find(name: str) -> str:
        found = name if name in names else by_key.get(normalize(name))
        if found is None:
            missing.append(name)
            return name
        return found

    fields = {
        key: tuple(find(c) for c in ([columns] if isinstance(columns, str) else columns))
        for key, columns in mapping.get("fields", {}).items()
    }
    resolved = Resolved(fields=fields, mapping=mapping)
    if "category" in mapping:
        resolved.category = _table(mapping["category"], find)
    if "status" in mapping:
        resolved.status = _table(mapping["status"], find)
    resolved.extra = tuple(find(c) for c in mapping.get("extra", []))
    if missing and names:
        raise SourceFileError(
            _(
                "propriété(s) absente(s) du fichier GeoJSON : %(missing)s ; propriétés "
                "présentes : %(present)s"
            )
            % {
                "missing": ", ".join(f"« {name} »" for name in missing),
                "present": ", ".join(names),
            }
        )
    return resolved


def proposal(names: list[str]) -> Proposal:
    """The csv/xlsx proposal (its notes and its reason for unnamed rows included), without
    what the geometry already gives."""
    proposed = propose(names)
    for key in _SPREADSHEET_ONLY:
        proposed.mapping.pop(key, None)
    for key in ("lat", "lon"):
        proposed.mapping["fields"].pop(key, None)
    return proposed


class GeoJsonBackend(Backend):
    name = "geojson"
    label = "GeoJSON (FeatureCollection)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.resolved: Resolved | None = None
        # Rows without a name are rejected with this reason (the proposal found no safe name).
        self.unnamed_reason: str | None = None

    def rows(self, path: Path) -> Iterator[RawRow]:
        features = load_features(path)
        self.resolved = self._resolve(property_names(features))
        for number, feature in enumerate(features, start=1):
            yield RawRow(number=number, remote_id=self.remote_id(feature), data=feature)

    @property
    def effective_mapping(self) -> dict[str, Any] | None:
        return None if self.resolved is None else self.resolved.mapping

    def _resolve(self, names: list[str]) -> Resolved:
        given = {k: v for k, v in self.options.mapping.items() if k not in _SPREADSHEET_ONLY}
        if given:
            return resolve(given, names)
        proposed = proposal(names)
        self.notes.append(
            _("aucune correspondance fournie : correspondance proposée d'après les propriétés")
        )
        self.notes.extend(proposed.notes)
        self.unnamed_reason = proposed.unnamed_reason
        return resolve(proposed.mapping, names)

    def remote_id(self, feature: dict[str, Any]) -> str | None:
        value = self._get(feature_properties(feature), "remote_id")
        return remote_id(value) or remote_id(feature.get("id"))

    def personal_cells(self) -> dict[str, list[tuple[str, ...]]]:
        if self.resolved is None:
            return {}
        return {
            name: [("properties", key) for key in self.resolved.fields[name]]
            for name in ("contact_name", "contact_email", "contact_phone")
            if self.resolved.fields.get(name)
        }

    def _get(self, properties: dict[str, Any], key: str) -> str:
        """The mapped properties of one field, joined with a space."""
        assert self.resolved is not None
        names = self.resolved.fields.get(key, ())
        return text(" ".join(text(properties.get(name)) for name in names))

    def parse(self, row: RawRow) -> Candidate:
        feature = row.data
        properties = feature_properties(feature)
        if self.resolved is None:  # parse() without rows(): resolve on this feature alone
            self.resolved = self._resolve(list(properties))
        lon, lat, notes = representative_point(feature.get("geometry"))
        candidate = Candidate(notes=notes)

        def get(key: str) -> str:
            return self._get(properties, key)

        if lon is None or lat is None:
            lon, lat = parse_number(get("lon")), parse_number(get("lat"))
            if lon is not None and lat is not None:
                notes.append("point lu dans les propriétés : la géométrie est absente")
            else:
                lon = lat = None
        candidate.lon, candidate.lat = lon, lat

        for key in TEXT_FIELDS:
            if key not in _CLEANED:
                setattr(candidate, key, without_html(get(key)))
        for key in DATE_FIELDS:
            parsed, more = parse_date(get(key), key)
            setattr(candidate, key, parsed)
            notes += more
        for key, clean in (
            ("postcode", clean_postcode),
            ("insee_code", clean_insee),
            ("website", clean_website),
            ("contact_email", clean_email),
        ):
            value, more = clean(get(key))
            setattr(candidate, key, value)
            notes += more
        for key in ("carrier", "counterpart"):
            code = get(key)
            if code in attribute_codes(key):
                setattr(candidate, key, code)
            elif code:
                notes.append(
                    _("%(field)s hors vocabulaire : « %(value)s », ignoré")
                    % {"field": key, "value": code}
                )
        self._status(candidate, properties)
        self._categorise(candidate, properties)
        assert self.resolved is not None
        for name in self.resolved.extra:
            if properties.get(name) not in (None, ""):
                candidate.extra[name] = properties[name]
        if not candidate.name and self.unnamed_reason:
            raise RowRejected(self.unnamed_reason)
        return candidate

    def _table_values(self, table: ValueTable, properties: dict[str, Any]) -> list[str]:
        joined = text(" ".join(text(properties.get(name)) for name in table.columns))
        if not joined:
            return []
        parts = joined.split(table.separator) if table.separator else [joined]
        return [text(part) for part in parts if text(part)]

    def _status(self, candidate: Candidate, properties: dict[str, Any]) -> None:
        table = self.resolved.status if self.resolved else None
        if table is None:
            return
        if table.constant is not None:
            candidate.status = table.constant
            return
        for value in self._table_values(table, properties)[:1]:
            code = table.lookup(value) or (value if value in attribute_codes("status") else None)
            if code:
                candidate.status = code
            else:
                candidate.notes.append(
                    _("état non reconnu : « %(value)s », ignoré") % {"value": value}
                )

    def _categorise(self, candidate: Candidate, properties: dict[str, Any]) -> None:
        if self.options.category:
            candidate.category, candidate.category_rule = forced_category(self.options.category)
            return
        table = self.resolved.category if self.resolved else None
        if table is None:
            return
        if table.constant is not None:
            candidate.category = table.constant
            candidate.category_rule = _("correspondance : toute la source → %(code)s") % {
                "code": table.constant
            }
            return
        column = " + ".join(table.columns)
        codes: list[tuple[str, str]] = []
        unmatched: list[str] = []
        for value in self._table_values(table, properties):
            code = table.lookup(value)
            if code:
                codes.append((code, f"{column} = « {value} » → {code}"))
            elif value in typology_codes():
                codes.append(
                    (
                        value,
                        _("%(column)s = « %(value)s » (code de la typologie)")
                        % {"column": column, "value": value},
                    )
                )
            else:
                unmatched.append(value)
                table.unmatched[value] = table.unmatched.get(value, 0) + 1
        if codes:
            candidate.category, candidate.category_rule = codes[0]
            candidate.secondary_categories = [c for c, _rule in codes[1:] if c != codes[0][0]]
        if unmatched:
            candidate.extra["categorie_source"] = " ; ".join(unmatched)
