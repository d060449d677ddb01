"""GoGoCarto / Transiscope JSON → candidates; nested categories → typology.

Reading
    A JSON list of objects, or `{"data": [...]}` as the GoGoCarto API returns it. Both the
    Transiscope shape (`title`, `location {lat, lon}`, `address {street, postalCode, city,
    country}`, `categories [{id, name, parent}]`) and the GoGoCarto API shape (`name`,
    `geo {latitude, longitude}`, `address {streetAddress, postalCode, addressLocality,
    addressCountry}`, `categories` as a list of names) are read. Remote id = the object's `id`.

Classifying
    `data/gogocarto_categories.json` (editable) maps category names — compared without
    accents, case or punctuation — to typology codes; `"code": null` leaves a category
    unmapped on purpose, so that its rows go to the « à classer » queue rather than to a wrong
    category. The most specific mapped category wins: the deepest one along the `parent`
    links, and among equals the last one listed (GoGoCarto lists parents before children).
    Other mapped codes become secondary categories. When no category decides, a few
    unambiguous words of the title (« AMAP », « Repair café »…) may; otherwise category "".

    `options.mapping` amends the table:
    `{"categories": {"Nom de catégorie": "code", …}, "title_keywords": {"mot": "code", …}}`;
    an empty code ("" or null) switches an entry off.

Contacts
    `email` and `telephone` are the organisation's contacts; the engine decides what to keep.
"""

import datetime
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from maillage.core.i18n import gettext as _  # per row: see core/i18n.py

from ..coords import parse_number
from ..errors import RowRejected, SourceFileError
from ..limits import import_limits
from ..records import Candidate, RawRow
from ._common import check_file_size, check_not_html_or_binary, forced_category
from .base import Backend, BackendOptions

MAPPING_FILE = Path(__file__).resolve().parent / "data" / "gogocarto_categories.json"
POSTCODE_AT_END = re.compile(r"^(?P<street>.*?)[\s,]*\b(?P<postcode>\d{5})\s+(?P<city>[^\d,]+)$")


def normalise(text: str) -> str:
    """ "Écologie, Alimentation, Énergie" → "ecologie alimentation energie" """
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain.casefold()).split())


@dataclass(frozen=True)
class CategoryMapping:
    categories: dict[str, str]  # normalised name → code ("" = deliberately unmapped)
    keywords: dict[str, tuple[str, str]]  # normalised keyword → (keyword as written, code)


def category_table(overrides: dict[str, Any] | None = None) -> CategoryMapping:
    """The table of `data/gogocarto_categories.json`, amended by `options.mapping`."""
    table = json.loads(MAPPING_FILE.read_text(encoding="utf-8"))
    categories = {normalise(entry["name"]): entry["code"] or "" for entry in table["categories"]}
    keywords = {
        normalise(entry["keyword"]): (entry["keyword"], entry["code"] or "")
        for entry in table["title_keywords"]
    }
    overrides = overrides or {}
    for key in ("categories", "title_keywords"):
        extra = overrides.get(key, {})
        if not isinstance(extra, dict):
            raise SourceFileError(
                _("La clé « %(key)s » du mapping GoGoCarto doit associer des noms à des codes.")
                % {"key": key}
            )
        for name, code in extra.items():
            if key == "categories":
                categories[normalise(str(name))] = str(code or "")
            else:
                keywords[normalise(str(name))] = (str(name), str(code or ""))
    return CategoryMapping(categories=categories, keywords=keywords)


@dataclass(frozen=True)
class _Category:
    name: str
    depth: int
    position: int


def _categories(item: dict[str, Any]) -> list[_Category]:
    """The object's categories with their depth along the `parent` links given in the row."""
    raw = item.get("categories")
    if not isinstance(raw, list) or not raw:
        raw = item.get("categoriesFull")
    if not isinstance(raw, list):
        return []
    by_id: dict[str, dict[str, Any]] = {
        str(entry["id"]): entry for entry in raw if isinstance(entry, dict) and "id" in entry
    }

    def depth(entry: dict[str, Any], seen: frozenset[str] = frozenset()) -> int:
        parent = entry.get("parent")
        if parent in (None, ""):
            return 0
        parent_entry = by_id.get(str(parent))
        if parent_entry is None or str(parent) in seen:
            return 1
        return 1 + depth(parent_entry, seen | {str(parent)})

    found = []
    for position, entry in enumerate(raw):
        if isinstance(entry, dict) and str(entry.get("name") or "").strip():
            found.append(_Category(str(entry["name"]).strip(), depth(entry), position))
        elif isinstance(entry, str) and entry.strip():
            found.append(_Category(entry.strip(), 0, position))
    return found


def _read(path: Path) -> list[Any]:
    check_file_size(path, import_limits().whole_file_bytes)  # parsed whole, in memory
    check_not_html_or_binary(path)  # empty, gzip, binary, or an HTML error page
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFileError(_("Le fichier n'est pas encodé en UTF-8.")) from exc
    try:
        document = json.loads(text)
    except RecursionError as exc:
        raise SourceFileError(_("Le JSON imbrique trop de listes ou d'objets.")) from exc
    except json.JSONDecodeError as exc:
        raise SourceFileError(
            _("JSON invalide ou tronqué (ligne %(line)s, colonne %(column)s).")
            % {"line": exc.lineno, "column": exc.colno}
        ) from exc
    if isinstance(document, dict) and isinstance(document.get("data"), list):
        document = document["data"]
    if not isinstance(document, list):
        raise SourceFileError(
            "Ce JSON n'est pas un export GoGoCarto : attendu une liste d'objets "
            "ou un objet avec une liste « data »."
        )
    objects = [item for item in document if isinstance(item, dict)]
    if document and not any(
        "id" in item and ("title" in item or "name" in item) for item in objects
    ):
        raise SourceFileError(
            "Ce JSON n'est pas un export GoGoCarto : aucun objet n'a d'« id » et de titre."
        )
    return document


class GogocartoBackend(Backend):
    name = "gogocarto"
    label = "GoGoCarto / Transiscope (JSON)"

    def __init__(self, options: BackendOptions | None = None) -> None:
        super().__init__(options)
        self.mapping = category_table(self.options.mapping)

    def rows(self, path: Path) -> Iterator[RawRow]:
        for number, item in enumerate(_read(path), start=1):
            if not isinstance(item, dict):
                yield RawRow(number=number, remote_id=None, data={"valeur": item})
                continue
            identifier = item.get("id")
            remote_id = str(identifier).strip() if identifier not in (None, "") else None
            yield RawRow(number=number, remote_id=remote_id or None, data=item)

    def parse(self, row: RawRow) -> Candidate:
        item = row.data
        if "valeur" in item and len(item) == 1:
            raise RowRejected("élément invalide : pas un objet JSON")
        candidate = Candidate(
            name=_text(item.get("title")) or _text(item.get("name")),
            description="\n\n".join(
                dict.fromkeys(
                    text
                    for key in ("summary", "description", "descriptionMore")
                    if (text := _text(item.get(key)))
                )
            ),
            website=_text(item.get("website")),
            contact_email=_email(item.get("email")),
            contact_phone=_text(item.get("telephone")),
            contact_is_organisation=True,
        )
        if row.remote_id is None:
            candidate.notes.append("sans identifiant : objet GoGoCarto sans id")
        for key, label in (("url", "fiche"), ("commitment", "engagement"), ("sourceKey", "source")):
            value = _text(item.get(key))
            if value:
                candidate.extra[label] = value
        self._locate(candidate, item)
        self._address(candidate, item.get("address"))
        self._classify(candidate, item)
        if self.options.category:  # --category: a single-practice file
            candidate.category, candidate.category_rule = forced_category(self.options.category)
        updated = _date(item.get("updatedAt"))
        if updated:
            candidate.source_updated_on = updated
        return candidate

    def _locate(self, candidate: Candidate, item: dict[str, Any]) -> None:
        address = item.get("address")
        if not isinstance(address, dict):
            address = {}
        for container, lat_key, lon_key in (
            (item.get("location"), "lat", "lon"),
            (item.get("geo"), "latitude", "longitude"),
            (item, "lat", "lng"),
            (item, "latitude", "longitude"),
            (address.get("location"), "lat", "lon"),
        ):
            if isinstance(container, dict):
                lat = parse_number(container.get(lat_key))
                lon = parse_number(container.get(lon_key))
                if lat is not None and lon is not None:
                    candidate.lat, candidate.lon = lat, lon
                    return
        candidate.notes.append("sans coordonnées : objet GoGoCarto sans position")

    def _address(self, candidate: Candidate, address: object) -> None:
        if isinstance(address, str):
            candidate.address = address.strip()
            return
        if not isinstance(address, dict):
            return
        candidate.address = _text(address.get("street")) or _text(address.get("streetAddress"))
        candidate.postcode = _text(address.get("postalCode"))
        candidate.city = _text(address.get("city")) or _text(address.get("addressLocality"))
        if not candidate.address:
            candidate.address = _text(address.get("customFormatedAddress"))
        if not candidate.postcode and candidate.address:
            match = POSTCODE_AT_END.match(candidate.address)
            if match:
                candidate.postcode = match["postcode"]
                candidate.city = candidate.city or match["city"].strip()
                candidate.address = match["street"].strip()
                candidate.notes.append(
                    _("code postal lu dans la rue : %(postcode)s %(city)s")
                    % {"postcode": candidate.postcode, "city": candidate.city}
                )
        country = _text(address.get("country")) or _text(address.get("addressCountry"))
        if country and normalise(country) not in ("fr", "france"):
            candidate.notes.append(
                _("pays étranger : « %(country)s » déclaré") % {"country": country}
            )

    def _classify(self, candidate: Candidate, item: dict[str, Any]) -> None:
        categories = _categories(item)
        mapped = [
            (category, code)
            for category in categories
            if (code := self.mapping.categories.get(normalise(category.name)))
        ]
        if mapped:
            deciding, code = max(mapped, key=lambda pair: (pair[0].depth, pair[0].position))
            candidate.category = code
            candidate.category_rule = f"GoGoCarto « {deciding.name} » → {code}"
            candidate.secondary_categories = list(
                dict.fromkeys(other for _category, other in mapped if other != code)
            )
            return
        title = normalise(candidate.name)
        for key, (keyword, code) in self.mapping.keywords.items():
            if code and key and f" {key} " in f" {title} ":
                candidate.category = code
                candidate.category_rule = _(
                    "GoGoCarto titre contenant « %(keyword)s » → %(code)s"
                ) % {"keyword": keyword, "code": code}
                break
        if categories:
            names = ", ".join(f"« {category.name} »" for category in categories)
            candidate.notes.append(
                _("catégories GoGoCarto sans correspondance : %(names)s") % {"names": names}
            )
        elif isinstance(item.get("taxonomy"), list) and item["taxonomy"]:
            candidate.notes.append(
                _("catégories GoGoCarto par identifiant seulement : ajoutez leurs noms au mapping")
            )
        else:
            candidate.notes.append(_("sans catégorie GoGoCarto : la fiche n'en donne aucune"))


def _text(value: object) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def _email(value: object) -> str:
    """GoGoCarto writes "hidden" when the map hides the address."""
    text = _text(value)
    return text if "@" in text else ""


def _date(value: object) -> datetime.date | None:
    text = _text(value)
    for pattern, order in (
        (r"(\d{4})-(\d{2})-(\d{2})", (1, 2, 3)),
        (r"(\d{2})/(\d{2})/(\d{4})", (3, 2, 1)),
    ):
        match = re.match(pattern, text)
        if match:
            try:
                return datetime.date(*(int(match[i]) for i in order))
            except ValueError:
                return None
    return None
