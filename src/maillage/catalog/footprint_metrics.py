"""The footprint measures Maillage knows: their label, their unit, and whether a sum over
communes means something (a count of listings does; a share or a price does not).

Only counts are stored (`PlatformFootprint`); shares and figures per 1,000 inhabitants are
derived when read, from the counts of the same territory, platform and date — so that a
figure summed over several communes gets its share from the summed counts, never from an
average of shares. A measure not listed here (a tabular import may bring any code) is shown
with its code and its unit as given, on the territory it was given for only.
"""

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from maillage.territories.text import normalize

# Typology category of the platforms Maillage reads files of (kind of platform: figures of
# platforms of different kinds are never added up).
SHORT_TERM_LETTING = "hebergement-entre-particuliers"


@dataclass(frozen=True)
class Metric:
    label: str | Promise
    unit: str | Promise
    additive: bool  # a sum over communes is the figure of the whole
    short: str | Promise = ""  # a table column's heading


@dataclass(frozen=True)
class Derived:
    label: str | Promise
    numerator: str
    denominator: str  # a stored metric, or POPULATION
    scale: float  # 1 for a share (shown as a percentage), 1000 for « per 1,000 »
    unit: str | Promise
    short: str | Promise = ""


POPULATION = "population"

LISTINGS = "annonces"
ENTIRE_HOMES = "logements-entiers"
ENTIRE_OVER_90 = "logements-entiers-plus-90-nuits"
ENTIRE_OVER_120 = "logements-entiers-plus-120-nuits"
WITH_NUMBER = "annonces-avec-numero"
INVALID_NUMBER = "annonces-numero-invalide"
WITH_MENTION = "annonces-mention-sans-numero"
MULTI_HOST = "annonces-hotes-multiples"

METRICS: dict[str, Metric] = {
    LISTINGS: Metric(_("Annonces"), _("annonces"), True, _("Annonces")),
    ENTIRE_HOMES: Metric(_("Logements entiers"), _("annonces"), True, _("Logements entiers")),
    ENTIRE_OVER_120: Metric(
        _(
            "Logements entiers disponibles plus de 120 nuits par an (au-delà du plafond "
            "d'une résidence principale)"
        ),
        _("annonces"),
        True,
        _("Entiers, plus de 120 nuits"),
    ),
    ENTIRE_OVER_90: Metric(
        _(
            "Logements entiers disponibles plus de 90 nuits par an (plafond que la loi "
            "Le Meur permet aux communes de fixer)"
        ),
        _("annonces"),
        True,
        _("Entiers, plus de 90 nuits"),
    ),
    WITH_NUMBER: Metric(
        _("Annonces avec un numéro d'enregistrement"), _("annonces"), True, _("Avec numéro")
    ),
    INVALID_NUMBER: Metric(
        _("Annonces avec un numéro invalide (ses 5 premiers chiffres ne sont pas un code commune)"),
        _("annonces"),
        True,
        _("Numéro invalide"),
    ),
    WITH_MENTION: Metric(
        _("Annonces avec une mention sans numéro (exemption, bail mobilité…)"),
        _("annonces"),
        True,
        _("Mention sans numéro"),
    ),
    MULTI_HOST: Metric(
        _("Annonces d'hôtes qui en proposent plusieurs"), _("annonces"), True, _("Hôtes multiples")
    ),
}

DERIVED: dict[str, Derived] = {
    "annonces-pour-1000-habitants": Derived(
        _("Annonces pour 1 000 habitants"),
        LISTINGS,
        POPULATION,
        1000,
        _("pour 1 000 hab."),
        _("Pour 1 000 hab."),
    ),
    "part-logements-entiers": Derived(
        _("Part de logements entiers"), ENTIRE_HOMES, LISTINGS, 1, "%", _("Part d'entiers")
    ),
    "part-avec-numero": Derived(
        _("Part des annonces avec un numéro d'enregistrement"),
        WITH_NUMBER,
        LISTINGS,
        1,
        "%",
        _("Part avec numéro"),
    ),
    "part-hotes-multiples": Derived(
        _("Part des annonces d'hôtes qui en proposent plusieurs (professionnalisation)"),
        MULTI_HOST,
        LISTINGS,
        1,
        "%",
        _("Part d'hôtes multiples"),
    ),
}

# The order of the measures on the page and in the JSON.
ORDER = [
    LISTINGS,
    "annonces-pour-1000-habitants",
    ENTIRE_HOMES,
    "part-logements-entiers",
    ENTIRE_OVER_120,
    ENTIRE_OVER_90,
    WITH_NUMBER,
    "part-avec-numero",
    INVALID_NUMBER,
    WITH_MENTION,
    MULTI_HOST,
    "part-hotes-multiples",
]


def rank(metric: str) -> tuple[int, str]:
    return (ORDER.index(metric) if metric in ORDER else len(ORDER), metric)


# Platforms whose spelling and kind Maillage knows: a table may write « airbnb » or
# « BlaBlaCar » as it likes, the figures are filed under one name.
PLATFORMS = {
    "airbnb": ("Airbnb", SHORT_TERM_LETTING),
    "abritel": ("Abritel", SHORT_TERM_LETTING),
    "bookingcom": ("Booking.com", SHORT_TERM_LETTING),
    "blablacar": ("BlaBlaCar", "covoiturage"),
    "blablacardaily": ("BlaBlaCar Daily", "covoiturage"),
    "leboncoin": ("Leboncoin", "seconde-main"),
    "vinted": ("Vinted", "seconde-main"),
    "getaround": ("Getaround", "location-vehicules-particuliers"),
}
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_BLANKS = re.compile(r"\s+")


def _platform_key(text: str) -> str:
    return _NOT_ALNUM.sub("", normalize(text))


def platform_name(text: str) -> str:
    """The known spelling of a platform's name, else the text with its blanks tidied."""
    known = PLATFORMS.get(_platform_key(text))
    return known[0] if known else _BLANKS.sub(" ", text).strip()


def platform_kind(name: str) -> str | None:
    """The typology category of a known platform (its kind), else None."""
    known = PLATFORMS.get(_platform_key(name))
    return known[1] if known else None
