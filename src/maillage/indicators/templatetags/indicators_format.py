"""`{{ 0.6741|pourcent }}` → « 67,4 % » (French) or « 67.4% » (English); empty for None."""

from django import template
from django.utils.translation import get_language

from maillage.core.formats import format_decimal

register = template.Library()


@register.filter
def pourcent(value: float | None, places: int = 1) -> str:
    if value is None or value == "":
        return "—"
    number = format_decimal(float(value) * 100, int(places))
    english = (get_language() or "fr").startswith("en")
    return f"{number}%" if english else f"{number}\u202f%"


@register.filter
def valeur(value: float | int | None, indicator: str) -> str:
    """A figure in its unit: shares as percentages, counts as whole numbers; a dash when
    there is none (a missing peer figure reaches the template as "")."""
    if value is None or value == "":
        return "—"
    if indicator in ("commune_share", "reach_share"):
        return pourcent(value)
    places = 2 if indicator == "per_10k" else 0
    return format_decimal(float(value), places)


@register.filter
def get(mapping: dict, key: str) -> object:
    return mapping.get(key) if isinstance(mapping, dict) else None
