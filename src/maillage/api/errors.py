"""One JSON shape for every API error: {"code": stable id, "message": text in the active
language (French by default)}, with the error's HTTP status (maillage.core.errors)."""

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI

from maillage.core.errors import MaillageError
from maillage.core.handlers import not_found_error


def register_error_handlers(api: NinjaAPI) -> None:
    def handle(request: HttpRequest, exc: MaillageError) -> HttpResponse:
        return api.create_response(request, exc.as_json(), status=exc.status)

    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        error = not_found_error()
        return api.create_response(request, error.as_json(), status=error.status)

    api.add_exception_handler(MaillageError, handle)  # type: ignore[arg-type]
    api.add_exception_handler(Http404, not_found)  # type: ignore[arg-type]
