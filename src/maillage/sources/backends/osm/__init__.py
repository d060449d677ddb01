"""OpenStreetMap: Overpass API JSON and OSM XML → candidates; tag rules → categories.

Reading
    Both formats become the same row: a dict shaped like an Overpass JSON element
    (`type`, `id`, `tags`, `lat`/`lon`, `center`, `geometry`, `nodes`, `members`, `bounds`).
    OSM XML is streamed with `iterparse` and every element is cleared once read. Contributor
    pseudonyms (`user`, `uid`) are not kept: they are personal data the catalogue never needs.

    Elements without any tag are geometry, not initiatives (the nodes of a way, the ways of a
    multipolygon): they are used to place ways and relations and are not rows. Their number
    is kept in `OsmBackend.untagged_elements`.

    When a way has neither `center` nor `geometry`, its point is computed from the nodes of
    the file it refers to (always the case in OSM XML); a relation uses the points of its
    members found in the file. Those points are added to the row under `resolved_geometry`
    (way) or `resolved_members` (relation), so that `parse` needs nothing but the row.

Classifying
    `data/osm_rules.json` (editable) lists tag rules → typology codes, built from the OSM
    hints of the typology. The rule needing the most tags wins, then a sure rule over a
    disputed one, then the order of the table. Current tags beat lifecycle-prefixed ones
    (`disused:amenity=…`). No rule → category "" (the engine queues the row « à classer »).
    `options.mapping["rules"]` adds rules in the same shape; one with the same tags as a
    table rule replaces it, and a rule with `"category": ""` switches it off.

Naming
    `name`, else `name:fr`, else `official_name`. Many OSM objects (book boxes, car-pooling
    areas) have no name: `name` is then left empty with a note and the engine decides.
"""

import datetime
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ...errors import RowRejected, SourceFileError
from ...records import Candidate, RawRow
from .._common import forced_category
from ..base import Backend, BackendOptions
from .reading import (
    ELEMENT_TYPES,
    Resolver,
    element_point,
    no_point_reason,
    read_json,
    read_xml,
    sniff,
)
from .rules import (
    LIFECYCLE_STATUS,
    MAIN_KEYS,
    TagRule,
    classify,
    lifecycle_status,
    load_rules,
    split_values,
)

# What `operator:type` says about who runs the place → the typology's carriers.
OPERATOR_TYPE_CARRIER = {
    "cooperative": "cooperative",
    "community": "collectif-citoyen",
    "association": "association",
    "ngo": "association",
    "public": "acteur-public",
    "government": "acteur-public",
    "municipal": "acteur-public",
}
EXTRA_TAGS = ("operator", "opening_hours", "capacity", "access", "fee", "wheelchair")
MONTHS = (
    gettext_noop("janvier"),
    gettext_noop("février"),
    gettext_noop("mars"),
    gettext_noop("avril"),
    gettext_noop("mai"),
    gettext_noop("juin"),
    gettext_noop("juillet"),
    gettext_noop("août"),
    gettext_noop("septembre"),
    gettext_noop("octobre"),
    gettext_noop("novembre"),
    gettext_noop("décembre"),
)


def parse_osm_date(value: str, what: str) -> tuple[datetime.date | None, str]:
    """OSM dates: "2019-05-12", "2019-05", "2019", "~2019" → date, and a note « kind : detail »
    when the date was completed or could not be read."""
    text = value.strip()
    approximate = text.startswith("~") or text.endswith("~")
    core = text.strip("~ ")
    match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", core)
    detail = _("%(what)s OSM « %(value)s »") % {"what": what, "value": value}
    if match is None:
        return None, _("date illisible : %(detail)s non interprétée") % {"detail": detail}
    year, month, day = int(match[1]), int(match[2] or 1), int(match[3] or 1)
    try:
        date = datetime.date(year, month, day)
    except ValueError:
        return None, _("date impossible : %(detail)s") % {"detail": detail}
    kind = (
        _("date approximative") if approximate else _("date partielle") if match[3] is None else ""
    )
    if match[2] is None:
        detail += _(", 1er janvier %(year)s retenu") % {"year": year}
    elif match[3] is None:
        detail += _(", 1er %(month)s %(year)s retenu") % {
            "month": _(MONTHS[month - 1]),
            "year": year,
        }
    return date, f"{kind} : {detail}" if kind else ""


def _first(tags: dict[str, str], *keys: str) -> str:
    for key in keys:
        value = tags.get(key, "").strip()
        if value:
            return split_values(value)[0]
    return ""


def _tag(tags: dict[str, str], *keys: str) -> str:
    """The first non-empty value among `keys`, whole (free text may contain ";")."""
    for key in keys:
        value = tags.get(key, "").strip()
        if value:
            return value
    return ""


def _address(tags: dict[str, str]) -> str:
    for prefix in ("addr", "contact"):
        street = tags.get(f"{prefix}:street") or tags.get(f"{prefix}:place") or ""
        number = tags.get(f"{prefix}:housenumber", "")
        if street:
            return f"{number} {street}".strip()
    return tags.get("addr:full", "").strip()


class OsmBackend(Backend):
    name = "osm"
    label = "OpenStreetMap (Overpass JSON ou OSM XML)"
    default_licence = "ODbL 1.0 — © les contributeurs d'OpenStreetMap"

    def __init__(self, options: BackendOptions | None = None) -> None:
        super().__init__(options)
        extra = self.options.mapping.get("rules", [])
        if not isinstance(extra, list):
            raise SourceFileError(
                _("La clé « rules » du mapping OSM doit être une liste de règles.")
            )
        try:
            self.rules = load_rules(extra)
        except ValueError as exc:
            raise SourceFileError(str(exc)) from exc
        self.untagged_elements = 0

    def rows(self, path: Path) -> Iterator[RawRow]:
        self.untagged_elements = 0
        resolver = Resolver()
        elements: Iterable[dict[str, Any]]
        if sniff(path) == "json":
            # The JSON document is in memory anyway: index nodes, then ways, whatever the
            # order of the file, so that relations can use both.
            elements = list(read_json(path))
            for element in elements:
                if element.get("type") == "node":
                    resolver.remember(element)
            for element in elements:
                if element.get("type") == "way":
                    resolver.resolve(element)
                    resolver.remember(element)
        else:
            elements = read_xml(path)  # streamed: nodes come before ways, ways before relations
        for number, element in enumerate(elements, start=1):
            resolver.resolve(element)
            resolver.remember(element)
            if element.get("type") in ELEMENT_TYPES and not element.get("tags"):
                self.untagged_elements += 1
                continue
            remote_id = None
            if element.get("type") in ELEMENT_TYPES and element.get("id") is not None:
                remote_id = f"{element['type']}/{element['id']}"
            yield RawRow(number=number, remote_id=remote_id, data=element)

    def parse(self, row: RawRow) -> Candidate:
        element = row.data
        kind = element.get("type")
        if kind not in ELEMENT_TYPES:
            raise RowRejected(
                _("type d'élément OSM non pris en charge : « %(kind)s »") % {"kind": kind}
            )
        if row.remote_id is None:
            raise RowRejected(_("sans identifiant : élément OSM sans id"))
        raw_tags = element.get("tags")
        if not isinstance(raw_tags, dict):
            raise RowRejected(_("sans étiquettes : élément OSM sans étiquette"))
        tags = {str(k): str(v) for k, v in raw_tags.items()}
        located = element_point(element)
        if located is None:
            raise RowRejected(no_point_reason(element))
        (lon, lat), point_note = located

        candidate = Candidate(
            lon=lon,
            lat=lat,
            location_precision="exact",
            osm_id=row.remote_id,
            description=_tag(tags, "description", "description:fr"),
            address=_address(tags),
            postcode=_first(tags, "addr:postcode", "contact:postcode"),
            city=_tag(tags, "addr:city", "contact:city"),
            website=_first(tags, "website", "contact:website", "url"),
            network=_first(tags, "network", "brand", "operator"),
            contact_email=_first(tags, "contact:email", "email"),
            contact_phone=_first(tags, "contact:phone", "phone"),
            contact_is_organisation=True,
            carrier=OPERATOR_TYPE_CARRIER.get(tags.get("operator:type", ""), ""),
            extra={"osm_type": kind}
            | {key: tags[key] for key in EXTRA_TAGS if tags.get(key, "").strip()},
        )
        if point_note:
            candidate.notes.append(point_note)
        self._name(candidate, tags)
        self._identifiers(candidate, tags)
        self._classify(candidate, tags)
        if self.options.category:  # --category: a single-practice file
            candidate.category, candidate.category_rule = forced_category(self.options.category)
        self._dates(candidate, tags, element)
        return candidate

    def _name(self, candidate: Candidate, tags: dict[str, str]) -> None:
        for key in ("name", "name:fr", "official_name"):
            value = tags.get(key, "").strip()
            if value:
                candidate.name = value
                if key != "name":
                    candidate.notes.append(
                        _("nom lu dans une autre étiquette : %(key)s") % {"key": key}
                    )
                return
        candidate.notes.append(_("sans nom : objet OSM sans étiquette name"))

    def _identifiers(self, candidate: Candidate, tags: dict[str, str]) -> None:
        siret = tags.get("ref:FR:SIRET", "").strip()
        if siret:
            digits = re.sub(r"\s", "", siret)
            candidate.siret = digits
            if not re.fullmatch(r"\d{14}", digits):
                candidate.notes.append(
                    _("SIRET douteux : « %(value)s » n'a pas 14 chiffres") % {"value": siret}
                )
        rna = tags.get("ref:FR:RNA", "").strip().upper()
        if rna:
            candidate.rna = rna
            if not re.fullmatch(r"W\d{9}", rna):
                candidate.notes.append(
                    _("numéro RNA douteux : « %(value)s », attendu W et 9 chiffres")
                    % {"value": rna}
                )

    def _classify(self, candidate: Candidate, tags: dict[str, str]) -> None:
        decided = classify(tags, self.rules)
        candidate.category = decided.category
        candidate.category_rule = decided.rule
        candidate.secondary_categories = list(decided.secondary)
        candidate.status = decided.status
        if decided.disputed_comment:
            candidate.extra["category_confidence"] = "faible"
            candidate.notes.append(
                _("catégorie contestée, à vérifier : %(comment)s")
                % {"comment": decided.disputed_comment}
            )
        if not decided.category:
            main = [f"{key}={tags[key]}" for key in MAIN_KEYS if key in tags]
            described = ", ".join(main) if main else _("aucune étiquette principale")
            candidate.notes.append(_("étiquettes OSM sans règle : %(tags)s") % {"tags": described})
        if not candidate.status:
            candidate.status = lifecycle_status(tags)
        if candidate.status == "ferme":
            candidate.notes.append(_("cycle de vie OSM : objet hors d'usage"))
        elif candidate.status == "projet":
            candidate.notes.append(_("cycle de vie OSM : objet en projet ou en construction"))

    def _dates(self, candidate: Candidate, tags: dict[str, str], element: dict[str, Any]) -> None:
        opened = _first(tags, "start_date", "opening_date")
        if opened:
            candidate.opened_on, note = parse_osm_date(opened, _("date d'ouverture"))
            if note:
                candidate.notes.append(note)
        closed = _first(tags, "end_date")
        if closed:
            candidate.closed_on, note = parse_osm_date(closed, _("date de fermeture"))
            if note:
                candidate.notes.append(note)
            today = datetime.datetime.now(datetime.UTC).date()
            if candidate.closed_on and candidate.closed_on <= today and not candidate.status:
                candidate.status = "ferme"
        checked = _first(tags, "check_date", "survey:date")
        if checked:
            candidate.source_updated_on, note = parse_osm_date(checked, _("date de vérification"))
        elif isinstance(element.get("timestamp"), str):
            stamp = element["timestamp"][:10]
            candidate.source_updated_on, _note = parse_osm_date(stamp, _("date de modification"))


__all__ = ["LIFECYCLE_STATUS", "OsmBackend", "TagRule", "classify", "load_rules", "parse_osm_date"]
