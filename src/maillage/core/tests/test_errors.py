"""The one error type: every coded exception is a MaillageError with its HTTP status, and the
API, the pages and their JSON twins answer it the same way, in French or in English."""

import pickle

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext_lazy

from maillage import cli
from maillage.catalog.typology import TypologyError
from maillage.core.errors import MaillageError
from maillage.core.handlers import ErrorMiddleware
from maillage.dedupe.merges import MergeRefused
from maillage.indicators.history import HistoryFileError
from maillage.indicators.selectors import FiguresNotComputed
from maillage.sources.errors import RowRejected, SourceFileError
from maillage.sources.harvest import JobNotPending, SourceBusy
from maillage.sources.mappings import MappingError
from maillage.sources.parallel import ParsingProcessFailed
from maillage.sources.services import ImportRefused
from maillage.territories.locate_csv import LocateFileError
from maillage.territories.selectors import InvalidTerritoryId, TerritoryNotFound
from maillage.territories.sources import ReferentialSourceError

NOT_FOUND_FR = "Aucun territoire « dep:999 » dans le référentiel officiel."
NOT_FOUND_EN = "No territory “dep:999” in the official reference data."


@pytest.mark.parametrize(
    ("error_class", "code", "status"),
    [
        (TypologyError, "typology-invalid", 400),
        (LocateFileError, "locate-file-invalid", 400),
        (TerritoryNotFound, "territory-not-found", 404),
        (InvalidTerritoryId, "invalid-territory-id", 400),
        (ReferentialSourceError, "referential-source-invalid", 400),
        (HistoryFileError, "history-file", 400),
        (FiguresNotComputed, "figures-not-computed", 503),
        (MappingError, "mapping-invalid", 400),
        (SourceFileError, "source-file-invalid", 400),
        (RowRejected, "row-rejected", 400),
        (SourceBusy, "source-busy", 409),
        (JobNotPending, "job-not-pending", 409),
        (ImportRefused, "import-refused", 409),
        (ParsingProcessFailed, "parsing-process-failed", 503),
        (MergeRefused, "merge-refused", 409),
    ],
)
def test_every_coded_error_is_one_type_with_its_status(error_class, code, status):
    error = error_class("le motif")
    assert isinstance(error, MaillageError)
    assert (error.code, error.status, str(error)) == (code, status, "le motif")
    assert error.as_json() == {"code": code, "message": "le motif"}


def test_a_lazy_message_reads_in_the_active_language_and_survives_pickling():
    error = TerritoryNotFound(
        gettext_lazy("Aucun territoire « %(id)s » dans le référentiel officiel."), {"id": "dep:999"}
    )
    assert str(error) == NOT_FOUND_FR
    with translation.override("en"):
        assert str(error) == NOT_FOUND_EN
    copy = pickle.loads(pickle.dumps(error))  # errors cross the parsing process's boundary
    assert (type(copy), copy.code, copy.status, str(copy)) == (
        TerritoryNotFound,
        "territory-not-found",
        404,
        NOT_FOUND_FR,
    )
    custom = MaillageError("occupé", code="busy", status=409, details={"job": 3})
    assert custom.as_json() == {"code": "busy", "message": "occupé", "details": {"job": 3}}
    assert MaillageError().code == "error"


# --- API -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/v1/territories/xyz", 400, "invalid-territory-id"),
        ("/api/v1/territories/dep:999", 404, "territory-not-found"),
        ("/api/v1/territories/dep:64/indicators", 503, "figures-not-computed"),
        ("/api/v1/nulle-part", 404, "not-found"),
        ("/api/v1/territories/dep:35/inconnu", 404, "not-found"),
    ],
)
def test_api_answers_every_error_as_code_and_message(client, path, status, code):
    response = client.get(path)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message"}
    assert body["code"] == code
    assert body["message"]
    assert "Traceback" not in body["message"]


@pytest.mark.django_db
def test_api_errors_in_french_by_default_and_in_english_when_asked(client):
    assert client.get("/api/v1/territories/dep:999").json()["message"] == NOT_FOUND_FR
    english = client.get("/api/v1/territories/dep:999", headers={"Accept-Language": "en"})
    assert english.json()["message"] == NOT_FOUND_EN
    unknown = client.get("/api/v1/nulle-part")
    assert unknown.json()["message"] == "Aucune ressource à cette adresse."
    unknown_en = client.get("/api/v1/nulle-part", headers={"Accept-Language": "en"})
    assert unknown_en.json()["message"] == "Nothing at this address."


def test_api_invalid_parameters_keep_422_with_code_and_message(client):
    response = client.get("/api/v1/locate", {"lon": 500, "lat": 48})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid-parameters"
    assert body["message"] == "Paramètre(s) invalide(s) : lon."
    assert body["details"]["errors"][0]["loc"][-1] == "lon"
    english = client.get("/api/v1/locate", {"lat": 48}, headers={"Accept-Language": "en"})
    assert english.json()["message"] == "Invalid parameter(s): lon."


@pytest.mark.django_db
def test_an_unknown_page_stays_the_french_404_page(client):
    response = client.get("/nulle-part/")
    assert response.status_code == 404
    assert "<h1>Page introuvable</h1>" in response.content.decode()
    assert client.get("/nulle-part/", {"format": "json"}).json()["code"] == "not-found"


def test_the_middleware_escapes_the_message_and_keeps_the_status():
    request = RequestFactory().get("/imports/")
    middleware = ErrorMiddleware(lambda request: HttpResponse())
    busy = SourceBusy("La source « <b>bnlc</b> » est déjà en cours d'import.")
    response = middleware.process_exception(request, busy)
    assert response is not None
    assert response.status_code == 409
    html = response.content.decode()
    assert "&lt;b&gt;bnlc&lt;/b&gt;" in html
    assert "<b>bnlc</b>" not in html
    assert "<h1>Action impossible pour le moment</h1>" in html
    assert middleware.process_exception(request, ValueError("x")) is None


def test_the_command_exits_2_with_the_message_of_an_uncaught_error(monkeypatch, capsys):
    def busy(argv):
        raise SourceBusy("La source « bnlc » est déjà en cours d'import (import n° 4).")

    monkeypatch.setattr("django.core.management.execute_from_command_line", busy)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["import", "bnlc", "x.csv"])
    assert exit_info.value.code == 2
    assert "SourceBusy: La source « bnlc » est déjà en cours d'import" in capsys.readouterr().err
    assert settings.LANGUAGE_CODE == "fr"
