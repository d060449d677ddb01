"""Footprint figures as the active language writes them: `{{ f.value|empreinte:f.format }}`
(a count, a share as a percentage, a rate with two decimals) and `{{ "2024-03-23"|jour }}`
(« 23 mars 2024 »)."""

import datetime

from django import template
from django.utils.formats import date_format

from maillage.core.formats import format_decimal

from .indicators_format import pourcent

register = template.Library()


@register.filter
def empreinte(value: float | int | None, kind: str = "number") -> str:
    if value is None or value == "":
        return "—"
    if kind == "share":
        return pourcent(value)
    if kind == "count":
        return format_decimal(float(value), 0)
    if kind == "rate":
        return format_decimal(float(value), 2)
    number = float(value)
    return format_decimal(number, 0 if number.is_integer() else 2)


@register.filter
def jour(value: str | None) -> str:
    """An ISO date in the active language's long format; the text itself if it is not one."""
    if not value:
        return "—"
    try:
        day = datetime.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return date_format(day, "DATE_FORMAT")
