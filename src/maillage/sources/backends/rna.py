"""`rna`: the national register of associations (Répertoire national des associations, RNA),
Ministère de l'Intérieur, Licence Ouverte 2.0. Associations whose purpose names a practice of
the typology become **candidate initiatives**: a new `rna` source is moderated (its new
initiatives wait for review before publication, see Source.moderation), and every candidate
goes through the import report, the review and the duplicate search like any other record.

Two layouts, both `;`-separated with a header line (latin-1 or UTF-8, as sniffed):

- « import » (`rna_import_AAAAMMJJ_dpt_XX.csv`, associations of the pre-2009 register):
  `id;id_ex;siret;gestion;date_creat;date_publi;nature;groupement;titre;objet;objet_social1;
  objet_social2;adr1;adr2;adr3;adrs_codepostal;libcom;adrs_codeinsee;dir_civilite;siteweb;
  observation;position;rup_mi;maj_time`;
- « waldec » (`rna_waldec_AAAAMMJJ_dpt_XX.csv`, the current register): the same ids, dates
  (`date_decla`, `date_disso` added), `titre_court`, the seat's address in parts
  (`adrs_complement`, `adrs_numvoie`, `adrs_repetition`, `adrs_typevoie`, `adrs_libvoie`,
  `adrs_distrib`, `adrs_codeinsee`, `adrs_codepostal`, `adrs_libcommune`) and the manager's
  (`adrg_*`).

**Personal data is never read into Maillage**: the manager's name and address (`adrg_*`),
the leader's civility (`dir_civilite`), and any `telephone` or `email` column are dropped as
the file is read, before a row is kept anywhere (a note on the import says which); an address
line that names a person (« chez M. Dupont », « c/o … ») is replaced by « [donnée personnelle
écartée] » in the row kept and left out of the initiative's address.

Each row ends:

- **skipped** when the association is dissolved (`position` D, or a `date_disso` that is
  not the placeholder 0001-01-01), deleted (S), or taken over into WALDEC (R: its current
  record is in the waldec file), or when neither its title nor its purpose names a practice
  (« hors typologie ») — the register holds every association, most are not collaborative
  practices;
- **new / updated / unchanged**, in the category of the first rule of `RULES` whose words its
  title or purpose contains, with that rule as its `category_rule` (« titre ou objet : AMAP
  → amap »); the `objet_social1/2` codes are kept with the record and shown in the rule, but
  decide nothing: the RNA nomenclature has no code for these practices (in the Indre-et-Loire
  file, the allotment associations share 007070 with a bonsai club);
- placed by its seat's INSEE code; a seat outside the département of its managing prefecture
  (`gestion`) is placed there, with a note; placeholders « T » (title) and « O » (purpose)
  and dates « 0001-01-01 » are read as absent, with a note; an unknown creation date falls
  back to the date of publication in the Journal officiel.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from maillage.territories.text import normalize

from ..errors import RowSkipped
from ..personal import REDACTED
from ..records import Candidate, RawRow
from ._common import (
    check_not_html_or_binary,
    clean_insee,
    clean_postcode,
    clean_website,
    csv_header,
    forced_category,
    parse_date,
    read_csv,
    text,
)
from .base import Backend

LABEL = gettext_noop("répertoire national des associations (RNA)")
REQUIRED = [
    "id", "titre", "objet", "objet_social1", "objet_social2", "adrs_codeinsee", "position",
    "date_creat",
]  # fmt: skip
PERSONAL_COLUMNS = (
    "adrg_declarant", "adrg_complemid", "adrg_complemgeo", "adrg_libvoie", "adrg_distrib",
    "adrg_codepostal", "adrg_achemine", "adrg_pays", "dir_civilite", "telephone", "email",
)  # fmt: skip
ADDRESS_COLUMNS = ("adr1", "adr2", "adr3", "adrs_complement")
PLACEHOLDER_DATE = "0001-01-01"
PLACEHOLDER_TITLE, PLACEHOLDER_PURPOSE = "T", "O"
SKIPPED_POSITIONS = {
    "D": gettext_noop("association dissoute : position D au registre"),
    "S": gettext_noop("fiche supprimée du registre : position S"),
    "R": gettext_noop(
        "fiche reprise dans le répertoire WALDEC : position R, sa fiche à jour est dans le "
        "fichier waldec"
    ),
}
# « chez M. Dupont », « c/o Mme X », « M. et Mme Y »: an address line that names a person.
_PERSON_ADDRESS = re.compile(
    r"^\s*(?:chez\b|c/o\b|c\\o\b|aupr[eè]s de\b|m\.|mr\.?(?=\s)|m(?=\s)|mme\b|mlle\b|"
    r"monsieur\b|madame\b|mademoiselle\b)",
    re.IGNORECASE,
)
_WALDEC_ID = re.compile(r"W[0-9][0-9A-Z]\d{7}")
# Words cut at the end of a line in the old register (« benevole- ment »).
_HYPHENATION = re.compile(r"(\w)- ([a-zà-ÿ])")


@dataclass(frozen=True)
class Rule:
    key: str
    category: str
    pattern: re.Pattern[str]
    words: str  # what the rule looks for, for people
    title_only: bool = False
    confirm: re.Pattern[str] | None = None  # must also be found in the purpose


def _rule(key: str, category: str, pattern: str, words: str, **kwargs: Any) -> Rule:
    return Rule(key, category, re.compile(pattern), words, **kwargs)


# Matched on the title and purpose normalised (lower case, no accents, punctuation as
# spaces: « S.E.L. » reads « s e l »). First match wins: the more specific first.
RULES: tuple[Rule, ...] = (
    _rule("repair-cafe", "repair-cafe",
          r"\brepair ?cafe|\bcafe ?repar|\bauto ?repar|\batelier(s)? (de |d )?(auto ?)?repar|"
          r"\breparation(s)? (collective|participative|d objets)|"
          r"\batelier(s)? (du |de )?velo (participatif|solidaire|associatif)",
          "repair café, atelier d'autoréparation, atelier vélo participatif"),
    _rule("amap", "amap", r"\bamap\b|maintien (d une |de l )?agriculture paysanne",
          "AMAP, maintien de l'agriculture paysanne"),
    _rule("sel", "sel-banque-temps",
          r"\bsysteme(s)? d echange(s)? locau?x?\b|\bbanque(s)? (de |du )temps\b|\baccorderie",
          "système d'échange local, banque de temps, accorderie"),
    _rule("sel-titre", "sel-banque-temps", r"\bsel\b|\bs e l\b", "SEL dans le titre",
          title_only=True, confirm=re.compile(r"echang|monnai|credit|service")),
    _rule("monnaie-locale", "monnaie-locale",
          r"\bmonnaie(s)? (locale|complementaire|citoyenne|solidaire)", "monnaie locale"),
    _rule("ressourcerie", "ressourcerie", r"\bressourcerie|\brecyclerie|\bemmaus\b|\bre ?emploi\b",
          "ressourcerie, recyclerie, réemploi, Emmaüs"),
    _rule("jardin-partage", "jardin-partage",
          r"\bjardin(s)? (partage|collectif|communautaire|solidaire|participatif)|"
          r"\bpotager(s)? (collectif|partage|participatif)|\bincroyables comestibles",
          "jardin partagé, potager collectif"),
    _rule("jardins-familiaux", "jardin-partage", r"\bjardin(s)? (familia|ouvrier)",
          "jardins familiaux ou ouvriers (parcelles cultivées en association)"),
    _rule("habitat-participatif", "habitat-participatif",
          r"\bhabitat (participatif|groupe|partage|cooperatif|autogere)|"
          r"\bcooperative(s)? d habitants",
          "habitat participatif, coopérative d'habitants"),
    _rule("autopartage", "autopartage",
          r"\bauto ?partage|\bvoiture(s)? partagee|\bpartage de (vehicule|voiture)",
          "autopartage, voitures partagées"),
    _rule("covoiturage", "covoiturage", r"\bco ?voiturage", "covoiturage"),
    _rule("autostop", "autostop-organise", r"\bauto ?stop organise|\brezo pouce",
          "autostop organisé"),
    _rule("transport-solidaire", "transport-solidaire",
          r"\btransport(s)? solidaire|\bmobilite solidaire|\bchauffeur(s)? benevole",
          "transport solidaire, chauffeurs bénévoles"),
    _rule("fablab", "fablab",
          r"\bfab ?lab|\bhacker ?space|\bmaker ?space|\bfabrication numerique",
          "fablab, hackerspace, makerspace"),
    _rule("coworking", "coworking", r"\bco ?working|\bespace(s)? de travail partage",
          "coworking"),
    _rule("tiers-lieu", "tiers-lieu", r"\btiers ?lieu", "tiers-lieu"),
    _rule("epicerie", "supermarche-cooperatif",
          r"\bsupermarche(s)? cooperatif|\bepicerie(s)? (cooperative|participative|associative|solidaire)|"
          r"\bgroupement(s)? d achat",
          "supermarché coopératif, épicerie participative, groupement d'achat"),
    _rule("anti-gaspillage", "anti-gaspillage",
          r"\banti ?gaspi|\bgaspillage alimentaire|\bglanage|\bfrigo(s)? solidaire|\bdisco ?soupe",
          "anti-gaspillage alimentaire, glanage, frigo solidaire"),
    _rule("troc", "troc", r"\btrocs?\b|\bgrainotheque", "troc, grainothèque"),
    _rule("don", "don-objets", r"\bgratiferia|\bzone(s)? de gratuite|\bdonnerie",
          "gratiféria, zone de gratuité"),
    _rule("objetheque", "objetheque",
          r"\bobjetheque|\boutil ?(o)?theque|\bbibliotheque(s)? d (objets|outils)|"
          r"\bpret (d outils|d objets)|\bludotheque",
          "outilthèque, bibliothèque d'objets, ludothèque"),
    _rule("echange-savoirs", "echange-savoirs",
          r"\bechange(s)? (reciproque(s)? )?(de |des )savoir",
          "réseau d'échanges (réciproques) de savoirs"),
    _rule("energie-citoyenne", "energie-citoyenne",
          r"\benergie(s)? (renouvelable(s)? )?citoyenne|\bcentrale(s)? villageoise|"
          r"\b(eolien|photovoltaique|solaire)(s)? citoyen",
          "énergie citoyenne, centrale villageoise"),
    _rule("scic", "cooperative-territoriale",
          r"\bsociete(s)? cooperative(s)? d interet collectif|\bpole territorial de cooperation",
          "société coopérative d'intérêt collectif, pôle territorial de coopération économique"),
    _rule("communs-numeriques", "communs-numeriques",
          r"\bopenstreetmap|\blogiciel(s)? libre|\bwikipedia",
          "OpenStreetMap, logiciels libres, Wikipédia"),
    _rule("seconde-main", "seconde-main", r"\bbourse(s)? aux (vetements|jouets|livres)|\bvide ?grenier",
          "bourse aux vêtements, vide-grenier (dans le titre)", title_only=True),
)  # fmt: skip


def match(title: str, purpose: str) -> Rule | None:
    """The first rule whose words the title or the purpose holds."""
    plain_title, plain_purpose = normalize(title), normalize(purpose)
    both = f"{plain_title} {plain_purpose}"
    for rule in RULES:
        if rule.title_only:
            if rule.pattern.search(plain_title) and (
                rule.confirm is None or rule.confirm.search(plain_purpose)
            ):
                return rule
        elif rule.pattern.search(both):
            return rule
    return None


def departement_of_commune(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def departement_of_manager(gestion: str) -> str:
    """The département of the managing prefecture: `372P` → 37, `9711P` → 971; "" when the
    code has another shape."""
    head = gestion.strip().upper()[:-2]
    return head if re.fullmatch(r"\d{2}|2[AB]|97\d", head) else ""


class RnaBackend(Backend):
    name = "rna"
    label = "Répertoire national des associations (RNA, fichiers import et waldec)"
    default_licence = "Licence Ouverte 2.0 — Ministère de l'Intérieur, RNA"
    default_moderation: ClassVar[str] = "review"

    def rows(self, path: Path) -> Iterator[RawRow]:
        head = check_not_html_or_binary(path)
        first = head.decode("latin-1").splitlines()[0] if head else ""
        delimiter = ";" if first.count(";") >= first.count(",") else ","
        header = csv_header(path, delimiter)
        dropped = [name for name in PERSONAL_COLUMNS if name in header]
        if dropped:
            self.notes.append(
                _("données personnelles non lues : colonnes %(columns)s écartées à la lecture")
                % {"columns": ", ".join(dropped)}
            )
        redacted = 0
        for number, data in enumerate(read_csv(path, REQUIRED, _(LABEL), delimiter), start=1):
            for name in dropped:
                data.pop(name, None)
            for name in ADDRESS_COLUMNS:
                if _PERSON_ADDRESS.match(data.get(name) or ""):
                    data[name] = REDACTED
                    redacted += 1
            yield RawRow(number=number, remote_id=text(data.get("id")) or None, data=data)
        if redacted:
            self.notes.append(
                _(
                    "données personnelles écartées : %(n)s lignes d'adresse qui nommaient une "
                    "personne (« chez … »), remplacées dans les lignes gardées"
                )
                % {"n": redacted}
            )

    def parse(self, row: RawRow) -> Candidate:
        data = row.data
        notes: list[str] = []
        position = text(data.get("position")).upper()
        if position in SKIPPED_POSITIONS:
            raise RowSkipped(_(SKIPPED_POSITIONS[position]))
        dissolved = text(data.get("date_disso"))
        if dissolved and dissolved != PLACEHOLDER_DATE:
            raise RowSkipped(
                _("association dissoute : date de dissolution %(date)s") % {"date": dissolved}
            )
        title = text(data.get("titre"))
        if title.upper() == PLACEHOLDER_TITLE:
            title = ""
            notes.append(_("titre de remplissage : « T » lu comme absent"))
        purpose = _HYPHENATION.sub(r"\1\2", text(data.get("objet")))
        if purpose.upper() == PLACEHOLDER_PURPOSE:
            purpose = ""
            notes.append(_("objet de remplissage : « O » lu comme absent"))
        codes = [
            code
            for code in (text(data.get("objet_social1")), text(data.get("objet_social2")))
            if code and code.strip("0")
        ]
        if self.options.category:
            category, rule_text = forced_category(self.options.category)
        else:
            found = match(title, purpose)
            if found is None:
                if not title and not purpose:
                    raise RowSkipped(
                        _("hors typologie : ni titre ni objet (valeurs de remplissage)")
                    )
                raise RowSkipped(
                    _("hors typologie : ni le titre ni l'objet ne désignent une pratique")
                )
            category = found.category
            where = _("titre") if found.title_only else _("titre ou objet")
            rule_text = f"{where} : {found.words} → {found.category}"
            if codes:
                rule_text += _(" (objets sociaux %(codes)s)") % {"codes": ", ".join(codes)}
        identifier = text(data.get("id"))
        candidate = Candidate(
            name=title or text(data.get("titre_court")),
            description=purpose,
            # The national number (W + 9 digits); the old register's ids (« 372P0372004569 »)
            # are no such number: they stay the record's remote id, and go in `extra`.
            rna=identifier if _WALDEC_ID.fullmatch(identifier) else "",
            category=category,
            category_rule=rule_text,
            carrier="association",
            status="actif",
            location_precision="commune",
            notes=notes,
        )
        siret = text(data.get("siret"))
        if siret.isdigit() and len(siret) == 14:
            candidate.siret = siret
        candidate.insee_code, more = clean_insee(data.get("adrs_codeinsee"))
        notes += more
        candidate.postcode, more = clean_postcode(data.get("adrs_codepostal"))
        notes += more
        candidate.city = text(data.get("libcom") or data.get("adrs_libcommune"))
        candidate.address = self._address(data)
        candidate.website, more = clean_website(data.get("siteweb"))
        notes += more
        created, more = self._date(data, "date_creat")
        notes += more
        if created is None:
            published, more = self._date(data, "date_publi")
            notes += more
            if published is not None:
                created = published
                notes.append(
                    _("date de création inconnue : date de publication au JO retenue (%(date)s)")
                    % {"date": published.isoformat()}
                )
        candidate.created_on = created
        manager = departement_of_manager(text(data.get("gestion")))
        seat = departement_of_commune(candidate.insee_code)
        if manager and seat != manager:
            notes.append(
                _(
                    "siège hors du département du fichier : association gérée par la "
                    "préfecture du %(manager)s, placée à son siège (%(code)s)"
                )
                % {"manager": manager, "code": candidate.insee_code}
            )
        candidate.source_updated_on, _more = parse_date(data.get("maj_time"), "maj_time")
        extra = {
            "objets_sociaux": codes,
            "gestion": text(data.get("gestion")),
            "nature": text(data.get("nature")),
            "groupement": text(data.get("groupement")),
            "position": position,
            "id_ex": text(data.get("id_ex")),
            "id_registre_ancien": "" if candidate.rna else identifier,
        }
        candidate.extra = {key: value for key, value in extra.items() if value}
        return candidate

    @staticmethod
    def _date(data: dict[str, Any], column: str) -> tuple[Any, list[str]]:
        value = text(data.get(column))
        if not value or value == PLACEHOLDER_DATE:
            return None, []
        return parse_date(value, column)

    @staticmethod
    def _address(data: dict[str, Any]) -> str:
        if "adr1" in data:
            parts = [text(data.get(name)) for name in ("adr1", "adr2", "adr3")]
        else:
            parts = [
                " ".join(
                    text(data.get(name))
                    for name in ("adrs_numvoie", "adrs_repetition", "adrs_typevoie", "adrs_libvoie")
                    if text(data.get(name))
                ),
                text(data.get("adrs_complement")),
                text(data.get("adrs_distrib")),
            ]
        return ", ".join(part for part in parts if part and part != REDACTED)
