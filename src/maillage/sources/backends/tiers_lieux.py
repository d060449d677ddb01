"""`tiers-lieux`: the 2019 census of the CGET "Mission Coworking" (now ANCT), Licence Ouverte 2.0.

The same data is published as CSV (UTF-8, comma-separated) and as GeoJSON (the point in the
geometry instead of LAT/LONG); both are read, told apart by the file extension, else by the
first character of the file. A CSV row is kept as received; a GeoJSON row is kept as the
whole Feature.

Columns read: ID → remote id, NOM_TL → name, ADRESSE → address, CP → postcode, NOMCOM (else
COMINIT, the town as typed) → city, INSEECOM → insee_code as declared ("0" means none; the
INSEEMETRO/NOMCOMMETRO columns are inconsistent on some rows and are not used), WEB →
website, LAT/LONG → point, CONTACT/MAIL → contact name and e-mail (personal data, dropped by
the engine unless the mapping keeps it), TYPO → category:

- "Tiers lieux à dominante coworking" → coworking;
- "Tiers lieux à dominante fablab" → fablab;
- empty (the 49 places added after the mission) → no category: the engine queues them
  « à classer » rather than guessing.

Location precision from the geocoder (GEOCOD, PRECISION — a BAN score between 0 and 1):
GEOCOD « PLACE A LA MAIN » (placed by hand) → exact; score ≥ 0.9 → address (number and
street found); 0.5 ≤ score < 0.9 → street (street found, number doubtful); score < 0.5 →
commune (only the town or a place name matched); a score outside 0–1 (63 Occitanie rows
carry "9") or no score → unknown, with a note.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_noop

from maillage.core.i18n import gettext as _  # per row: see core/i18n.py

from ..coords import parse_number
from ..errors import SourceFileError
from ..records import Candidate, RawRow
from ._common import (
    check_not_html_or_binary,
    clean_email,
    clean_insee,
    clean_postcode,
    clean_website,
    feature_properties,
    forced_category,
    is_feature,
    load_features,
    read_csv,
    remote_id,
    representative_point,
    text,
)
from .base import Backend

LABEL = gettext_noop("recensement des tiers-lieux du CGET (2019)")
REQUIRED = ["ID", "NOM_TL", "TYPO", "INSEECOM"]
REQUIRED_CSV = REQUIRED + ["LAT", "LONG"]
TYPOLOGY = {
    "tiers lieux à dominante coworking": "coworking",
    "tiers lieux à dominante fablab": "fablab",
}
HAND_PLACED = "PLACE A LA MAIN"


def location_precision(geocoded: str, score: float | None) -> tuple[str, list[str]]:
    """Location precision from GEOCOD and PRECISION (thresholds in the module docstring)."""
    if geocoded.upper() == HAND_PLACED:
        return "exact", []
    if score is None:
        return "unknown", []
    if not 0 <= score <= 1:
        return "unknown", [
            _("précision inconnue : PRECISION = %(score)g, hors de l'échelle 0–1 du géocodeur")
            % {"score": score}
        ]
    if score >= 0.9:
        return "address", []
    if score >= 0.5:
        return "street", []
    return "commune", []


def is_geojson(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        return True
    if suffix in (".csv", ".txt"):
        return False
    head = check_not_html_or_binary(path)
    return head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n").startswith("{")


class TiersLieuxBackend(Backend):
    name = "tiers-lieux"
    label = "Tiers-lieux — recensement CGET / Mission Coworking (2019)"
    default_licence = "Licence Ouverte 2.0 — CGET (ANCT), Mission Coworking 2019"

    def rows(self, path: Path) -> Iterator[RawRow]:
        if is_geojson(path):
            yield from self._feature_rows(path)
            return
        for number, data in enumerate(read_csv(path, REQUIRED_CSV, _(LABEL)), start=1):
            yield RawRow(number=number, remote_id=remote_id(data.get("ID")), data=data)

    def _feature_rows(self, path: Path) -> Iterator[RawRow]:
        features = load_features(path)
        if features:
            present = feature_properties(features[0])
            missing = [name for name in REQUIRED if name not in present]
            if missing:
                raise SourceFileError(
                    _(
                        "Le fichier %(file)s n'est pas au format %(format)s : propriété(s) "
                        "obligatoire(s) absente(s) : %(columns)s."
                    )
                    % {"file": path.name, "format": _(LABEL), "columns": ", ".join(missing)}
                )
        for number, feature in enumerate(features, start=1):
            properties = feature_properties(feature)
            yield RawRow(number=number, remote_id=remote_id(properties.get("ID")), data=feature)

    def personal_cells(self) -> dict[str, list[tuple[str, ...]]]:
        """CONTACT and MAIL, in a CSV row or a feature's properties."""
        return {
            "contact_name": [("CONTACT",), ("properties", "CONTACT")],
            "contact_email": [("MAIL",), ("properties", "MAIL")],
        }

    def parse(self, row: RawRow) -> Candidate:
        data: dict[str, Any] = row.data
        notes: list[str] = []
        if is_feature(data):
            properties = feature_properties(data)
            lon, lat, point_notes = representative_point(data.get("geometry"))
            notes += point_notes
        else:
            properties = data
            lon, lat = parse_number(data.get("LONG")), parse_number(data.get("LAT"))
            if lon is None or lat is None:
                notes.append(
                    _("coordonnées illisibles : LAT « %(lat)s », LONG « %(lon)s »")
                    % {"lat": text(data.get("LAT")), "lon": text(data.get("LONG"))}
                )
                lon = lat = None

        def get(column: str) -> str:
            value = text(properties.get(column))
            return "" if value == "NULL" else value  # one CSV cell spells out the null

        candidate = Candidate(
            name=get("NOM_TL"),
            address=get("ADRESSE"),
            city=get("NOMCOM") or get("COMINIT"),
            lon=lon,
            lat=lat,
            contact_name=get("CONTACT"),
            exchange_modes=["usage-partage"],
            notes=notes,
        )
        candidate.postcode, more = clean_postcode(properties.get("CP"))
        notes += more
        candidate.insee_code, more = clean_insee(properties.get("INSEECOM"))
        notes += more
        candidate.website, more = clean_website(properties.get("WEB"))
        notes += more
        candidate.contact_email, more = clean_email(properties.get("MAIL"))
        notes += more

        score = parse_number(properties.get("PRECISION"))
        if lon is not None and lat is not None:
            candidate.location_precision, more = location_precision(get("GEOCOD"), score)
            notes += more

        typo = get("TYPO")
        if self.options.category:
            candidate.category, candidate.category_rule = forced_category(self.options.category)
        elif typo.lower() in TYPOLOGY:
            candidate.category = TYPOLOGY[typo.lower()]
            candidate.category_rule = f"TYPO = « {typo} » → {candidate.category}"
        elif typo:
            notes.append(_("TYPO inconnue : « %(value)s »") % {"value": typo})
        # An empty TYPO (places added after the mission) gets no category: the engine queues
        # the row « à classer » and says so.

        extra: dict[str, Any] = {
            "typo": typo,
            "commune_saisie": get("COMINIT"),
            "adresse_geocodee": get("GEOCOD"),
            "score_geocodeur": score,
            "twitter": get("TWITTER"),
            "facebook": get("FACEBOOK"),
        }
        candidate.extra = {key: value for key, value in extra.items() if value not in ("", None)}
        return candidate
