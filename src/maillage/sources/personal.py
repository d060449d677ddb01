"""Personal data in imported rows: whose contact is it, and what is kept of the raw row.

An organisation's switchboard or role address (`contact@…`, `cantine@…`, `pij@mairie…`, a
phone in a list of places that names nobody) is the initiative's contact and is kept
(`contact_is_personal` false). A named person's (`jean.dupont@…`, a phone on a row that
names a facilitator, a column named after a person) is personal data: dropped from the
initiative, and its cells replaced in the stored raw row (`HarvestItem.raw`) by
`REDACTED`, unless the mapping keeps it with a legal basis (`keep_personal_data`). Every
decision says which rule made it, in the row's reasons.

Pure and cheap: a row without contact cells costs one dictionary lookup; only rows that had
a personal value are copied to be redacted.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from maillage.core.i18n import gettext as _  # per row: see core/i18n.py
from maillage.territories.text import normalize

REDACTED = "[donnée personnelle écartée]"
PERSONAL_FIELDS = ("contact_name", "contact_email", "contact_phone")
# A cell's place in a raw row: the keys from the row down to it (("properties", "MAIL")).
CellPath = tuple[str, ...]

# Local parts (or their first word) that name a function, a service or the place, not a
# person: `contact@`, `infos-jeunesse@`, `pij@mairie-…`, `cantine@`.
ROLE_WORDS = frozenset((
    "accueil", "admin", "administration", "agence", "amap", "animation", "asso", "association",
    "atelier", "ateliers", "benevoles", "bibliotheque", "bienvenue", "bjr", "bonjour",
    "boutique", "bureau", "cantine", "ccas", "centre", "cias", "commune", "communication",
    "compta", "comptabilite", "contact", "contacts", "coop", "coordination", "courrier",
    "coworking", "culture", "cyber", "cyberbase", "direction", "ecole", "epn", "equipe",
    "espace", "evenements", "fablab", "fablabs", "ferme", "gestion", "hello", "info", "infos",
    "inscription", "inscriptions", "jardin", "jeunesse", "lieu", "mairie", "maison", "media",
    "mediatheque", "numerique", "office", "ot", "pij", "planning", "postmaster", "presidence",
    "president", "recyclerie", "reservation", "reservations", "ressourcerie", "rh", "salut",
    "secretariat", "service", "services", "standard", "team", "tiers", "tierslieu",
    "tierslieux", "tourisme", "ville", "webmaster",
))  # fmt: skip
# Role words that also start a glued local part (`contactlacantine@`, `mairiedelombez@`);
# short or surname-like words (ville, maison…) only count as a whole first word.
_ROLE_PREFIX = re.compile(
    r"^(accueil|association|bibliotheque|bonjour|cantine|communication|contact|coworking|"
    r"cyberbase|fablab|infos?|inscription|mairie|mediatheque|recyclerie|reservation|"
    r"ressourcerie|secretariat|tierslieu)"
)
# prénom.nom@, prenom-nom@, p.nom@ — two or three words of letters.
_PERSON_LOCAL = re.compile(r"^[a-z]+([._-][a-z]+){1,2}$")
# Column names that designate a person (« Nom animateur », « Tél. responsable »…).
_PERSON_COLUMN = re.compile(
    r"\b(animat\w*|responsable|referent\w*|gerant\w*|president\w*|directeur|directrice|"
    r"coordinat\w*|prenom|personne|benevole|salarie\w*|perso|personnel|portable|mobile|"
    r"interlocut\w*|charge de mission)\b"
)
_MOBILE = re.compile(r"^(0|\+?33|0033)[67]")
_PHONE_DIGITS = re.compile(r"[^0-9+]")


@dataclass
class ContactVerdict:
    """What the engine decided about a row's contact fields."""

    reasons: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # fields removed as personal data
    personal_kept: bool = False  # a kept field is a person's (kept with a legal basis)


def person_column(column: str) -> bool:
    return bool(_PERSON_COLUMN.search(normalize(column)))


def _words(text: str) -> set[str]:
    return {w for w in normalize(text).split() if len(w) >= 5}


def email_rule(email: str, column: str, names_person: bool, place: str) -> tuple[bool, str]:
    """(the address is the organisation's, the rule that decided, in French)."""
    local = email.split("@", 1)[0].lower()
    first = re.split(r"[._+-]", local, maxsplit=1)[0].rstrip("0123456789")
    if first in ROLE_WORDS or _ROLE_PREFIX.match(local):
        return True, _("adresse de fonction « %(local)s@ »") % {"local": local}
    if column and person_column(column):
        return False, _("colonne « %(column)s » au nom d'une personne") % {"column": column}
    squeezed = local.replace(".", "").replace("-", "").replace("_", "")
    if any(w in squeezed for w in _words(place)):
        return True, _("adresse au nom du lieu")
    if _PERSON_LOCAL.match(local):
        return False, _("adresse nominative prénom.nom@")
    if names_person:
        return False, _("la ligne nomme une personne")
    return False, _("ni adresse de fonction ni au nom du lieu : écartée par prudence")


def phone_rule(phone: str, column: str, names_person: bool) -> tuple[bool, str]:
    """(the number is the organisation's, the rule that decided, in French)."""
    if column and person_column(column):
        return False, _("colonne « %(column)s » au nom d'une personne") % {"column": column}
    if names_person:
        return False, _("la ligne nomme une personne")
    if _MOBILE.match(_PHONE_DIGITS.sub("", phone)):
        return False, _("numéro de portable : écarté par prudence")
    return True, _("standard de la structure, aucune personne nommée")


def decide(
    values: dict[str, str],
    columns: dict[str, str],
    keep: set[str],
    organisation: bool,
    place: str,
) -> ContactVerdict:
    """Which contact fields are personal data. `values`: field → value (cleaned or raw);
    `columns`: field → the column it came from ("" when unknown); `keep`: fields the mapping
    keeps with a legal basis; `organisation`: the source describes organisations, whose
    e-mails and phones are theirs (GoGoCarto, OpenStreetMap)."""
    verdict = ContactVerdict()
    names_person = bool(values.get("contact_name", "").strip())
    dropped: list[str] = []
    kept: list[str] = []
    labels = {
        "contact_name": _("nom de contact"),
        "contact_email": _("e-mail"),
        "contact_phone": _("téléphone"),
    }
    for name in PERSONAL_FIELDS:
        value = values.get(name, "").strip()
        if not value:
            continue
        if name == "contact_name":
            is_org, rule = False, _("nom d'une personne")
        elif organisation:
            is_org, rule = True, _("la source décrit des structures")
        elif name == "contact_email":
            is_org, rule = email_rule(value, columns.get(name, ""), names_person, place)
        else:
            is_org, rule = phone_rule(value, columns.get(name, ""), names_person)
        described = f"{labels[name]} ({rule})"
        if is_org:
            kept.append(described)
        elif name in keep:
            verdict.personal_kept = True
        else:
            verdict.dropped.append(name)
            dropped.append(described)
    if kept:
        verdict.reasons.append(
            _("contact de la structure gardé : %(fields)s") % {"fields": ", ".join(kept)}
        )
    if dropped:
        verdict.reasons.append(
            _("données personnelles écartées : %(fields)s") % {"fields": ", ".join(dropped)}
        )
    return verdict


def _get(data: Any, path: CellPath) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _cell_text(data: dict[str, Any], paths: Iterable[CellPath]) -> str:
    return " ".join(str(v).strip() for p in paths if (v := _get(data, p)) not in (None, ""))


def redact(data: dict[str, Any], paths: Iterable[CellPath]) -> dict[str, Any]:
    """A copy of the raw row with the cells at `paths` replaced by REDACTED (empty cells are
    left as they are); the row itself is not modified."""
    copy = dict(data)
    for path in paths:
        if _get(copy, path) in (None, ""):
            continue
        target = copy
        for key in path[:-1]:
            target[key] = dict(target[key])
            target = target[key]
        target[path[-1]] = REDACTED
    return copy


def redact_unparsed(
    data: dict[str, Any],
    cells: dict[str, list[CellPath]],
    keep: set[str],
    organisation: bool,
    place: str = "",
) -> dict[str, Any] | None:
    """The raw row of a row that was not parsed to the end (rejected), redacted by the same
    rules read on its cells; None when nothing personal is in it."""
    values = {name: _cell_text(data, paths) for name, paths in cells.items()}
    if not any(values.values()):
        return None
    columns = {name: paths[0][-1] for name, paths in cells.items() if len(paths) == 1}
    verdict = decide(values, columns, keep, organisation, place)
    if not verdict.dropped:
        return None
    return redact(data, [p for name in verdict.dropped for p in cells.get(name, ())])
