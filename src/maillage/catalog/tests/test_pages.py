import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def html_codes(html: str) -> list[str]:
    return re.findall(r'<tr id="categorie-([a-z-]+)">', html)


def test_typology_page_in_french(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = client.get("/typologie/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr"' in html
    assert "<h1>Typologie des pratiques collaboratives</h1>" in html
    assert html.count("<h1") == 1
    assert "<caption>Mobilité partagée : 6 catégories</caption>" in html
    assert '<th scope="row">Covoiturage (plateformes, aires, lignes)</th>' in html
    assert html.count('<th scope="col">Catégorie</th>') == 7
    assert "<code>amenity=car_pooling</code>" in html
    assert "rare ou contesté, à vérifier" in html
    assert len(html_codes(html)) == 34
    assert 'href="/typologie/typologie.json"' in html


def test_typology_page_in_english(client):
    html = client.get("/typologie/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en"' in html
    assert "<h1>Typology of collaborative practices</h1>" in html
    assert "<caption>Shared mobility: 6 categories</caption>" in html
    assert '<th scope="row">Carpooling (platforms, car parks, lines)</th>' in html
    assert "rare or disputed, to be checked" in html
    assert "<dd>Dormant</dd>" in html
    assert "Covoiturage (plateformes" not in html


@pytest.mark.parametrize("language", ["fr", "en"])
def test_json_twin_has_the_same_codes_as_the_page(client, language):
    html = client.get("/typologie/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    response = client.get(reverse("catalog:typology-json"), HTTP_ACCEPT_LANGUAGE=language)
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["language"] == language
    assert data["counts"] == {"families": 7, "categories": 34}
    codes = [c["code"] for f in data["families"] for c in f["categories"]]
    assert codes == html_codes(html)
    label = data["families"][0]["categories"][0]["label"]
    assert label == (
        "Covoiturage (plateformes, aires, lignes)"
        if language == "fr"
        else "Carpooling (platforms, car parks, lines)"
    )
    assert label in html
    same = client.get("/typologie/?format=json", HTTP_ACCEPT_LANGUAGE=language).json()
    assert same == data
    attributes = {a["code"]: [v["code"] for v in a["values"]] for a in data["attributes"]}
    assert attributes["status"] == ["projet", "actif", "en-sommeil", "ferme"]
    assert attributes["exchange_mode"][0] == "don"
