"""One handler for every `MaillageError`, in the API and in the Django views.

- `error_response(request, error)`: `{"code", "message"}` JSON with the error's status when the
  request asks for JSON (`?format=json`, `Accept: application/json`, or a path under `/api/`),
  otherwise the site's error page (escaped message, in the active language).
- `ErrorMiddleware` (in settings.MIDDLEWARE) answers so any `MaillageError` a view lets through.
- `page_not_found` (the site's `handler404`) does the same for unknown addresses: a JSON 404
  under `/api/`, the French (or English) 404 page elsewhere; `bad_request` and `server_error`
  (`handler400`, `handler500`) and a method the API does not serve (405) answer JSON too under
  `/api/`, so that every API error has the `{"code", "message"}` shape.
"""

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

from .errors import MaillageError, as_busy
from .twins import json_response, wants_json

API_PREFIX = "/api/"


def wants_json_error(request: HttpRequest) -> bool:
    if wants_json(request) or request.path.startswith(API_PREFIX):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(
    request: HttpRequest,
    error: MaillageError,
    *,
    status: int | None = None,
    template: str = "error.html",
    context: Mapping[str, Any] | None = None,
    as_json: bool = False,
) -> HttpResponse:
    """The answer to `error`: JSON or the error page (`template`, given `error`, `title`,
    `message` and `context`). `status` overrides the error's own, for a page that answers
    every failure the same way (a territory page says 404 even to a malformed id)."""
    status = status or error.status
    if as_json or wants_json_error(request):
        return json_response(error.as_json(), status=status)
    page = {"error": error, "title": error.heading, "message": error.message, **(context or {})}
    return render(request, template, page, status=status)


class PageNotFound(MaillageError):
    """An address that leads nowhere (stable code `not-found`)."""

    code = "not-found"
    status = 404


def not_found_error() -> PageNotFound:
    return PageNotFound(_("Aucune ressource à cette adresse."))


class MethodNotAllowed(MaillageError):
    code = "method-not-allowed"
    status = 405


class BadRequest(MaillageError):
    code = "bad-request"
    status = 400


class ServerError(MaillageError):
    code = "server-error"
    status = 500


def _method_not_allowed(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    error = MethodNotAllowed(
        _("Méthode %(method)s non permise à cette adresse (permises : %(allowed)s).")
        % {"method": request.method, "allowed": response.get("Allow", "")}
    )
    answer = json_response(error.as_json(), status=405)
    answer["Allow"] = response.get("Allow", "")
    return answer


class ErrorMiddleware:
    """Turns a `MaillageError` raised by a view into its JSON or HTML answer (never a 500)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)
        # django-ninja answers a method it does not serve with a bare text 405.
        if (
            response.status_code == 405
            and request.path.startswith(API_PREFIX)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return _method_not_allowed(request, response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, MaillageError):
            return error_response(request, exception)
        busy = as_busy(exception)  # a write that waited too long for the database's lock
        return error_response(request, busy) if busy else None


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: JSON under `/api/` or when JSON is asked for, the 404 page otherwise."""
    if wants_json_error(request):
        return json_response(not_found_error().as_json(), status=404)
    return render(request, "404.html", status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400 (a host not in ALLOWED_HOSTS, a malformed request): JSON under `/api/`."""
    if wants_json_error(request):
        error = BadRequest(_("Requête invalide."))
        return json_response(error.as_json(), status=400)
    return defaults.bad_request(request, exception or BadRequest())


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a bug; JSON under `/api/` (the trace goes to the logs, never the client)."""
    if wants_json_error(request):
        error = ServerError(_("Erreur interne du serveur : elle est enregistrée dans le journal."))
        return json_response(error.as_json(), status=500)
    return defaults.server_error(request)
