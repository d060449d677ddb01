from django.http import HttpRequest, HttpResponse

from maillage.core.twins import json_response, render_page

from .selectors import attribute_vocabularies, describe_typology, typology_families


def typology(request: HttpRequest) -> HttpResponse:
    """The typology of collaborative practices; `?format=json` gives the JSON twin."""

    def context() -> dict[str, object]:
        return {"families": typology_families(), "attributes": attribute_vocabularies()}

    return render_page(request, "catalog/typology.html", context, describe_typology)


def typology_json(request: HttpRequest) -> HttpResponse:
    """The JSON twin at its own address (`/typologie/typologie.json`)."""
    return json_response(describe_typology())
