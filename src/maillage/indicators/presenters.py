"""What the portrait and compare pages show, built from selectors.portrait(): labels in the
active language, table rows, bar charts as plain numbers (drawn as SVG by the templates), and
the values of the sub-territories for the choropleth."""

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from maillage.catalog.models import Category, Family
from maillage.territories.models import Territory
from maillage.territories.selectors import children

from .selectors import scope_figures, stored

# The figures a user can map and compare, with their label and unit.
MAPPABLE = {
    "count": gettext_lazy("Initiatives actives"),
    "per_10k": gettext_lazy("Initiatives pour 10 000 habitants"),
    "commune_share": gettext_lazy("Part des habitants dans une commune qui en a une"),
    "reach_share": gettext_lazy("Part des habitants à distance de marche ou de trajet court"),
    "created_3y": gettext_lazy("Créations des trois dernières années"),
}
SHARES = {"commune_share", "reach_share"}
CHART_WIDTH = 100.0  # bars are drawn in percent of the largest value


@dataclass
class Row:
    key: str
    label: str
    figures: dict[str, Any]
    compared: dict[str, Any]
    indent: bool = False


@dataclass
class Bar:
    label: str
    value: float | None  # None: no source looks at it here (« non couvert »)
    width: float


@dataclass
class PortraitPage:
    data: dict[str, Any]
    rows: list[Row]
    family_bars: list[Bar]
    category_bars: list[Bar]
    creation_bars: list[Bar]
    gaps: list[str]
    strengths: list[str]
    choropleth: dict[str, Any] = field(default_factory=dict)
    series: list[dict[str, Any]] = field(default_factory=list)
    coverage_sources: list[dict[str, Any]] = field(default_factory=list)


def labels() -> dict[str, str]:
    """Scope key → label in the active language."""
    result = {"all": _("Toutes les pratiques")}
    for family in Family.objects.all():
        result[f"fam:{family.code}"] = family.label
    for category in Category.objects.filter(retired=False):
        result[f"cat:{category.code}"] = category.label
    return result


def _bars(pairs: list[tuple[str, float | None]]) -> list[Bar]:
    top = max((v for _l, v in pairs if v is not None), default=0) or 1
    return [Bar(label, value, round(CHART_WIDTH * (value or 0) / top, 2)) for label, value in pairs]


def _rows(data: dict[str, Any], names: dict[str, str]) -> list[Row]:
    compared = data["peers"]["indicators"]
    rows = [Row("all", names["all"], data["all"], compared.get("all", {}))]
    family_of = dict(Category.objects.filter(retired=False).values_list("code", "family_id"))
    for family, figures in data["families"].items():
        rows.append(
            Row(f"fam:{family}", names[f"fam:{family}"], figures, compared.get(f"fam:{family}", {}))
        )
        for code, category_figures in data["categories"].items():
            # A category is listed when something is known of it here: initiatives, people
            # within reach, or a source that looked (its 0 is a real zero).
            if family_of.get(code) == family and (
                category_figures["count"]
                or category_figures["reach_share"]
                or category_figures.get("covered") == "full"
            ):
                key = f"cat:{code}"
                rows.append(Row(key, names[key], category_figures, compared.get(key, {}), True))
    return rows


# The portrait's content is cached (per process) by what it shows: the figures themselves, so
# that a recompute, a staleness notice or a new published series changes the key at once; the
# lifetime only bounds how long a renamed category keeps its old label.
CONTENT_SECONDS = 300


def content_key(data: dict[str, Any], scope: str, indicator: str, chosen: list[str]) -> str:
    """What the portrait's content depends on besides the template: its data, the map's
    choice, the chosen peers, the language."""
    digest = hashlib.blake2b(
        orjson.dumps(data, default=str, option=orjson.OPT_SORT_KEYS), digest_size=16
    )
    digest.update(f"|{scope}|{indicator}|{','.join(chosen)}|{get_language()}".encode())
    return digest.hexdigest()


def choropleth(territory: Territory, scope: str, indicator: str) -> dict[str, Any]:
    """Values of the sub-territories for one scope and indicator, keyed by territory id."""
    kids = list(children(territory).values_list("id", "name"))
    figures = stored([tid for tid, _name in kids])
    values = {}
    for tid, name in kids:
        row = figures.get(tid)
        value = scope_figures(row.figures, scope)[indicator] if row else None
        values[tid] = {"name": name, "value": value}
    return {"scope": scope, "indicator": indicator, "values": values}


def portrait_page(
    data: dict[str, Any], territory: Territory, scope: str, indicator: str, names: dict[str, str]
) -> PortraitPage:
    """`names`: labels() of the request (read once per page)."""
    families: list[tuple[str, float | None]] = [
        (
            names[f"fam:{code}"],
            None if figures.get("covered") == "none" else float(figures["count"] or 0),
        )
        for code, figures in data["families"].items()
    ]
    creations = data["emergence"]["creations_per_year"].get("all", {})
    return PortraitPage(
        data=data,
        rows=_rows(data, names),
        family_bars=_bars(families),
        category_bars=_bars(
            sorted(
                (
                    (names[f"cat:{code}"], float(figures["count"]))
                    for code, figures in data["categories"].items()
                    if figures["count"]
                ),
                key=lambda pair: -(pair[1] or 0),
            )
        ),
        creation_bars=_bars([(year, float(n)) for year, n in sorted(creations.items())]),
        gaps=[names.get(f"cat:{g['category']}", g["category"]) for g in data["peers"]["gaps"]],
        strengths=[names.get(s["scope"], s["scope"]) for s in data["peers"]["strengths"]],
        choropleth=choropleth(territory, scope, indicator),
        series=[
            {
                "source": entry["source"],
                "licence": entry["licence"],
                "label": names.get(f"cat:{entry['category']}", names["all"])
                if entry["category"]
                else _("toutes les pratiques de la source"),
                "bars": _bars([(day, float(count)) for day, count in entry["points"]]),
            }
            for entry in data["time_series"]
        ],
        coverage_sources=[
            {
                **source,
                "labels": [
                    names.get(f"cat:{code}", names.get(f"fam:{code}", code))
                    for code in source["categories"]
                ],
            }
            for source in data["coverage"]["sources"]
        ],
    )


def compare_rows(portraits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per family (after « all »), one cell per territory compared."""
    if not portraits:
        return []
    names = labels()

    def scoped(data: dict[str, Any], key: str) -> dict[str, Any]:
        return data["all"] if key == "all" else data["families"][key.split(":", 1)[1]]

    keys = ["all", *(f"fam:{code}" for code in portraits[0]["families"])]
    return [
        {"label": names.get(key, key), "cells": [scoped(p, key) for p in portraits]} for key in keys
    ]
