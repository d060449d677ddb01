"""Numbers as the active language writes them, for every app's pages and templates."""

from django.utils.formats import number_format


def format_decimal(value: float, places: int) -> str:
    """Locale-aware: « 1 234,5 » in French, "1,234.5" in English."""
    return number_format(round(value, places), decimal_pos=places, force_grouping=True)
