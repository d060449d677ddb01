"""One JSON shape for every API error: {"code": stable id, "message": text in the active
language (French by default)}, with the error's HTTP status (maillage.core.errors)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError

from maillage.core.errors import MaillageError
from maillage.core.handlers import not_found_error


class InvalidParameters(MaillageError):
    """Query or path parameters that do not validate (stable code `invalid-parameters`, 422
    as before); `details.errors` keeps where and what, as the schema validation says."""

    code = "invalid-parameters"
    status = 422


def invalid_parameters(exc: ValidationError) -> InvalidParameters:
    names = sorted({str(error.get("loc", ["?"])[-1]) for error in exc.errors})
    errors = [{"loc": list(e.get("loc", [])), "type": e.get("type", "")} for e in exc.errors]
    return InvalidParameters(
        _("Paramètre(s) invalide(s) : %(names)s.") % {"names": ", ".join(names)},
        details={"errors": errors},
    )


def register_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, error: MaillageError) -> HttpResponse:
        return api.create_response(request, error.as_json(), status=error.status)

    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, not_found_error())

    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return respond(request, invalid_parameters(exc))

    api.add_exception_handler(MaillageError, respond)  # type: ignore[arg-type]
    api.add_exception_handler(Http404, not_found)  # type: ignore[arg-type]
    api.add_exception_handler(ValidationError, invalid)  # type: ignore[arg-type]
