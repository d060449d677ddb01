"""Impact figures in words, in French: numbers as a reader expects them, and the sentence
that says which coefficients weigh most on a figure."""

import math
from typing import Any

from django.utils.translation import gettext as _

NARROW_NBSP = "\u202f"


def fr_number(value: float, significant: int = 3) -> str:
    """3 significant digits, French separators: 12 345, 2,25, 0,0812."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    decimals = max(0, significant - 1 - math.floor(math.log10(abs(value))))
    rounded = round(value, decimals)
    text = f"{rounded:,.{decimals}f}".replace(",", NARROW_NBSP).replace(".", ",")
    return text


def sensitivity_sentence(moves: list[dict[str, Any]], unit: str, has_coefficients: bool) -> str:
    """« Ce qui fait le plus varier ce chiffre : … » from the top coefficients."""
    if not has_coefficients:
        return _(
            "Ce chiffre ne dépend d'aucun coefficient : il vient des seules données déclarées."
        )
    if not moves:
        return _(
            "Les coefficients de ce chiffre ont une valeur unique dans leurs sources : sa "
            "précision tient aux données d'activité."
        )
    parts = [
        _("%(quantity)s (de %(low)s à %(high)s %(unit)s)")
        % {
            "quantity": move["quantity"],
            "low": fr_number(min(move["total_at_low"], move["total_at_high"])),
            "high": fr_number(max(move["total_at_low"], move["total_at_high"])),
            "unit": unit,
        }
        for move in moves
    ]
    return _(
        "Ce qui fait le plus varier ce chiffre, chaque coefficient pris seul de sa valeur basse "
        "à sa valeur haute : %(parts)s. Une mesure locale de %(these)s resserrerait la fourchette."
    ) % {
        "parts": " ; ".join(parts),
        "these": _("cette grandeur") if len(moves) == 1 else _("ces grandeurs"),
    }
