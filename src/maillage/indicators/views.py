"""Public pages of the indicators: a territory's portrait (with its JSON twin), its
initiatives as GeoJSON, and the comparison of 2 to 4 territories."""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from maillage.territories.selectors import TerritoryNotFound, resolve_territory

from . import presenters, selectors

COMPARE_MIN, COMPARE_MAX = 2, 4


def _json(data: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _wants_json(request: HttpRequest) -> bool:
    return request.GET.get("format") == "json"


def _ids(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def _not_found(request: HttpRequest, message: str, status: int = 404) -> HttpResponse:
    if _wants_json(request):
        return _json({"code": "territory-not-found", "message": message}, status)
    return render(request, "indicators/error.html", {"message": message}, status=status)


@require_GET
def portrait(request: HttpRequest, territory_id: str) -> HttpResponse:
    try:
        resolved = resolve_territory(territory_id)
    except TerritoryNotFound as error:
        return _not_found(request, str(error))
    territory = resolved.territory
    if resolved.alias is not None:
        return redirect("indicators:portrait", territory_id=territory.id)
    chosen = _ids(request.GET.get("pairs", ""))
    try:
        data = selectors.portrait(territory.id, chosen or None)
    except selectors.FiguresNotComputed as error:
        return _not_found(request, str(error), status=503)
    if _wants_json(request):
        return _json(data)
    names = presenters.labels()
    scope = request.GET.get("perimetre", "all")
    if scope not in names:
        scope = "all"
    indicator = request.GET.get("indicateur", "per_10k")
    if indicator not in presenters.MAPPABLE:
        indicator = "per_10k"
    page = presenters.portrait_page(data, territory, scope, indicator, names)
    context = {
        "territory": territory,
        "page": page,
        "data": data,
        "scope": scope,
        "indicator": indicator,
        "indicator_label": presenters.MAPPABLE[indicator],
        "mappable": presenters.MAPPABLE.items(),
        "scope_labels": names.items(),
        "chosen_peers": ", ".join(chosen),
    }
    return render(request, "indicators/portrait.html", context)


@require_GET
def initiatives_geojson(request: HttpRequest, territory_id: str) -> HttpResponse:
    try:
        territory = resolve_territory(territory_id).territory
    except TerritoryNotFound as error:
        return _json({"code": "territory-not-found", "message": str(error)}, 404)
    response = _json(selectors.points(territory))
    response["Content-Type"] = "application/geo+json"
    return response


@require_GET
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
    if _wants_json(request):
        return _json({"territories": portraits, "problems": problems}, status)
    context = {
        "portraits": portraits,
        "rows": presenters.compare_rows(portraits),
        "problems": problems,
        "asked": ", ".join(asked),
    }
    return render(request, "indicators/compare.html", context, status=status)
