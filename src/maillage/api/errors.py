"""One JSON shape for every API error: {"code": stable id, "message": French text}."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from maillage.indicators.selectors import FiguresNotComputed
from maillage.territories.selectors import InvalidTerritoryId, TerritoryNotFound

STATUS: dict[type[Exception], int] = {
    InvalidTerritoryId: 400,
    TerritoryNotFound: 404,
    FiguresNotComputed: 503,
}


def register_error_handlers(api: NinjaAPI) -> None:
    def handle(request: HttpRequest, exc: Exception) -> HttpResponse:
        body = {"code": getattr(exc, "code", "error"), "message": str(exc)}
        return api.create_response(request, body, status=STATUS.get(type(exc), 500))

    for exc_class in STATUS:
        api.add_exception_handler(exc_class, handle)  # type: ignore[arg-type]
