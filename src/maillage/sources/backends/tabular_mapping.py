"""The declarative column mapping of the csv and xlsx backends: load, check, propose.

A mapping is a plain dict, written by hand in JSON or YAML (or printed by `--dry-run` when the
file came without one, to be saved and corrected)::

    {
      "fields": {                      # Candidate field → column name (or list of columns,
        "remote_id": "ID",             #   joined with a space: ["NUM_VOIE", "LIB_VOIE"])
        "name": "NOM_TL",
        "address": "ADRESSE", "postcode": "CP", "city": "NOMCOM", "insee_code": "INSEECOM",
        "lat": "LAT", "lon": "LONG",
        "website": "WEB", "contact_email": "MAIL",
        "source_updated_on": "DATE_MAJ"
      },
      "coordinates": "auto",           # wgs84 | lambert93 | auto (Lambert-93 when the
                                       #   values look like it, row by row); default auto
      "latlon_column": "coords",       # instead of lat/lon: one "lat,lon" column
      "category": {                    # value of a column → typology code
        "column": "TYPO",
        "values": {"Tiers lieux à dominante fablab": "fablab",
                   "Tiers lieux à dominante coworking": "coworking"},
        "separator": ";"               # optional: several values in one cell
      },                               # or {"value": "fablab"} for the whole file
      "status": {"column": "ouvert", "values": {"true": "actif", "false": "ferme"}},
      "extra": ["nbre_pl"],            # other columns kept in Candidate.extra
      "keep_personal_data": {"fields": ["contact_email"], "legal_basis": "…"},
      "sheet": "Feuille1",             # xlsx: sheet name or 1-based number; default first
      "encoding": "cp1252", "delimiter": ";", "header_row": 3   # csv: force detection
    }

Column names match exactly first, then ignoring case, accents, spaces and punctuation. Values
of the category and status tables match the same way. A column named in the mapping but absent
from the file fails the job (SourceFileError) before any row is read.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from ..errors import SourceFileError

TEXT_FIELDS = (
    "name",
    "description",
    "address",
    "postcode",
    "city",
    "insee_code",
    "website",
    "siret",
    "rna",
    "osm_id",
    "network",
    "carrier",
    "counterpart",
    "contact_name",
    "contact_email",
    "contact_phone",
)
DATE_FIELDS = ("created_on", "opened_on", "closed_on", "source_updated_on")
FIELDS = (*TEXT_FIELDS, *DATE_FIELDS, "lat", "lon", "remote_id")
PERSONAL_FIELDS = ("contact_name", "contact_email", "contact_phone")
COORDINATE_SYSTEMS = ("auto", "wgs84", "lambert93")
STATUSES = ("projet", "actif", "en-sommeil", "ferme")
MAPPING_KEYS = (
    "fields",
    "coordinates",
    "latlon_column",
    "category",
    "status",
    "extra",
    "keep_personal_data",
    "sheet",
    "records",  # json: the key holding the list of records
    "encoding",
    "delimiter",
    "header_row",
    "decimal",
)


def normalize(text: object) -> str:
    """Lowercase ASCII letters and digits only: « Code INSEE » → "codeinsee"."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "", ascii_text.lower())


def _mapping_error(message: str) -> SourceFileError:
    return SourceFileError(
        _("correspondance de colonnes invalide : %(problem)s") % {"problem": message}
    )


def _columns(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str) and value.strip():
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise _mapping_error(
        _("%(where)s doit être un nom de colonne ou une liste de noms") % {"where": where}
    )


def _table(value: object, where: str, allowed: tuple[str, ...] | None = None) -> None:
    if not isinstance(value, dict):
        raise _mapping_error(_("%(where)s doit être un objet") % {"where": where})
    unknown = set(value) - {"column", "values", "separator", "value"}
    if unknown:
        raise _mapping_error(
            _("%(where)s : clé(s) inconnue(s) %(keys)s")
            % {"where": where, "keys": ", ".join(sorted(unknown))}
        )
    if "value" in value:
        if not isinstance(value["value"], str):
            raise _mapping_error(_("%(where)s.value doit être un code") % {"where": where})
        return
    _columns(value.get("column"), f"{where}.column")
    if not isinstance(value.get("separator", ""), str):
        raise _mapping_error(_("%(where)s.separator doit être un texte") % {"where": where})
    values = value.get("values", {})
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise _mapping_error(
            _("%(where)s.values doit associer chaque valeur à un code") % {"where": where}
        )
    if allowed:
        wrong = sorted({v for v in values.values() if v and v not in allowed})
        if wrong:
            raise _mapping_error(
                _("%(where)s.values : code(s) %(codes)s inconnu(s) (attendus : %(allowed)s)")
                % {"where": where, "codes": ", ".join(wrong), "allowed": ", ".join(allowed)}
            )


def check_mapping(mapping: dict[str, Any]) -> None:
    """Raise SourceFileError (French) when the mapping is malformed."""
    unknown = set(mapping) - set(MAPPING_KEYS)
    if unknown:
        raise _mapping_error(
            _("clé(s) inconnue(s) %(keys)s (attendues : %(allowed)s)")
            % {"keys": ", ".join(sorted(unknown)), "allowed": ", ".join(MAPPING_KEYS)}
        )
    fields = mapping.get("fields", {})
    if not isinstance(fields, dict):
        raise _mapping_error(_("« fields » doit associer des champs à des colonnes"))
    wrong = sorted(set(fields) - set(FIELDS))
    if wrong:
        raise _mapping_error(
            _("champ(s) inconnu(s) %(fields)s (connus : %(known)s)")
            % {"fields": ", ".join(wrong), "known": ", ".join(FIELDS)}
        )
    for name, columns in fields.items():
        if name in ("lat", "lon", "remote_id") or name in DATE_FIELDS:
            if not isinstance(columns, str) or not columns:
                raise _mapping_error(
                    _("fields.%(field)s doit être un seul nom de colonne") % {"field": name}
                )
        else:
            _columns(columns, f"fields.{name}")
    if ("lat" in fields) != ("lon" in fields):
        raise _mapping_error(_("fields.lat et fields.lon vont ensemble"))
    if mapping.get("coordinates", "auto") not in COORDINATE_SYSTEMS:
        raise _mapping_error(
            _("« coordinates » vaut %(values)s") % {"values": " | ".join(COORDINATE_SYSTEMS)}
        )
    if "latlon_column" in mapping:
        if "lat" in fields:
            raise _mapping_error(_("« latlon_column » ou fields.lat/lon, pas les deux"))
        if not isinstance(mapping["latlon_column"], str) or not mapping["latlon_column"]:
            raise _mapping_error(_("« latlon_column » doit être un nom de colonne"))
    if "category" in mapping:
        _table(mapping["category"], "category")
    if "status" in mapping:
        _table(mapping["status"], "status", STATUSES)
    extra = mapping.get("extra", [])
    if not isinstance(extra, list) or not all(isinstance(c, str) for c in extra):
        raise _mapping_error(_("« extra » doit être une liste de noms de colonnes"))
    keep = mapping.get("keep_personal_data")
    if keep is not None:
        if (
            not isinstance(keep, dict)
            or not isinstance(keep.get("fields"), list)
            or not all(isinstance(f, str) for f in keep["fields"])
        ):
            raise _mapping_error(_("« keep_personal_data » : {fields: [...], legal_basis: ...}"))
        if set(keep["fields"]) - set(PERSONAL_FIELDS):
            raise _mapping_error(
                _("keep_personal_data.fields parmi %(fields)s")
                % {"fields": ", ".join(PERSONAL_FIELDS)}
            )
        basis = keep.get("legal_basis")
        if keep["fields"] and (not isinstance(basis, str) or not basis.strip()):
            raise _mapping_error(
                _(
                    "conserver des données personnelles exige une base légale "
                    "(keep_personal_data.legal_basis)"
                )
            )
    header_row = mapping.get("header_row")
    if header_row is not None and (
        isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1
    ):
        raise _mapping_error(_("« header_row » est un numéro de ligne (1 = première ligne)"))
    delimiter = mapping.get("delimiter")
    if delimiter is not None and delimiter not in (",", ";", "\t", "|"):
        raise _mapping_error(_("« delimiter » parmi « , » « ; » tabulation « | »"))
    for key in ("encoding", "decimal"):
        if key in mapping and not isinstance(mapping[key], str):
            raise _mapping_error(_("« %(key)s » doit être un texte") % {"key": key})
    sheet = mapping.get("sheet")
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, str | int)):
        raise _mapping_error(_("« sheet » est un nom de feuille ou un numéro (1 = première)"))


# ---------------------------------------------------------------------------------------------
# Proposal from the header


def _names(words: str) -> tuple[str, ...]:
    return tuple(words.split())


# field → normalised column names recognised as such (first pass, exact).
_EXACT: dict[str, tuple[str, ...]] = {
    "latlon_column": _names(
        "latlon latlng latitudelongitude coordonnees coordonneesgps coordonneesgeographiques "
        "coordonneeswgs84 coordinates coordinate coords coord geopoint2d geopoint geoloc "
        "geolocalisation geocoordinates position positiongps gps wgs84 point geopoint"
    ),
    "siret": _names("siret numsiret numerosiret nsiret siretstructure"),
    "rna": _names("rna numrna numerorna nrna rnaid coderna"),
    "insee_code": _names(
        "insee codeinsee inseecom inseecommune inseecode codeinseecommune codeinseecom "
        "codgeo codegeo codecommune codecom codcom codcommune depcom citycode comcode cog "
        "codeinseedelacommune"
    ),
    "postcode": _names(
        "cp codepostal codpostal codepost cpostal postcode postalcode zip zipcode cpcommune "
        "codepostaldelacommune"
    ),
    "lat": _names(
        "lat latitude y ylat ylatitude latwgs84 latitudewgs84 ywgs84 coordy coordonneey "
        "geolat gpslat latgps latitudegps yl93 ylambert93 ylamb93 y2154 lambert93y"
    ),
    "lon": _names(
        "lon lng long longitude x xlong xlon xlng xlongitude lonwgs84 longwgs84 "
        "longitudewgs84 xwgs84 coordx coordonneex geolon geolng gpslon longps longitudegps "
        "xl93 xlambert93 xlamb93 x2154 lambert93x"
    ),
    "remote_id": _names(
        "id identifiant ident uid ref reference objectid fid gid idunique identifiantunique"
    ),
    "name": _names(
        "nom name libelle intitule denomination raisonsociale titre title appellation nomlieu "
        "nomdulieu nomtl nomstructure nometablissement nomsite nomprojet nomduprojet "
        "nominitiative nomdelinitiative nomdelastructure libellelieu"
    ),
    "address": _names(
        "adresse address adr addr adresse1 adresseligne1 adressepostale adressecomplete "
        "adlieu adresselieu adressedulieu voie rue street streetaddress fulladdress "
        "libellevoie adressestructure"
    ),
    "city": _names(
        "commune ville city nomcom nomcommune libcom libcommune libellecommune comlieu "
        "municipality town localite communenom nomdelacommune nomville villelieu"
    ),
    "category": _names(
        "categorie category categories type typologie typo thematique theme secteur activite "
        "famille typedelieu typelieu typestructure nature domaine"
    ),
    "website": _names(
        "siteweb siteinternet site url website web lien link internet homepage urlsite"
    ),
    "description": _names("description descriptif presentation resume desc"),
    "network": _names("reseau network marque brand enseigne nomreseau"),
    "contact_email": _names(
        "email mail courriel mel emailcontact contactemail contactmail adressemail "
        "adresseemail adresseelectronique"
    ),
    "contact_phone": _names(
        "telephone tel phone telephonecontact contacttelephone portable mobile numtel "
        "numerotelephone"
    ),
    "contact_name": _names(
        "contact nomcontact contactnom responsable referent nomresponsable personnecontact"
    ),
    "source_updated_on": _names(
        "datemaj datemiseajour datedemiseajour miseajour maj dernieremaj lastupdate "
        "updatedat updated datemodification dateupdate"
    ),
    "created_on": _names("datecreation datedecreation creation anneecreation anneedecreation"),
    "opened_on": _names("dateouverture datedouverture ouverture dateopening"),
    "closed_on": _names("datefermeture datedefermeture fermeture"),
    "osm_id": _names("osmid idosm osm"),
}

# field → (pattern, exclusion) tried on the normalised names in a second, looser pass.
_LOOSE: dict[str, tuple[str, str]] = {
    "siret": (r"siret", r"^$"),
    "insee_code": (r"insee", r"reg|dep|epci|metro|ze|arr|canton|iris|pays"),
    "postcode": (r"codepostal|postcode|postalcode|zipcode", r"^$"),
    "lat": (r"^(coord\w*)?(lat|latitude)\w*$|\w*(lat|latitude)$", r"lon|lng|latlon"),
    "lon": (r"^(coord\w*)?(lon|lng|longitude)\w*$|\w*(lon|lng|longitude)$", r"longueur|lat"),
    "remote_id": (r"^id(entifiant)?[a-z]*$", r"^(idee|idees|identite)$"),
    "name": (r"^(nom|name|libelle)", r"com|dep|reg|epci|metro|ze|contact|resp|ville|pays"),
    "address": (r"adress|address", r"mail|electronique|web|ip"),
    "city": (r"(commune|ville|city)", r"code|insee|nb|nombre|pop|type|class"),
    "category": (r"categ|^typ", r"^$"),
    "website": (r"siteweb|siteinternet|url|website", r"^$"),
    "description": (r"descri", r"^$"),
    "contact_email": (r"mail|courriel", r"^$"),
    "contact_phone": (r"telephone|phone|^tel", r"^$"),
}
_PROPOSAL_ORDER = tuple(_EXACT)
_LAMBERT_NAME = re.compile(r"l93|lambert|lamb|2154")


def propose_mapping(header: list[str]) -> dict[str, Any]:
    """A mapping guessed from common French and English column names, for the user to save and
    correct. Each column serves one field at most; exact names win over partial ones."""
    normalised = [normalize(column) for column in header]
    chosen: dict[str, str] = {}
    used: set[int] = set()

    def pick(field_name: str, test: Any) -> None:
        if field_name in chosen:
            return
        for index, key in enumerate(normalised):
            if index not in used and key and test(key):
                chosen[field_name] = header[index]
                used.add(index)
                return

    for field_name in _PROPOSAL_ORDER:
        names = set(_EXACT[field_name])
        pick(field_name, lambda key, names=names: key in names)
    for field_name, (pattern, exclusion) in _LOOSE.items():
        wanted, unwanted = re.compile(pattern), re.compile(exclusion)
        pick(
            field_name,
            lambda key, w=wanted, u=unwanted: bool(w.search(key)) and not u.search(key),
        )

    mapping: dict[str, Any] = {"fields": {}}
    if "lat" in chosen and "lon" in chosen:
        chosen.pop("latlon_column", None)
        lambert = _LAMBERT_NAME.search(normalize(chosen["lat"] + chosen["lon"]))
        mapping["coordinates"] = "lambert93" if lambert else "auto"
    else:
        chosen.pop("lat", None)
        chosen.pop("lon", None)
        mapping["coordinates"] = "auto"
    for field_name in FIELDS:
        if field_name in chosen:
            mapping["fields"][field_name] = chosen[field_name]
    if "latlon_column" in chosen:
        mapping["latlon_column"] = chosen["latlon_column"]
    if "category" in chosen:
        mapping["category"] = {"column": chosen["category"], "values": {}}
    return mapping


# ---------------------------------------------------------------------------------------------
# Resolution against a real header


@dataclass
class ValueTable:
    """A column whose values translate to codes (category, status)."""

    columns: tuple[str, ...]
    values: dict[str, str]  # as written in the mapping
    by_key: dict[str, str]  # normalised value → code
    separator: str = ""
    constant: str | None = None  # {"value": code}
    unmatched: dict[str, int] = field(default_factory=dict)  # value seen → count
    # value as met → its code by normalised key: a file repeats the same few values
    _by_value: dict[str, str | None] = field(default_factory=dict, repr=False)

    def lookup(self, value: str) -> str | None:
        if value in self.values:
            return self.values[value]
        if value in self._by_value:
            return self._by_value[value]
        code = self.by_key.get(normalize(value))
        if len(self._by_value) < 10_000:
            self._by_value[value] = code
        return code


@dataclass
class ResolvedMapping:
    """A checked mapping whose column names are those of the file."""

    source: dict[str, Any]  # the mapping with the file's column names
    proposed: bool
    text: dict[str, tuple[str, ...]]
    dates: dict[str, str]
    lat: str | None
    lon: str | None
    latlon: str | None
    coordinates: str
    remote_id: str | None
    category: ValueTable | None
    status: ValueTable | None
    extra: tuple[str, ...]


def _find(column: str, header: list[str], by_key: dict[str, str], missing: list[str]) -> str:
    if column in header:
        return column
    match = by_key.get(normalize(column))
    if match is None:
        missing.append(column)
        return column
    return match


def _resolve_table(
    spec: dict[str, Any], header: list[str], by_key: dict[str, str], missing: list[str]
) -> tuple[ValueTable, dict[str, Any]]:
    if "value" in spec:
        return ValueTable((), {}, {}, constant=spec["value"]), dict(spec)
    columns = tuple(_find(c, header, by_key, missing) for c in _columns(spec["column"], ""))
    values = dict(spec.get("values") or {})
    table = ValueTable(
        columns,
        values,
        {normalize(k): v for k, v in values.items()},
        separator=spec.get("separator", ""),
    )
    resolved = dict(spec, column=columns[0] if len(columns) == 1 else list(columns))
    return table, resolved


def resolve_mapping(mapping: dict[str, Any], header: list[str], proposed: bool) -> ResolvedMapping:
    """Match the mapping's columns to the header. SourceFileError listing the missing columns
    (and the available ones) when a named column is not in the file, or when the mapping gives
    nothing to identify a row by (no name, coordinates nor address)."""
    check_mapping(mapping)
    by_key: dict[str, str] = {}
    for column in header:
        by_key.setdefault(normalize(column), column)
    missing: list[str] = []
    fields: dict[str, Any] = {}
    source: dict[str, Any] = {"fields": fields, "coordinates": "auto"}
    source.update((k, v) for k, v in mapping.items() if k != "fields")
    text: dict[str, tuple[str, ...]] = {}
    single: dict[str, str] = {}
    for name, columns in mapping.get("fields", {}).items():
        found = tuple(_find(c, header, by_key, missing) for c in _columns(columns, name))
        fields[name] = found[0] if len(found) == 1 else list(found)
        if name in TEXT_FIELDS:
            text[name] = found
        else:
            single[name] = found[0]
    latlon = mapping.get("latlon_column")
    if latlon:
        latlon = source["latlon_column"] = _find(latlon, header, by_key, missing)
    category = status = None
    if "category" in mapping:
        category, source["category"] = _resolve_table(mapping["category"], header, by_key, missing)
    if "status" in mapping:
        status, source["status"] = _resolve_table(mapping["status"], header, by_key, missing)
    extra = tuple(_find(c, header, by_key, missing) for c in mapping.get("extra", []))
    if extra:
        source["extra"] = list(extra)
    if missing:
        raise SourceFileError(
            _("colonne(s) absente(s) du fichier : %(missing)s ; colonnes présentes : %(present)s")
            % {"missing": ", ".join(f"« {c} »" for c in missing), "present": ", ".join(header)}
        )
    if not ({"name", "address"} & set(text) or "lat" in single or latlon):
        message = (
            _(
                "aucune colonne de nom, d'adresse ni de coordonnées reconnue ; colonnes "
                "présentes : %(present)s — fournissez une correspondance (--mapping)"
            )
            if proposed
            else _(
                "aucune colonne de nom, d'adresse ni de coordonnées dans la correspondance ; "
                "colonnes présentes : %(present)s — fournissez une correspondance (--mapping)"
            )
        )
        raise SourceFileError(message % {"present": ", ".join(header)})
    return ResolvedMapping(
        source=source,
        proposed=proposed,
        text=text,
        dates={k: v for k, v in single.items() if k in DATE_FIELDS},
        lat=single.get("lat"),
        lon=single.get("lon"),
        latlon=latlon,
        coordinates=mapping.get("coordinates", "auto"),
        remote_id=single.get("remote_id"),
        category=category,
        status=status,
        extra=extra,
    )
