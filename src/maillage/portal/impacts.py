"""The stored impacts of a territory as its page shows them: each figure's central value with
its range, its basis in words, the share of initiatives that reported, the sensitivity; and
the page « Comment ce chiffre est-il calculé ? » of one figure. Only reads (impacts.selectors).
"""

import math
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.catalog.models import Category
from maillage.core.formats import format_decimal
from maillage.core.weblinks import http_url
from maillage.impacts.dimensions import DIMENSIONS
from maillage.impacts.presenters import sensitivity_sentence
from maillage.impacts.selectors import ImpactsNotComputed, stored_figure, stored_impacts
from maillage.territories.models import Territory

BASIS_LABELS = {
    "reported": gettext_lazy("déclaré"),
    "estimated": gettext_lazy("estimé"),
    "mixed": gettext_lazy("mixte"),
}
SIGNIFICANT = 3


def number(value: float) -> str:
    """Three significant digits in the active language (« 12 300 », « 0,516 »): a range of
    estimates says no more than that."""
    if value == 0 or not math.isfinite(value):
        return format_decimal(0.0, 0) if value == 0 else str(value)
    places = max(0, SIGNIFICANT - 1 - math.floor(math.log10(abs(value))))
    return format_decimal(round(value, places), places)


def percent(value: float, total: float) -> float:
    return 0.0 if total <= 0 else max(0.0, min(100.0, 100.0 * value / total))


@dataclass
class FigureView:
    """One figure, ready for the template (every text escaped there)."""

    indicator: str
    label: str
    unit: str
    low: str
    central: str
    high: str
    basis: str
    reported: int
    estimated: int
    sensitivity_text: str
    # The range bar (SVG attributes, in % of the high value): from low to high, central marked.
    bar_start: float
    bar_width: float
    bar_central: float

    @property
    def initiatives(self) -> int:
        return self.reported + self.estimated

    @property
    def reported_share(self) -> str:
        share = 0.0 if not self.initiatives else 100.0 * self.reported / self.initiatives
        return format_decimal(share, 0)


def words(figure: dict[str, Any]) -> tuple[str, str, str]:
    """The figure's label, unit and sensitivity sentence in the active language: the stored
    document holds them in the language of the computation, their parts let a read redo
    them (no computation)."""
    dimension = DIMENSIONS.get(figure["indicator"])
    if dimension is None:
        return figure["label"], figure["unit"], figure.get("sensitivity_text", "")
    unit = str(dimension.unit)
    sentence = sensitivity_sentence(figure["sensitivity"], unit, bool(figure["coefficients"]))
    return str(dimension.label), unit, sentence


def figure_view(figure: dict[str, Any]) -> FigureView:
    low, central, high = figure["low"], figure["central"], figure["high"]
    width = max(100.0 - percent(low, high), 0.5)  # a single value still shows
    start = min(percent(low, high), 100.0 - width)
    label, unit, sentence = words(figure)
    return FigureView(
        indicator=figure["indicator"],
        label=label,
        unit=unit,
        low=number(low),
        central=number(central),
        high=number(high),
        basis=str(BASIS_LABELS.get(figure["basis"], figure["basis"])),
        reported=figure["reported_initiatives"],
        estimated=figure["estimated_initiatives"],
        sensitivity_text=sentence,
        bar_start=start,
        bar_width=width,
        bar_central=min(percent(central, high), 99.0),  # the mark stays inside
    )


@dataclass
class ImpactsSection:
    computed: bool
    stale: bool = False
    computed_at: str = ""
    initiatives: int = 0
    figures: list[FigureView] = field(default_factory=list)
    without_basis: list[dict[str, Any]] = field(default_factory=list)
    # Dimensions some initiatives could not be estimated for: no activity reported and no
    # sourced default (a figure left out is said, not shown as 0).
    missing_data: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""


def category_labels(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The categories without basis with their label in the active language."""
    codes = [e["category"] for e in entries if e["category"]]
    names = {c.pk: c.label for c in Category.objects.filter(pk__in=codes)}
    return [{**e, "label": names.get(e["category"], e["category"])} for e in entries]


def impacts_section(territory: Territory) -> ImpactsSection:
    """The section of the territory page; before any computation it says so (no error)."""
    try:
        document = stored_impacts(territory)
    except ImpactsNotComputed as error:
        return ImpactsSection(computed=False, message=error.message)
    return ImpactsSection(
        computed=True,
        stale=document["stale"],
        computed_at=document["computed_at"],
        initiatives=document["initiatives"],
        figures=[figure_view(f) for f in document["figures"]],
        without_basis=category_labels(document.get("categories_without_basis", [])),
        missing_data=[
            {
                "label": _dimension_label(e["indicator"]),
                "initiatives": e["missing_data_initiatives"],
            }
            for e in document.get("not_estimated", [])
        ],
        message=document["without_basis_message"],
    )


def _dimension_label(indicator: str) -> str:
    dimension = DIMENSIONS.get(indicator)
    return str(dimension.label) if dimension is not None else indicator


# --- « Comment ce chiffre est-il calculé ? » ---------------------------------------------


def _coefficient(entry: dict[str, Any]) -> dict[str, Any]:
    """A coefficient as shown: its values in words, its source with a link only to a web
    address (http or https), its date checked and the local values used."""
    return {
        "key": entry["key"],
        "quantity": entry["quantity"],
        "unit": entry["unit"],
        "low": entry["low"],
        "central": entry["central"],
        "high": entry["high"],
        "text": _("%(central)s %(unit)s (de %(low)s à %(high)s)")
        % {
            "central": number(entry["central"]),
            "low": number(entry["low"]),
            "high": number(entry["high"]),
            "unit": entry["unit"],
        },
        "source": entry["source"],
        "source_url": http_url(entry.get("source_url")),
        "checked_on": entry.get("checked_on"),
        "contested": entry.get("contested", False),
        "contested_note": entry.get("contested_note", ""),
        "version": entry.get("version"),
        "overrides": [
            {
                "territory": o.get("override"),
                "low": o["low"],
                "central": o["central"],
                "high": o["high"],
                "text": _("%(central)s (de %(low)s à %(high)s)")
                % {
                    "central": number(o["central"]),
                    "low": number(o["low"]),
                    "high": number(o["high"]),
                },
                "source": o.get("source", ""),
                "source_url": http_url(o.get("source_url")),
                "checked_on": o.get("checked_on"),
            }
            for o in entry.get("overrides", [])
        ],
    }


def explanation(territory: Territory, indicator: str) -> dict[str, Any]:
    """Everything the page of one figure says, as JSON-ready data (its JSON twin)."""
    document, figure = stored_figure(territory, indicator)
    label, unit, sentence = words(figure)
    return {
        "territory": {"id": territory.id, "name": territory.name},
        "indicator": figure["indicator"],
        "label": label,
        "unit": unit,
        "low": figure["low"],
        "central": figure["central"],
        "high": figure["high"],
        "low_text": number(figure["low"]),
        "central_text": number(figure["central"]),
        "high_text": number(figure["high"]),
        "basis": figure["basis"],
        "basis_label": str(BASIS_LABELS.get(figure["basis"], figure["basis"])),
        "reported_initiatives": figure["reported_initiatives"],
        "estimated_initiatives": figure["estimated_initiatives"],
        "missing_data_initiatives": figure.get("missing_data_initiatives", 0),
        "formulas": figure.get("formulas", []),
        "coefficients": [_coefficient(c) for c in figure["coefficients"]],
        "sensitivity": figure["sensitivity"],
        "sensitivity_text": sentence,
        "formulas_version": document["formulas_version"],
        "computed_at": document["computed_at"],
        "stale": document["stale"],
    }
