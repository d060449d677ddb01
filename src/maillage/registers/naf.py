"""Activity codes as the SIRENE register writes them, in whichever nomenclature they were given.

The register keeps every period of an establishment with the code of its time, so a file
mixes four forms (counts of the Lyon 4e periods file):

- NAF rév. 2 (2008–), « NN.NNX » : `95.29Z` (35,460 periods);
- NAF 1993 and NAF rév. 1 (2003), « NN.NX » : `52.7A` (14,306). The two share their form and
  most of their codes; SIRENE's `nomenclatureActivitePrincipale*` column (`NAF1993`,
  `NAFRev1`) tells them apart when a file has it, otherwise they are one family here;
- NAP (1973), four digits, « NN.NN » : `55.40` (1,797);
- nothing (6,665): the code is unknown.

Codes written without their dot (`9529Z`, `527A`, `5540`) are given it back. No table of
correspondence between nomenclatures is applied: an old code stays old, and the mapping
table (mapping.py) says whether it knows it.
"""

import re
from functools import lru_cache
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

NAF_REV2 = "NAFRev2"
NAF_OLD = "NAF1993"  # NAF 1993 and NAF rév. 1: same form, read as one family
NAP = "NAP"
UNKNOWN = ""

NOMENCLATURES = {
    NAF_REV2: _("NAF rév. 2 (2008)"),
    NAF_OLD: _("NAF 1993 ou NAF rév. 1 (2003)"),
    NAP: _("NAP (1973)"),
    UNKNOWN: _("code inconnu"),
}
# SIRENE's own names of the nomenclatures (nomenclatureActivitePrincipaleEtablissement).
SIRENE_NAMES = {
    "NAFREV2": NAF_REV2,
    "NAFREV1": NAF_OLD,
    "NAF1993": NAF_OLD,
    "NAPCD": NAP,
    "NAP": NAP,
}

_REV2 = re.compile(r"^(\d{2})\.?(\d{2})([A-Z])$")
_OLD = re.compile(r"^(\d{2})\.?(\d)([A-Z])$")
_NAP = re.compile(r"^(\d{2})\.?(\d{2})$")


class Code(NamedTuple):
    code: str  # normalised, with its dot; "" when unknown or unreadable
    nomenclature: str  # NAF_REV2, NAF_OLD, NAP or UNKNOWN
    fixed: bool  # the dot was missing and was put back
    unreadable: bool  # a value was given but it is no activity code


@lru_cache(maxsize=1 << 14)
def normalise(value: str) -> Code:
    """The code in its canonical form and its nomenclature, told by its form (SIRENE's
    `nomenclatureActivitePrincipale*` column, when a file has it, only ever agrees with it:
    NAFRev1 and NAF1993 are one family here)."""
    raw = value.strip().upper()
    if not raw:
        return Code("", UNKNOWN, False, False)
    for pattern, nomenclature in ((_REV2, NAF_REV2), (_OLD, NAF_OLD), (_NAP, NAP)):
        found = pattern.match(raw)
        if found:
            parts = found.groups()
            code = f"{parts[0]}.{''.join(parts[1:])}"
            return Code(code, nomenclature, "." not in raw, False)
    return Code("", UNKNOWN, False, True)


def nomenclature_of(code: str) -> str:
    """The nomenclature of a normalised code, from its form alone."""
    return normalise(code).nomenclature


def is_prefix_of(prefix: str, code: str) -> bool:
    """Whether a rule's code (a division `95`, a group `95.2`, a class `95.29` or a full code
    `95.29Z`) covers a normalised code."""
    return bool(prefix) and code.startswith(prefix)


def clean_prefix(value: str) -> str:
    """A rule's code as written in the mapping file, in the normalised form (`9529Z` →
    `95.29Z`, `95.2` stays, `95` stays); "" when it is none of these."""
    raw = value.strip().upper()
    if re.fullmatch(r"\d{2}", raw):
        return raw
    if re.fullmatch(r"\d{2}\.\d{1,2}", raw):
        return raw
    if re.fullmatch(r"\d{3,4}", raw):
        return f"{raw[:2]}.{raw[2:]}"
    found = normalise(raw)
    return found.code
