from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .selectors import attribute_vocabularies, describe_typology, typology_families


def typology(request: HttpRequest) -> HttpResponse:
    """The typology of collaborative practices; `?format=json` gives the JSON twin."""
    if request.GET.get("format") == "json":
        return typology_json(request)
    context = {
        "families": typology_families(),
        "attributes": attribute_vocabularies(),
    }
    return render(request, "catalog/typology.html", context)


def typology_json(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(describe_typology(), json_dumps_params={"ensure_ascii": False})
    response["Content-Language"] = getattr(request, "LANGUAGE_CODE", "fr")
    return response
