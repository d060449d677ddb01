"""Pages and their JSON twins: one view gives both (maillage.core.twins), and an error a view
lets through is answered by maillage.core.handlers as the site's error page or as JSON."""

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import include, path
from django.utils.translation import gettext_lazy

from maillage.core.twins import render_page
from maillage.sources.harvest import SourceBusy

NOT_FOUND_FR = "Aucun territoire « dep:999 » dans le référentiel officiel."
NOT_FOUND_EN = "No territory “dep:999” in the official reference data."
BUSY_FR = "La source « bnlc » est déjà en cours d'import (import n° 7)."
BUSY_EN = "Source “bnlc” is already being imported (import no. 7)."


def busy_view(request: HttpRequest) -> HttpResponse:
    """A view that lets a 409 through, as any view may."""
    raise SourceBusy(
        gettext_lazy("La source « %(source)s » est déjà en cours d'import (import n° %(job)s)."),
        {"source": "bnlc", "job": 7},
    )


# This module is also the URLconf of the tests marked `urls` below: the site plus busy_view.
urlpatterns = [path("occupe/", busy_view), path("", include("maillage.urls"))]


def test_render_page_builds_only_what_is_asked_for():
    def never() -> dict:
        raise AssertionError("built although not asked for")

    factory = RequestFactory()
    twin = render_page(factory.get("/x/", {"format": "json"}), "error.html", never, {"nom": "Bâle"})
    assert twin["Content-Type"] == "application/json"
    assert twin["Content-Language"] == "fr"
    assert twin.content.decode() == '{"nom": "Bâle"}'  # UTF-8, not \u escapes
    listed = render_page(factory.get("/x/", {"format": "json"}), "error.html", never, lambda: [1])
    assert listed.content == b"[1]"
    page = render_page(
        factory.get("/x/"),
        "error.html",
        {"title": "Titre", "message": "<i>m</i>"},
        never,
        status=400,
    )
    assert page.status_code == 400
    assert "<h1>Titre</h1>" in page.content.decode()
    assert "&lt;i&gt;m&lt;/i&gt;" in page.content.decode()


@pytest.mark.django_db
def test_a_page_error_is_a_french_html_page_with_its_status(client):
    missing = client.get("/territoires/dep:999/portrait/")
    assert missing.status_code == 404
    html = missing.content.decode()
    assert '<html lang="fr">' in html
    assert "<h1>Territoire introuvable</h1>" in html
    assert NOT_FOUND_FR in html
    malformed = client.get("/territoires/xyz/portrait/")
    assert malformed.status_code == 400
    assert "« xyz » n&#x27;est pas un identifiant de territoire." in malformed.content.decode()
    not_computed = client.get("/territoires/dep:64/portrait/")  # nothing computed yet
    assert not_computed.status_code == 503
    assert "<h1>Chiffres pas encore calculés</h1>" in not_computed.content.decode()
    assert "maillage indicators --recompute" in not_computed.content.decode()


@pytest.mark.django_db
def test_a_page_error_in_english_through_the_language_switch(client):
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert switched.status_code == 302
    response = client.get("/territoires/dep:999/portrait/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "<h1>Territory not found</h1>" in html
    assert NOT_FOUND_EN in html
    twin = client.get("/territoires/dep:64/portrait/", {"format": "json"})
    assert (twin.status_code, twin.json()["code"]) == (503, "figures-not-computed")
    assert twin.json()["message"].startswith("The indicators have not been computed yet")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "headers"),
    [({"format": "json"}, {}), ({}, {"Accept": "application/json"})],
)
def test_a_page_asked_as_json_answers_its_error_as_json(client, query, headers):
    response = client.get("/territoires/dep:999/portrait/", query, headers=headers)
    assert response.status_code == 404
    assert response.json() == {"code": "territory-not-found", "message": NOT_FOUND_FR}
    malformed = client.get("/territoires/xyz/portrait/", query, headers=headers)
    assert (malformed.status_code, malformed.json()["code"]) == (400, "invalid-territory-id")


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_conflict_raised_by_a_view_is_a_409_page_or_json_in_either_language(client):
    page = client.get("/occupe/")
    assert page.status_code == 409
    html = page.content.decode()
    assert '<html lang="fr">' in html
    assert "<h1>Action impossible pour le moment</h1>" in html
    assert "La source « bnlc » est déjà en cours d&#x27;import (import n° 7)." in html
    english = client.get("/occupe/", headers={"Accept-Language": "en"})
    assert english.status_code == 409
    assert "<h1>Not possible right now</h1>" in english.content.decode()
    assert BUSY_EN in english.content.decode()
    asked = client.get("/occupe/", headers={"Accept": "application/json"})
    assert (asked.status_code, asked.json()) == (409, {"code": "source-busy", "message": BUSY_FR})
