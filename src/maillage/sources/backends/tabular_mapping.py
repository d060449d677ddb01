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
      "encoding": "cp1252", "delimiter": ";", "header_row": 3,  # csv: force detection
      "header": false                  # csv without header row: columns are then named by
    }                                  #   position, 1-based ("fields": {"name": 1, …}), or
                                       #   « colonne 1 », « colonne 2 »…

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
    "header",
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


def _position(value: object) -> bool:
    """A 1-based column position (`"header": false` files)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _column(value: object, positions: bool) -> bool:
    return (isinstance(value, str) and bool(value.strip())) or (positions and _position(value))


def _columns(value: object, where: str, positions: bool = False) -> tuple[str | int, ...]:
    if _column(value, positions):
        return (value,)  # type: ignore[return-value]  # str or int, checked just above
    if isinstance(value, list) and value and all(_column(v, positions) for v in value):
        return tuple(value)
    if positions:
        raise _mapping_error(
            _("%(where)s doit être un nom ou un numéro de colonne (1 = première), ou une liste")
            % {"where": where}
        )
    raise _mapping_error(
        _("%(where)s doit être un nom de colonne ou une liste de noms") % {"where": where}
    )


def _table(
    value: object, where: str, allowed: tuple[str, ...] | None = None, positions: bool = False
) -> None:
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
    _columns(value.get("column"), f"{where}.column", positions)
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
    header = mapping.get("header", True)
    if not isinstance(header, bool):
        raise _mapping_error(_("« header » vaut true ou false"))
    positions = header is False
    if positions and "header_row" in mapping:
        raise _mapping_error(_("« header_row » n'a pas de sens avec « header »: false"))
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
            if not _column(columns, positions):
                raise _mapping_error(
                    _("fields.%(field)s doit être un seul nom de colonne") % {"field": name}
                )
        else:
            _columns(columns, f"fields.{name}", positions)
    if ("lat" in fields) != ("lon" in fields):
        raise _mapping_error(_("fields.lat et fields.lon vont ensemble"))
    if mapping.get("coordinates", "auto") not in COORDINATE_SYSTEMS:
        raise _mapping_error(
            _("« coordinates » vaut %(values)s") % {"values": " | ".join(COORDINATE_SYSTEMS)}
        )
    if "latlon_column" in mapping:
        if "lat" in fields:
            raise _mapping_error(_("« latlon_column » ou fields.lat/lon, pas les deux"))
        if not _column(mapping["latlon_column"], positions):
            raise _mapping_error(_("« latlon_column » doit être un nom de colonne"))
    if "category" in mapping:
        _table(mapping["category"], "category", positions=positions)
    if "status" in mapping:
        _table(mapping["status"], "status", STATUSES, positions)
    extra = mapping.get("extra", [])
    if not isinstance(extra, list) or not all(_column(c, positions) for c in extra):
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


# Columns that name or reach a person (facilitator, manager, contact…): never the place's name.
_PERSONAL = re.compile(
    r"prenom|animateur|animatrice|responsable|referent|contact|coordinateur|coordinatrice|"
    r"directeur|directrice|president|gerant|dirigeant|mediateur|mediatrice|conseiller|"
    r"benevole|interlocut|civilite|patronyme|nomdefamille|nomdusage|^host|mail|courriel|"
    r"telephone|phone|^tel(?!e)|^portable|^mobile|^fax|firstname|lastname|surname|fullname|nomfamille"
)
# Of those, the ones holding a person's name (the others hold an e-mail or a phone).
_PERSON_NAME = re.compile(r"nom|prenom|name|^(responsable|referent|contact|animat)[a-z]*$")
_PERSON_REACH = re.compile(r"mail|courriel|telephone|phone|^tel(?!e)|^portable|^mobile|^fax")
# Columns naming the place itself when no column is called « nom » (second choice for name).
_PLACE_EXACT = frozenset(
    _names(
        "lieu espace tierslieu tierslieux nomespace nomdelespace nomdeslieux nomdutierslieu "
        "nomtierslieu structure enseigne etablissement organisme organisation association "
        "equipement nomequipement nomorganisme nomassociation"
    )
)
_PLACE_WORDS = re.compile(r"^(espace|tierslieu|structure|etablissement|enseigne|equipement)")
_NOT_A_NAME = re.compile(
    r"code|^id|id$|type|adress|commune|ville|insee|siret|siren|rna|url|web|site|date|nb|"
    r"nombre|surface|lat|lon|lng|categ|statut|horaire|juridique|forme|gps|coord"
)
_LOOSE_NAME = re.compile(_LOOSE["name"][0])
_LOOSE_NAME_EXCLUDED = re.compile(_LOOSE["name"][1])
# camelCase and separators: "LATAmap" → LAT, Amap; "code_postal_amap" → code, postal, amap.
_TOKENS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_FIELD_OF_NAME: dict[str, str] = {}
for _field_name, _field_names in _EXACT.items():
    for _key in _field_names:
        _FIELD_OF_NAME.setdefault(_key, _field_name)
_FIELD_OF_NAME.update(dict.fromkeys(("nom", "name", "libelle"), "name"))


def is_personal_column(column: str) -> bool:
    """A column about a person (« Nom animateur », « Prénom … », « Responsable », « Contact »,
    e-mail, phone): never proposed as the place's name."""
    return bool(_PERSONAL.search(normalize(column)))


@dataclass
class Proposal:
    """A proposed mapping, what the proposal wants the user to know (file notes, French), and
    the reason rows without a name are rejected when no column is a safe name (None: the
    engine's usual rules apply)."""

    mapping: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    unnamed_reason: str | None = None


@dataclass
class _Entities:
    """Columns sharing a prefix or suffix that marks an entity (…Amap, …Prod)."""

    chosen: str | None  # the marker kept (as written in the header), None: unmarked columns
    markers: list[str]
    left_out: list[int]  # column indices
    own: dict[str, str] = field(default_factory=dict)  # field → column of the entity kept


def _marks(column: str) -> list[tuple[str, str, str]]:
    """(side, marker key, marker as written) for each way of reading the column as a known
    field name plus a marker before ("prefix") or after ("suffix") it."""
    decomposed = unicodedata.normalize("NFKD", column)
    tokens = _TOKENS.findall("".join(c for c in decomposed if not unicodedata.combining(c)))
    found = []
    for cut in range(1, len(tokens)):
        head, tail = "".join(tokens[:cut]), "".join(tokens[cut:])
        head_key, tail_key = normalize(head), normalize(tail)
        if head_key in _FIELD_OF_NAME and tail_key not in _FIELD_OF_NAME and tail.isalpha():
            found.append(("suffix", tail_key, tail))
        if tail_key in _FIELD_OF_NAME and head_key not in _FIELD_OF_NAME and head.isalpha():
            found.append(("prefix", head_key, head))
    return found


def _entities(header: list[str], name_column: str | None) -> _Entities | None:
    """Two or more markers on the same side, each on columns of two fields or more, one of
    them on a name column: the columns of more than one entity (an AMAP and its producer).
    The entity kept is the one of the name column already proposed; without one, the entity
    with a name and the most fields (never one about a person). The columns marked otherwise
    are left out."""
    marks = [_marks(column) for column in header]
    for side in ("suffix", "prefix"):
        fields_by_marker: dict[str, dict[str, str]] = {}  # marker → field → first column
        written: dict[str, str] = {}
        for column, column_marks in zip(header, marks, strict=True):
            for mark_side, key, as_written in column_marks:
                if mark_side == side:
                    rest = normalize(column)
                    rest = rest[len(key) :] if side == "prefix" else rest[: -len(key)]
                    own = fields_by_marker.setdefault(key, {})
                    own.setdefault(_FIELD_OF_NAME[rest], column)
                    written.setdefault(key, as_written)
        entities = [key for key, found in fields_by_marker.items() if len(found) >= 2]
        if len(entities) < 2 or not any("name" in fields_by_marker[key] for key in entities):
            continue
        by_column = [{key for s, key, _w in column_marks if s == side} for column_marks in marks]
        chosen = None
        if name_column is not None:
            own_keys = by_column[header.index(name_column)]
            chosen = next((key for key in entities if key in own_keys), None)
            if chosen is None and own_keys:
                chosen = sorted(own_keys)[0]
        else:
            named = [
                key
                for key in entities
                if "name" in fields_by_marker[key] and not _PERSONAL.search(key)
            ]
            if named:
                chosen = max(named, key=lambda key: len(fields_by_marker[key]))
        left_out = [index for index, keys in enumerate(by_column) if keys and chosen not in keys]
        marked_out = {key for index in left_out for key in by_column[index]}
        markers = [written[k] for k in fields_by_marker if k in entities or k in marked_out]
        own_fields = dict(fields_by_marker.get(chosen, {})) if chosen else {}
        return _Entities(written.get(chosen) if chosen else None, markers, left_out, own_fields)
    return None


def _choose(
    header: list[str], excluded: set[int], preset: dict[str, str] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """field → column, and the columns set aside as personal that would have made a name.
    `preset`: field → column already known (an entity's own columns: « EQUIP_NOM »)."""
    normalised = [normalize(column) for column in header]
    used: set[int] = set(excluded)
    chosen: dict[str, Any] = {}
    for field_name, column in (preset or {}).items():
        if not (field_name == "name" and is_personal_column(column)):
            chosen[field_name] = column
            used.add(header.index(column))
    personal = [i for i, key in enumerate(normalised) if key and _PERSONAL.search(key)]
    if "prenom" in normalised:  # « Prénom », « Nom »: the « Nom » is a person's surname
        personal += [i for i, key in enumerate(normalised) if key in ("nom", "name")]
    set_aside: list[str] = []

    def pick(field_name: str, test: Any) -> None:
        if field_name in chosen:
            return
        for index, key in enumerate(normalised):
            if index not in used and key and test(key):
                if field_name == "name" and index in personal:
                    if header[index] not in set_aside:
                        set_aside.append(header[index])
                    continue
                chosen[field_name] = header[index]
                used.add(index)
                return

    def place(key: str) -> bool:
        return key in _PLACE_EXACT or (
            bool(_PLACE_WORDS.match(key)) and not _NOT_A_NAME.search(key)
        )

    for field_name in _PROPOSAL_ORDER:
        names = set(_EXACT[field_name])
        pick(field_name, lambda key, names=names: key in names)
        if field_name == "name":  # the place's own column before any other field takes it
            pick("name", place)
    for field_name, (pattern, exclusion) in _LOOSE.items():
        wanted, unwanted = re.compile(pattern), re.compile(exclusion)
        pick(
            field_name,
            lambda key, w=wanted, u=unwanted: bool(w.search(key)) and not u.search(key),
        )
    if "contact_name" not in chosen:  # the person's columns, named as such
        people = [
            i
            for i in personal
            if i not in used
            and _PERSON_NAME.search(normalised[i])
            and not _PERSON_REACH.search(normalised[i])
        ]
        people.sort(key=lambda i: not normalised[i].startswith("prenom"))
        if people:
            used.update(people[:2])
            columns = [header[i] for i in people[:2]]
            chosen["contact_name"] = columns[0] if len(columns) == 1 else columns
    return chosen, set_aside


def propose(header: list[str]) -> Proposal:
    """A mapping guessed from common French and English column names, for the user to save and
    correct. Each column serves one field at most; exact names win over partial ones. A column
    about a person is never the name; the columns of a second entity are left out."""
    chosen, set_aside = _choose(header, set())
    notes: list[str] = []
    entities = _entities(header, chosen.get("name"))
    if entities is not None:
        chosen, set_aside = _choose(header, set(entities.left_out), entities.own)
        notes.append(
            _(
                "colonnes de plusieurs entités (%(markers)s) : correspondance proposée pour "
                "« %(chosen)s » seulement (celle de la colonne de nom) ; colonnes laissées de "
                "côté : %(left_out)s"
            )
            % {
                "markers": ", ".join(f"« {m} »" for m in entities.markers),
                "chosen": entities.chosen or _("colonnes sans marque"),
                "left_out": ", ".join(header[i] for i in entities.left_out),
            }
        )
    unnamed_reason = None
    if "name" not in chosen:
        if set_aside:
            columns = ", ".join(f"« {c} »" for c in set_aside)
            notes.append(
                _(
                    "aucune colonne sûre pour le nom du lieu : %(columns)s désigne une personne "
                    "et n'est pas proposée comme nom ; indiquez la colonne du nom du lieu "
                    "(fields.name) dans une correspondance (--mapping)"
                )
                % {"columns": columns}
            )
            unnamed_reason = _(
                "sans nom de lieu : la colonne %(columns)s désigne une personne ; indiquez "
                "fields.name dans la correspondance"
            ) % {"columns": columns}
        else:
            notes.append(
                _(
                    "aucune colonne de nom du lieu reconnue : indiquez-la (fields.name) dans "
                    "une correspondance (--mapping) si le fichier en a une"
                )
            )
    return Proposal(_as_mapping(chosen), notes, unnamed_reason)


def _as_mapping(chosen: dict[str, Any]) -> dict[str, Any]:
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


def propose_mapping(header: list[str]) -> dict[str, Any]:
    """The proposed mapping alone (see `propose` for its notes)."""
    return propose(header).mapping


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
    # Rows without a name are rejected with this reason (the proposal found no safe name).
    unnamed_reason: str | None = None


def _find(column: str | int, header: list[str], by_key: dict[str, str], missing: list[str]) -> str:
    if isinstance(column, int):  # a 1-based position ("header": false)
        if 1 <= column <= len(header):
            return header[column - 1]
        missing.append(_("n° %(position)s") % {"position": column})
        return str(column)
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
    columns = tuple(_find(c, header, by_key, missing) for c in _columns(spec["column"], "", True))
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
        found = tuple(_find(c, header, by_key, missing) for c in _columns(columns, name, True))
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


# ---------------------------------------------------------------------------------------------
# Files without a header row: columns named by position, proposal from their content

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_URL = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)
_POSTCODE = re.compile(r"^\d{4,5}$")
# A French phone as written (10 digits from 0, or +33): 9 bare digits may be a SIREN number.
_PHONE = re.compile(r"^(\+33\s?(\(0\))?[1-9]|0[1-9])([\s.-]?\d{2}){4}$")
_LABEL = re.compile(r"[^\W\d_]{2,}.*\s.*[^\W\d_]|[^\W\d_]{4,}")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
_STREET = re.compile(
    r"\d|\b(rue|avenue|av|bd|boulevard|place|chemin|route|allee|impasse|quai|cours|lieu-dit|"
    r"lotissement|zone|za|zi|bp)\b",
    re.IGNORECASE,
)


def position_name(position: int) -> str:
    """The name of the column at a 1-based position, in a file without header: data (the
    keys of the stored rows, names a mapping may use), the same in every language."""
    return f"colonne {position}"


def cell_kind(value: str) -> str | None:
    """What a cell holds when it looks like data rather than a column name: "email", "url",
    "phone", "postcode", "number"; None for text."""
    value = value.strip()
    if not value:
        return None
    if _EMAIL.match(value):
        return "email"
    if _URL.match(value):
        return "url"
    if _PHONE.match(value):
        return "phone"
    if _POSTCODE.match(value):
        return "postcode"
    if _NUMBER.match(value.replace("\u00a0", "").replace(" ", "")):
        return "number"
    return None


def _luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _lost_zero_phone(value: str) -> bool:
    """9 digits from 1 to 9: a phone whose 0 a spreadsheet ate — unless the Luhn key holds, as
    for a SIREN number."""
    return len(value) == 9 and value.isdigit() and value[0] != "0" and not _luhn(value)


def as_positions(source: dict[str, Any], header: list[str]) -> dict[str, Any]:
    """The resolved mapping of a file without header, with column positions (1-based) in
    place of the names given to its columns."""
    where = {name: index for index, name in enumerate(header, start=1)}

    def position(value: Any) -> Any:
        if isinstance(value, list):
            return [position(v) for v in value]
        return where.get(value, value) if isinstance(value, str) else value

    result = dict(source)
    result["fields"] = {k: position(v) for k, v in source.get("fields", {}).items()}
    for key in ("latlon_column",):
        if key in result:
            result[key] = position(result[key])
    for key in ("category", "status"):
        if isinstance(result.get(key), dict) and "column" in result[key]:
            result[key] = dict(result[key], column=position(result[key]["column"]))
    if "extra" in result:
        result["extra"] = position(result["extra"])
    return result


def propose_by_content(header: list[str], records: list[list[str]]) -> Proposal:
    """A mapping for a file without header, guessed from what its cells hold: e-mail, web
    address, postcode, phone columns; the town right after the postcode, the address before
    it, the name the first other text column. To be checked by the user."""
    width = len(header)
    kinds: list[str | None] = []
    for index in range(width):
        values = [r[index].strip() for r in records if index < len(r) and r[index].strip()]
        if not values:
            kinds.append("empty")
            continue
        counted: dict[str | None, int] = {}
        for value in values:
            kind = cell_kind(value)
            if kind == "number" and _lost_zero_phone(value):
                kind = "phone"
            counted[kind] = counted.get(kind, 0) + 1
        kind, hits = max(counted.items(), key=lambda item: item[1])
        kinds.append(kind if hits * 5 >= len(values) * 3 else "mixed")
    chosen: dict[str, Any] = {}
    for field_name, kind in (
        ("contact_email", "email"),
        ("website", "url"),
        ("postcode", "postcode"),
        ("contact_phone", "phone"),
    ):
        if kind in kinds:
            chosen[field_name] = header[kinds.index(kind)]
    text = [i for i, kind in enumerate(kinds) if kind is None]
    if "postcode" in chosen:
        at = header.index(chosen["postcode"])
        if at + 1 < width and kinds[at + 1] is None:
            chosen["city"] = header[at + 1]
            text.remove(at + 1)
        before = [i for i in text if i < at]
        if before:
            street = [
                i
                for i in before
                if sum(bool(_STREET.search(r[i])) for r in records if i < len(r)) * 2
                >= len(records)
            ]
            address = street[-1] if street else (before[-1] if len(before) > 1 else None)
            if address is not None:
                chosen["address"] = header[address]
                text.remove(address)
    notes = []
    # the name: words (« Café Le Lien »), not a code (« 01004-C-001 »)
    text = [
        i
        for i in text
        if sum(bool(_LABEL.search(r[i])) and not r[i][:1].isdigit() for r in records if i < len(r))
        * 2
        > len(records)
    ]
    if text:
        chosen["name"] = header[text[0]]
        notes.append(
            _(
                "correspondance proposée d'après le contenu des colonnes (pas d'en-tête) : à "
                "vérifier, en particulier le nom du lieu (« %(name)s »)"
            )
            % {"name": chosen["name"]}
        )
    else:
        notes.append(
            _(
                "correspondance proposée d'après le contenu des colonnes (pas d'en-tête) : "
                "aucune colonne de nom reconnue ; indiquez-la par son numéro (fields.name)"
            )
        )
    mapping = _as_mapping(chosen)
    mapping["header"] = False
    return Proposal(mapping, notes)
