"""Names as people write them, reduced to what tells two initiatives apart.

« Boîte à livres de St-Symphorien-de-Lay », « boite a livre St symphorien de lay » and
« BAL Saint Symphorien » should read alike; « Repair Café du Centre » and « Repair Café de
la Gare » should not. So: accents, case and punctuation go; common abbreviations are
expanded; articles go; then the words that only say what kind of place it is (« boîte à
livres », « aire de covoiturage »…) are set apart — two names that differ only there are
the same name, and a name made only of them (and of its commune) says nothing by itself.
"""

import re
import unicodedata
from functools import cache

ABBREVIATIONS = {
    "st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes", "bd": "boulevard",
    "bld": "boulevard", "av": "avenue", "ave": "avenue", "pl": "place", "rte": "route",
    "ch": "chemin", "imp": "impasse", "asso": "association", "assoc": "association",
    "bal": "boite a livres", "bàl": "boite a livres", "cie": "compagnie", "ctre": "centre",
    "mjc": "maison des jeunes et de la culture", "ess": "economie sociale et solidaire",
}  # fmt: skip
ARTICLES = {"le", "la", "les", "l", "de", "du", "des", "d", "a", "au", "aux", "et", "en", "sur"}
# Words that say what kind of place it is, not which one (after accents and abbreviations).
GENERIC_PHRASES = [
    "boite a livres", "boite a livre", "boite a lire", "boite aux livres", "micro bibliotheque",
    "bibliotheque de rue", "cabane a livres", "aire de covoiturage", "parking de covoiturage",
    "parking relais", "covoiturage", "repair cafe", "jardin partage", "jardins partages",
    "jardin collectif", "jardins familiaux", "tiers lieu", "fablab", "fab lab", "coworking",
    "espace de coworking", "ressourcerie", "recyclerie", "amap", "epicerie cooperative",
    "supermarche cooperatif", "zone de gratuite", "givebox", "frigo solidaire",
    "atelier velo", "autopartage", "station", "association",
]  # fmt: skip
_PUNCTUATION = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe").replace("æ", "ae"))
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_PUNCTUATION.sub(" ", ascii_text).split())


@cache
def _generic_pattern() -> re.Pattern[str]:
    phrases = sorted({" ".join(expand(fold(p)).split()) for p in GENERIC_PHRASES}, key=len)
    alternatives = "|".join(re.escape(p) for p in reversed(phrases))
    return re.compile(rf"\b(?:{alternatives})\b")


def expand(folded: str) -> str:
    return " ".join(ABBREVIATIONS.get(word, word) for word in folded.split())


def normalize(name: str) -> str:
    """Folded, abbreviations expanded, articles dropped."""
    words = expand(fold(name)).split()
    return " ".join(w for w in words if w not in ARTICLES)


def distinctive(name: str, commune: str = "") -> str:
    """What is left of a name once the kind of place and its commune are taken out: empty
    for « Boîte à livres — Brest » in Brest."""
    text = _generic_pattern().sub(" ", " ".join(expand(fold(name)).split()))
    words = [w for w in text.split() if w not in ARTICLES]
    commune_words = set(normalize(commune).split()) if commune else set()
    return " ".join(w for w in words if w not in commune_words)
