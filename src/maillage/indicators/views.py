"""Public pages of the indicators: a territory's portrait (with its JSON twin), its
initiatives as GeoJSON, and the comparison of 2 to 4 territories."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from maillage.core.handlers import error_response
from maillage.core.twins import json_response, render_page
from maillage.territories.selectors import TerritoryNotFound, resolve_territory

from . import presenters, selectors

COMPARE_MIN, COMPARE_MAX = 2, 4


def _ids(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


@require_safe
def portrait(request: HttpRequest, territory_id: str) -> HttpResponse:
    """Unknown territory (404), malformed id (400), figures not computed yet (503): the
    error goes up to maillage.core.handlers, which answers in HTML or JSON."""
    resolved = resolve_territory(territory_id)
    territory = resolved.territory
    if resolved.alias is not None:
        return redirect("indicators:portrait", territory_id=territory.id)
    chosen = _ids(request.GET.get("pairs", ""))
    data = selectors.portrait(territory.id, chosen or None)

    def context() -> dict[str, Any]:
        names = presenters.labels()
        scope = request.GET.get("perimetre", "all")
        if scope not in names:
            scope = "all"
        indicator = request.GET.get("indicateur", "per_10k")
        if indicator not in presenters.MAPPABLE:
            indicator = "per_10k"
        return {
            "territory": territory,
            # Built only when the page's content is not cached yet (the costly part: the
            # sub-territories' figures for the map, the tables).
            "page": SimpleLazyObject(
                lambda: presenters.portrait_page(data, territory, scope, indicator, names)
            ),
            "data": data,
            "scope": scope,
            "indicator": indicator,
            "indicator_label": presenters.MAPPABLE[indicator],
            "mappable": presenters.MAPPABLE.items(),
            "scope_labels": names.items(),
            "chosen_peers": ", ".join(chosen),
            "content_key": presenters.content_key(data, scope, indicator, chosen),
            "content_seconds": presenters.CONTENT_SECONDS,
        }

    return render_page(request, "indicators/portrait.html", context, data)


@require_safe
def initiatives_geojson(request: HttpRequest, territory_id: str) -> HttpResponse:
    try:
        territory = resolve_territory(territory_id).territory
    except TerritoryNotFound as error:
        return error_response(request, error, as_json=True)
    return json_response(selectors.points(territory), content_type="application/geo+json")


@require_safe
def compare(request: HttpRequest) -> HttpResponse:
    asked = [tid for value in request.GET.getlist("t") for tid in _ids(value)]
    problems: list[str] = []
    portraits = []
    for tid in asked[:COMPARE_MAX]:
        try:
            territory = resolve_territory(tid).territory
            portraits.append(selectors.portrait(territory.id))
        except (TerritoryNotFound, selectors.FiguresNotComputed) as error:
            problems.append(str(error))
    if len(asked) > COMPARE_MAX:
        problems.append(
            _("Au plus %(max)s territoires : les suivants sont ignorés.") % {"max": COMPARE_MAX}
        )
    if asked and len(portraits) < COMPARE_MIN:
        problems.append(_("Choisissez au moins %(min)s territoires.") % {"min": COMPARE_MIN})
    status = 400 if asked and len(portraits) < COMPARE_MIN else 200
    data = {"territories": portraits, "problems": problems}

    def context() -> dict[str, Any]:
        return {
            "portraits": portraits,
            "rows": presenters.compare_rows(portraits),
            "problems": problems,
            "asked": ", ".join(asked),
        }

    return render_page(request, "indicators/compare.html", context, data, status=status)
