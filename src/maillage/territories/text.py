"""Text normalisation shared by search and matching."""

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize(text: str) -> str:
    """Lower-case, strip accents and ligatures, turn punctuation into single spaces.

    >>> normalize("Saint-Étienne-du-Rouvray")
    'saint etienne du rouvray'
    >>> normalize("L'Haÿ-les-Roses  ")
    'l hay les roses'
    """
    text = text.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("Æ", "Ae")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", stripped.lower()).strip()


_CEDEX = re.compile(r"\s*\bcedex\b(\s*\d+)?\s*$")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_ARTICLES = ("le", "la", "les", "l")
# "Paris 15e", "Lyon 3ème arrondissement", "Marseille 08", "PARIS CEDEX 15"
_ARRONDISSEMENT = re.compile(
    r"^(paris|lyon|marseille)( (\d{1,2})( ?(e|er|eme|ieme|em))?( arrondissement| arr)?)?$"
)


def town_key(text: str) -> str:
    """A town as written in an address, reduced to compare with commune names: accents,
    case, hyphens and apostrophes (`normalize`), « St »/« Ste » for « Saint »/« Sainte »,
    a trailing « CEDEX » (with its number), an article put after the name (« Mans (Le) »),
    and the arrondissements of Paris, Lyon and Marseille (the commune itself).

    >>> town_key("ST-JEAN-DE-LUZ CEDEX")
    'saint jean de luz'
    >>> town_key("Nîmes Cedex 9")
    'nimes'
    >>> town_key("Mans (Le)")
    'le mans'
    >>> town_key("Paris 15e arrondissement")
    'paris'
    """
    key = _CEDEX.sub("", normalize(text))
    words = [_ABBREVIATIONS.get(w, w) for w in key.split()]
    if len(words) > 1 and words[-1] in _ARTICLES:
        words = [words[-1], *words[:-1]]
    key = " ".join(words)
    if match := _ARRONDISSEMENT.match(key):
        return match.group(1)
    return key
