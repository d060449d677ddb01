import json

import pytest

pytestmark = pytest.mark.django_db

NBSP = "\xa0"


def test_commune_page_shows_figures_parents_and_map(client):
    response = client.get("/territoires/com:42218/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Saint-Étienne" in html
    assert "42218" in html
    assert "214202186" in html
    # Population with its year, French grouping (non-breaking space).
    population = response.context["territory"].population
    grouped = f"{population:,}".replace(",", NBSP)
    assert f"Population municipale 2023 : {grouped} hab." in html
    assert "km²" in html
    assert "hab./km²" in html
    for parent in ("epci:244200770", "dep:42", "reg:84", "fr"):
        assert f'href="/territoires/{parent}/"' in html
    assert 'id="carte"' in html
    assert 'data-outline-url="/territoires/com:42218/contour.geojson"' in html
    assert "Emprise (WGS84)" in html
    assert "Passer la carte" in html
    assert "/static/leaflet/leaflet.js" in html


def test_departement_page_paginates_its_communes(client):
    response = client.get("/territoires/dep:62/")
    html = response.content.decode()
    assert response.status_code == 200
    count = response.context["page"].children_count
    assert count > 700
    assert f"{count:,} communes".replace(",", NBSP) in html
    assert html.count('<li><a href="/territoires/com:') < 200
    assert 'rel="next"' in html
    assert 'data-children-url="/territoires/dep:62/enfants.geojson"' in html
    second = client.get("/territoires/dep:62/", {"page": 2})
    assert second.status_code == 200
    assert 'rel="prev"' in second.content.decode()


def test_epci_page_names_its_legal_nature(client):
    html = client.get("/territoires/epci:244200770/").content.decode()
    assert "Métropole (METRO)" in html
    assert "communes membres" in html


def test_territory_json_twin(client):
    data = client.get("/territoires/com:42218/", {"format": "json"}).json()
    assert data["id"] == "com:42218"
    assert data["name"] == "Saint-Étienne"
    assert data["level"] == "com"
    assert data["population"] > 150_000
    assert data["population_year"] == 2023
    assert 70 < data["area_km2"] < 90
    assert [p["id"] for p in data["parents"]] == ["epci:244200770", "dep:42", "reg:84", "fr"]
    assert data["children_count"] == 0
    dep = client.get("/territoires/dep:42/", {"format": "json"}).json()
    assert dep["children_count"] > 300


def test_old_code_redirects_permanently_with_a_note(client):
    response = client.get("/territoires/com:74011/")
    assert response.status_code == 301
    assert response["Location"] == "/territoires/com:74010/"
    html = client.get(response["Location"]).content.decode()
    assert (
        "74011 (Annecy-le-Vieux, commune déléguée) correspond aujourd&#x27;hui à Annecy (com:74010)"
        in html
    )
    json_response = client.get("/territoires/com:74011/", {"format": "json"})
    assert json_response.status_code == 301
    assert json_response["Location"] == "/territoires/com:74010/?format=json"


@pytest.mark.parametrize(
    ("territory_id", "code"),
    [
        ("dep:999", "territory-not-found"),
        ("com:00000", "territory-not-found"),
        ("xyz", "invalid-territory-id"),
    ],
)
def test_unknown_territory_gives_french_404(client, territory_id, code):
    response = client.get(f"/territoires/{territory_id}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Territoire introuvable" in html
    assert '<html lang="fr">' in html
    assert territory_id in html
    data = client.get(f"/territoires/{territory_id}/", {"format": "json"})
    assert data.status_code == 404
    assert data.json()["code"] == code


def test_outline_endpoint_is_geojson_with_cache_validators(client):
    response = client.get("/territoires/com:42218/contour.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert "max-age" in response["Cache-Control"]
    feature = json.loads(response.content)
    assert feature["type"] == "Feature"
    assert feature["id"] == "com:42218"
    assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    etag = response["ETag"]
    again = client.get("/territoires/com:42218/contour.geojson", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert client.get("/territoires/com:74011/contour.geojson")["Location"] == (
        "/territoires/com:74010/contour.geojson"
    )
    assert client.get("/territoires/dep:999/contour.geojson").status_code == 404


def test_children_outlines_are_a_simplified_collection(client):
    response = client.get("/territoires/epci:244200770/enfants.geojson")
    assert response.status_code == 200
    collection = json.loads(response.content)
    assert collection["type"] == "FeatureCollection"
    ids = {f["id"] for f in collection["features"]}
    assert "com:42218" in ids
    assert len(ids) > 40
    assert response["ETag"]
    again = client.get(
        "/territoires/epci:244200770/enfants.geojson", headers={"If-None-Match": response["ETag"]}
    )
    assert again.status_code == 304


@pytest.mark.django_db
def test_france_map_opens_on_the_metropolitan_territory(client):
    html = client.get("/territoires/fr/").content.decode()
    assert 'data-bbox="-5.2,41.3,9.6,51.1"' in html
    assert 'data-fixed-view="true"' in html
    # A commune keeps its own extent and the map fits its outline.
    rennes = client.get("/territoires/com:35238/").content.decode()
    assert "data-fixed-view" not in rennes
