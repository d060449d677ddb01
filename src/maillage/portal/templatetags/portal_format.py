"""Locale-aware number filters: `{{ 171924|nombre }}` → « 171 924 » in French, 171,924 in English."""

from django import template

from maillage.core.formats import format_decimal

register = template.Library()


@register.filter
def nombre(value: float | int | None, places: int = 0) -> str:
    if value is None or value == "":
        return ""
    return format_decimal(float(value), int(places))
