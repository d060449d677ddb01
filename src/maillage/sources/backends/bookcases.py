"""`bookcases`: the two public-bookcase (boîtes à livres) GeoJSON sources.

Every row gets the category `boites-a-livres` (rule "source de boîtes à livres →
boites-a-livres"), the exchange mode `don` and no counterpart. Which source a file comes from
is read from its properties:

- **zonelivre** (boite.a.livres.zonelivre.fr, licence not stated): properties `id` and `name`
  only, where `name` is the commune, not the box. The box is shown as "Boîte à livres —
  <commune>" and the commune goes to `city`.
- **boite-a-lire.com** (CC BY-NC-SA 2.0, non-commercial): `id`, `adresse`, `code_postal`,
  `ville`, `pays`, `remarque` (→ description), `coord_gps` (the point again, as text),
  `affichage`, `date_created` (when the box was reported, kept in `extra["signale_le"]`),
  `date_updated` (→ source_updated_on), `_source_file_region`. Same display name pattern, so
  that the same box seen by both sources reads alike.

The remote id is the source's `id`. Neither source says how the point was placed, so the
location precision is left unsaid. Neither licence allows committing samples: tests read the
files from the shared raw-data folder.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from maillage.core.i18n import gettext as _  # per row: see core/i18n.py

from ..errors import SourceFileError
from ..records import Candidate, RawRow
from ._common import (
    clean_postcode,
    feature_properties,
    forced_category,
    load_features,
    parse_date,
    remote_id,
    representative_point,
    text,
)
from .base import Backend

ZONELIVRE = "zonelivre"
BOITE_A_LIRE = "boite-a-lire"
SOURCE_LABELS = {ZONELIVRE: "zonelivre", BOITE_A_LIRE: "boite-a-lire.com"}
BOITE_A_LIRE_KEYS = frozenset({"id", "adresse", "code_postal", "ville"})
ZONELIVRE_KEYS = frozenset({"id", "name"})
CATEGORY = "boites-a-livres"
CATEGORY_RULE = "source de boîtes à livres → boites-a-livres"


def source_of(properties: dict[str, Any]) -> str | None:
    """Which of the two sources a feature comes from, from its property names."""
    keys = set(properties)
    if keys >= BOITE_A_LIRE_KEYS:
        return BOITE_A_LIRE
    if keys == ZONELIVRE_KEYS:
        return ZONELIVRE
    return None


def display_name(commune: str) -> str:
    return f"Boîte à livres — {commune}" if commune else "Boîte à livres"


class BookcasesBackend(Backend):
    name = "bookcases"
    label = "Boîtes à livres (zonelivre, boite-a-lire.com)"
    default_licence = (
        "zonelivre : licence des données non précisée ; "
        "boite-a-lire.com : CC BY-NC-SA 2.0 (usage non commercial)"
    )

    def detect(self, path: Path) -> str:
        """`zonelivre` or `boite-a-lire`; SourceFileError when the file is neither."""
        return self._detect(path, load_features(path))

    @staticmethod
    def _detect(path: Path, features: list[dict[str, Any]]) -> str:
        kinds = {source_of(feature_properties(feature)) for feature in features}
        if len(kinds) == 1 and None not in kinds:
            return str(kinds.pop())
        raise SourceFileError(
            _(
                "Le fichier %(file)s n'est pas un export de boîtes à livres reconnu : les "
                "propriétés attendues sont soit id et name (zonelivre), soit id, adresse, "
                "code_postal et ville (boite-a-lire.com), identiques pour tous les points."
            )
            % {"file": path.name}
        )

    def rows(self, path: Path) -> Iterator[RawRow]:
        features = load_features(path)
        if features:
            self._detect(path, features)
        for number, feature in enumerate(features, start=1):
            properties = feature_properties(feature)
            yield RawRow(number=number, remote_id=remote_id(properties.get("id")), data=feature)

    def parse(self, row: RawRow) -> Candidate:
        properties = feature_properties(row.data)
        source = source_of(properties) or ZONELIVRE
        lon, lat, notes = representative_point(row.data.get("geometry"))
        candidate = Candidate(
            lon=lon,
            lat=lat,
            exchange_modes=["don"],
            counterpart="aucune",
            notes=notes,
            extra={"source_boites": SOURCE_LABELS[source]},
        )
        if self.options.category:
            candidate.category, candidate.category_rule = forced_category(self.options.category)
        else:
            candidate.category = CATEGORY
            candidate.category_rule = f"{CATEGORY_RULE} ({SOURCE_LABELS[source]})"

        if source == ZONELIVRE:
            candidate.city = text(properties.get("name"))
            candidate.name = display_name(candidate.city)
            return candidate

        candidate.city = text(properties.get("ville"))
        candidate.name = display_name(candidate.city)
        candidate.address = text(properties.get("adresse"))
        candidate.description = text(properties.get("remarque"))
        candidate.postcode, more = clean_postcode(properties.get("code_postal"))
        notes += more
        candidate.source_updated_on, more = parse_date(
            properties.get("date_updated"), "date_updated"
        )
        notes += more
        reported, more = parse_date(properties.get("date_created"), "date_created")
        notes += more
        if reported:
            candidate.extra["signale_le"] = reported.isoformat()
        country = text(properties.get("pays"))
        if country:
            candidate.extra["pays"] = country
            if country.lower() != "france":
                notes.append(_("pays déclaré : %(country)s") % {"country": country})
        return candidate
