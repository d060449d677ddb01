"""One JSON shape for every API error: {"code": stable id, "message": French text}."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from maillage.territories.selectors import InvalidTerritoryId, TerritoryNotFound

STATUS = {InvalidTerritoryId: 400, TerritoryNotFound: 404}


def register_error_handlers(api: NinjaAPI) -> None:
    def handle(request: HttpRequest, exc: TerritoryNotFound) -> HttpResponse:
        return api.create_response(
            request, {"code": exc.code, "message": str(exc)}, status=STATUS[type(exc)]
        )

    for exc_class in STATUS:
        api.add_exception_handler(exc_class, handle)
