"""`bnlc`: the national carpooling-places base (Base nationale des lieux de covoiturage).

Schema etalab/schema-lieux-covoiturage. Two headers are accepted:

- the consolidated file published by transport.data.gouv.fr (schema 0.2.x), which starts with
  `id_lieu` — the national identifier, used as the remote id;
- the 0.3.0 schema, which dropped `id_lieu`. Its identifier fields are `insee` (commune) and
  `id_local` (the producer's own identifier, unique only per producer), so the remote id is
  `"<insee>-<id_local>"`. That is the same string as `id_lieu` whenever the national id was
  built that way (2,020 of the 2,473 rows of the real file), which keeps most places stable
  when a source moves from one header to the other.

Columns read: nom_lieu → name, ad_lieu → address, com_lieu → city, insee → insee_code,
Xlong/Ylat → lon/lat (the schema asks for the entrance of the place, ≥ 4 decimals, hence
location precision "exact"), ouvert → status (true → actif, false → ferme), date_maj →
source_updated_on, proprio → carrier when it obviously names a public body; nbre_pl,
nbre_pmr, type, proprio, source (SIREN of the producer), duree, horaires, lumiere, comm and
id_local are kept in `extra`.
"""

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from maillage.core.i18n import gettext as _  # per row: see core/i18n.py

from ..coords import parse_number
from ..records import Candidate, RawRow
from ._common import (
    clean_insee,
    csv_header,
    forced_category,
    parse_bool,
    parse_date,
    parse_int,
    read_csv,
    text,
)
from .base import Backend

# Required by schema 0.3.0 (and present in the older header too).
REQUIRED = ["nom_lieu", "insee", "type", "date_maj", "ouvert", "Xlong", "Ylat"]
# Without `id_lieu`, the remote id is built from these.
ID_FIELDS_030 = ["insee", "id_local"]

AUTOSTOP_TYPE = "Auto-stop"

# `proprio` is free text ("Commune", "CD88", "Aire aménagée par le Département", "SANEF"…).
# Only words that plainly name a public body make the carrier `acteur-public`; a partnership
# with a company ("Partenariat AUCHAN et MEL") or an unknown name stays "".
_PUBLIC_BODY = re.compile(
    r"\b(communes?|ville|mairie|departement|(conseil ?)?departemental|c[dg] ?\d{2,3}|region|"
    r"regionale?|metropole|communaute|agglomeration|agglo|epci|collectivite|syndicat mixte|"
    r"conseil general|public|publique|sivom|sivu|mel|cc|cdc)\b"
)
_NOT_PUBLIC = re.compile(r"\b(partenariat|prive|privee)\b")


def _plain(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def carrier_from_owner(owner: str) -> str:
    """`acteur-public` when `proprio` obviously names a public body, else ""."""
    plain = _plain(owner)
    if plain and _PUBLIC_BODY.search(plain) and not _NOT_PUBLIC.search(plain):
        return "acteur-public"
    return ""


class BnlcBackend(Backend):
    name = "bnlc"
    label = "Base nationale des lieux de covoiturage (BNLC)"
    default_licence = "ODbL — transport.data.gouv.fr (Base nationale des lieux de covoiturage)"

    def rows(self, path: Path) -> Iterator[RawRow]:
        header = csv_header(path)
        required = REQUIRED if "id_lieu" in header else REQUIRED + ["id_local"]
        for number, data in enumerate(
            read_csv(path, required, _("BNLC (schéma lieux de covoiturage)")), 1
        ):
            yield RawRow(number=number, remote_id=self.remote_id(data), data=data)

    @staticmethod
    def remote_id(data: dict[str, str]) -> str | None:
        """`id_lieu` when the file has it, else `"<insee>-<id_local>"` (schema 0.3.0)."""
        national = text(data.get("id_lieu"))
        if national:
            return national
        insee, local = text(data.get("insee")), text(data.get("id_local"))
        if insee and local:
            return f"{insee}-{local}"
        return None

    def parse(self, row: RawRow) -> Candidate:
        data = row.data
        candidate = Candidate(
            name=text(data.get("nom_lieu")),
            address=text(data.get("ad_lieu")),
            city=text(data.get("com_lieu")),
            lon=parse_number(data.get("Xlong")),
            lat=parse_number(data.get("Ylat")),
            exchange_modes=["usage-partage"],
        )
        notes = candidate.notes
        if candidate.lon is not None and candidate.lat is not None:
            candidate.location_precision = "exact"
        elif text(data.get("Xlong")) or text(data.get("Ylat")):
            notes.append(
                _("coordonnées illisibles : Xlong « %(x)s », Ylat « %(y)s »")
                % {"x": text(data.get("Xlong")), "y": text(data.get("Ylat"))}
            )

        candidate.insee_code, insee_notes = clean_insee(data.get("insee"))
        notes += insee_notes

        place_type = text(data.get("type"))
        if self.options.category:
            candidate.category, candidate.category_rule = forced_category(self.options.category)
        elif place_type == AUTOSTOP_TYPE:
            candidate.category = "autostop-organise"
            candidate.category_rule = f"type = « {AUTOSTOP_TYPE} » → autostop-organise"
        else:
            candidate.category = "covoiturage"
            candidate.category_rule = (
                f"type = « {place_type} » → covoiturage"
                if place_type
                else _("lieu de la base nationale des lieux de covoiturage → covoiturage")
            )

        opened = parse_bool(data.get("ouvert"))
        if opened is True:
            candidate.status = "actif"
        elif opened is False:
            candidate.status = "ferme"
        elif text(data.get("ouvert")):
            notes.append(
                _("ouvert illisible : « %(value)s » (ni true ni false)")
                % {"value": text(data.get("ouvert"))}
            )

        candidate.source_updated_on, date_notes = parse_date(data.get("date_maj"), "date_maj")
        notes += date_notes

        owner = text(data.get("proprio"))
        candidate.carrier = carrier_from_owner(owner)

        extra: dict[str, object] = {"type": place_type, "proprio": owner}
        for column in ("nbre_pl", "nbre_pmr", "duree"):
            value = text(data.get(column))
            if value:
                number = parse_int(value)
                extra[column] = number if number is not None else value
        lighting = parse_bool(data.get("lumiere"))
        if lighting is not None:
            extra["lumiere"] = lighting
        for column, key in (
            ("source", "source_siren"),
            ("horaires", "horaires"),
            ("comm", "comm"),
            ("id_local", "id_local"),
        ):
            value = text(data.get(column))
            if value:
                extra[key] = value
        candidate.extra = {key: value for key, value in extra.items() if value != ""}
        return candidate
