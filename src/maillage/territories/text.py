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
