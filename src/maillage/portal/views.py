"""Public pages: home, territory search, territory page and its outlines.

Views only parse the request, call a selector and render; every page with figures has a JSON
twin (`?format=json`).
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import quote_etag
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from maillage.catalog.models import Initiative
from maillage.core.errors import MaillageError
from maillage.core.handlers import error_response
from maillage.core.twins import json_response, render_page, wants_json
from maillage.sources.selectors import public_sources
from maillage.territories.models import Territory
from maillage.territories.selectors import (
    ID_PATTERN,
    Resolved,
    TerritoryNotFound,
    children,
    parents,
    resolve_territory,
    search,
)

from . import geo
from .impacts import explanation, impacts_section
from .presenters import TerritoryPage, search_results


class HtmxHttpRequest(HttpRequest):
    """A request seen through django-htmx's middleware (typing only)."""

    htmx: HtmxDetails


SEARCH_LIMIT = 20
CHILDREN_PER_PAGE = 120
# Outlines change only when the referential is reloaded; the ETag (content checksum) lets
# browsers revalidate cheaply after this.
OUTLINE_MAX_AGE = 24 * 3600


def _not_found(
    request: HttpRequest, error: TerritoryNotFound, territory_id: str, *, as_json: bool = False
) -> HttpResponse:
    """A territory page answers 404 to any id it cannot show, malformed ones included."""
    return error_response(
        request,
        error,
        status=404,
        template="portal/territory_not_found.html",
        context={"query": territory_id},
        as_json=as_json,
    )


def _moved(request: HttpRequest, resolved: Resolved, view_name: str) -> HttpResponse:
    """Old or secondary code: permanent redirect to the current commune, with the reason."""
    url = reverse(view_name, kwargs={"territory_id": resolved.territory.id})
    if request.GET:
        url = f"{url}?{request.GET.urlencode()}"
    if view_name == "portal:territory" and not wants_json(request):
        messages.info(request, resolved.note)
    return HttpResponsePermanentRedirect(url)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    # A fresh install has the referential alone: the home page says how to load data.
    return render(request, "portal/home.html", {"inventory_empty": not Initiative.objects.exists()})


@require_safe
@vary_on_headers("HX-Request")
def territory_search(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    is_partial = bool(request.htmx) and not request.htmx.history_restore_request
    if ID_PATTERN.match(query) and not wants_json(request) and not is_partial:
        try:
            resolved = resolve_territory(query)
        except TerritoryNotFound:
            pass
        else:
            return redirect("portal:territory", territory_id=resolved.territory.id)
    results = search_results(search(query, limit=SEARCH_LIMIT)) if query else []
    truncated = len(results) >= SEARCH_LIMIT
    data = {
        "query": query,
        "count": len(results),
        "truncated": truncated,
        "results": [r.as_json() for r in results],
    }
    context: dict[str, Any] = {"query": query, "results": results, "truncated": truncated}
    template = "portal/_search_results.html" if is_partial else "portal/search.html"
    return render_page(request, template, context, data)


@require_safe
def territory_detail(request: HttpRequest, territory_id: str) -> HttpResponse:
    try:
        resolved = resolve_territory(territory_id)
    except TerritoryNotFound as error:
        return _not_found(request, error, territory_id)
    if resolved.alias is not None:
        return _moved(request, resolved, "portal:territory")
    territory = resolved.territory
    kids = children(territory)
    page = TerritoryPage(territory, parents(territory), kids.count())

    def context() -> dict[str, Any]:
        paginator = Paginator(kids.only("id", "name", "level", "code"), CHILDREN_PER_PAGE)
        return {
            "page": page,
            "territory": territory,
            "children_page": paginator.get_page(request.GET.get("page")),
            "tile_url": getattr(settings, "MAILLAGE_TILE_URL", ""),
            "tile_attribution": getattr(settings, "MAILLAGE_TILE_ATTRIBUTION", ""),
            "impacts": impacts_section(territory),
        }

    return render_page(request, "portal/territory.html", context, page.as_json)


@require_safe
def territory_impact(request: HttpRequest, territory_id: str, indicator: str) -> HttpResponse:
    """« Comment ce chiffre est-il calculé ? » for one impact figure, and its JSON twin."""
    try:
        resolved = resolve_territory(territory_id)
    except TerritoryNotFound as error:
        return _not_found(request, error, territory_id, as_json=wants_json(request))
    if resolved.alias is not None:
        url = reverse(
            "portal:impact", kwargs={"territory_id": resolved.territory.id, "indicator": indicator}
        )
        return HttpResponsePermanentRedirect(url)
    data = explanation(resolved.territory, indicator)
    context = {"territory": resolved.territory, "figure": data}
    return render_page(request, "portal/impact.html", context, data)


def _geojson_response(
    request: HttpRequest, build: Callable[[], dict[str, Any]], etag: str
) -> HttpResponse:
    """GeoJSON with a strong cache validator; 304 (nothing built) when the client has it."""
    etag = quote_etag(etag)
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = json_response(build(), content_type="application/geo+json")
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=OUTLINE_MAX_AGE)
    return response


@require_safe
def territory_outline(request: HttpRequest, territory_id: str) -> HttpResponse:
    try:
        resolved = resolve_territory(territory_id)
    except TerritoryNotFound as error:
        return _not_found(request, error, territory_id, as_json=True)
    if resolved.alias is not None:
        return _moved(request, resolved, "portal:outline")
    territory: Territory = resolved.territory
    if not territory.outline:
        message = _("Contour non disponible pour %(name)s.") % {"name": territory.name}
        unavailable = MaillageError(message, code="outline-not-available", status=404)
        return error_response(request, unavailable, as_json=True)
    response = _geojson_response(
        request, lambda: geo.outline_feature(territory), territory.checksum
    )
    response["Content-Disposition"] = f'inline; filename="{territory.id.replace(":", "-")}.geojson"'
    return response


@require_safe
def territory_children_outlines(request: HttpRequest, territory_id: str) -> HttpResponse:
    try:
        resolved = resolve_territory(territory_id)
    except TerritoryNotFound as error:
        return _not_found(request, error, territory_id, as_json=True)
    if resolved.alias is not None:
        return _moved(request, resolved, "portal:children-outlines")
    parent = resolved.territory
    kids = children(parent)
    return _geojson_response(
        request, lambda: geo.children_collection(parent, kids), geo.children_etag(kids)
    )


@require_safe
def data_sources(request: HttpRequest) -> HttpResponse:
    """Where the initiatives come from: every source with its licence and attribution."""
    sources = public_sources()
    return render_page(request, "portal/sources.html", {"sources": sources}, {"sources": sources})
