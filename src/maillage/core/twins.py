"""A page and its JSON twin from one view: the same data as HTML, or as JSON with
`?format=json`.

    return render_page(request, "portal/sources.html", {"sources": s}, data={"sources": s})

`context` and `data` may be callables, so that a view builds only what is asked for (a page's
context can cost more than its data). JSON is UTF-8 (`ensure_ascii=False`) and says its
language in `Content-Language`.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language

Context = Mapping[str, Any] | Callable[[], Mapping[str, Any]]


def wants_json(request: HttpRequest) -> bool:
    """The page's JSON twin is asked for (`?format=json`)."""
    return request.GET.get("format") == "json"


def json_response(
    data: Any, *, status: int = 200, content_type: str = "application/json"
) -> JsonResponse:
    response = JsonResponse(
        data,
        status=status,
        content_type=content_type,
        safe=isinstance(data, dict),
        json_dumps_params={"ensure_ascii": False},
    )
    response["Content-Language"] = get_language() or "fr"
    return response


def _value(value: Any) -> Any:
    return value() if callable(value) else value


def render_page(
    request: HttpRequest,
    template: str,
    context: Context | None = None,
    data: Any = None,
    *,
    status: int = 200,
) -> HttpResponse:
    """The HTML page, or its JSON twin (`data`) with `?format=json`."""
    if wants_json(request):
        return json_response(_value(data), status=status)
    return render(request, template, dict(_value(context) or {}), status=status)
