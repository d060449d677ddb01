"""`{% register_emergence data.registers %}`: the portrait's part on the official registers
(creations per year in the practice-related activity codes, their trend, the comparison with
peers, the coverage and the source), drawn from `registers.selectors.emergence()` as stored
in the portrait's data. Kept apart from the portrait's template so that both change freely."""

from typing import Any

from django import template

register = template.Library()

SHOWN_YEARS = 15
CHART_WIDTH = 100.0


def _bars(creations: dict[str, int], last_complete: int, vintage_year: int) -> list[dict[str, Any]]:
    """The last SHOWN_YEARS years up to the file's vintage, each with its bar's width; a
    year without creations is drawn as 0 (the file covers it: it is a real zero), the
    vintage's year is marked incomplete."""
    first = last_complete - SHOWN_YEARS + 1
    years = list(range(first, vintage_year + 1))
    values = [int(creations.get(str(year), 0)) for year in years]
    top = max(values, default=0) or 1
    return [
        {
            "year": year,
            "value": value,
            "width": round(CHART_WIDTH * value / top, 2),
            "partial": year > last_complete,
        }
        for year, value in zip(years, values, strict=True)
    ]


@register.inclusion_tag("indicators/registers.html")
def register_emergence(registers: dict[str, Any] | None) -> dict[str, Any]:
    registers = registers or {"available": False, "sources": []}
    sources = []
    for entry in registers.get("sources", []):
        last = int(entry["last_complete_year"])
        vintage_year = int(entry["vintage"][:4])
        categories = sorted(
            (
                {"code": code, **figures, "stock_last": figures["stock"].get(str(last), 0)}
                for code, figures in entry.get("categories", {}).items()
            ),
            key=lambda c: (-c["trend"]["creations"], c["label"]),
        )
        sources.append(
            {
                **entry,
                "bars": _bars(entry["practices"]["creations"], last, vintage_year),
                "category_rows": categories,
            }
        )
    return {"available": registers.get("available", False), "sources": sources}
