import pytest

pytestmark = pytest.mark.django_db


def result_ids(client, query: str) -> list[str]:
    response = client.get("/territoires/", {"q": query, "format": "json"})
    assert response.status_code == 200
    data = response.json()
    assert data["query"] == query.strip()
    assert data["count"] == len(data["results"])
    return [r["id"] for r in data["results"]]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("saint etienne", "com:42218"),
        ("SAINT-ÉTIENNE", "com:42218"),
        ("  Saint-Étienne ", "com:42218"),
        ("35000", "com:35238"),  # postcode → Rennes
        ("74011", "com:74010"),  # old code of Annecy-le-Vieux → Annecy
        ("243500139", "epci:243500139"),  # SIREN of Rennes Métropole
    ],
)
def test_search_json_finds_territory_first(client, query, first):
    assert result_ids(client, query)[0] == first


def test_search_json_result_fields(client):
    result = client.get("/territoires/", {"q": "saint etienne", "format": "json"}).json()[
        "results"
    ][0]
    assert result == {
        "id": "com:42218",
        "name": "Saint-Étienne",
        "level": "com",
        "level_label": "Commune",
        "code": "42218",
        "url": "/territoires/com:42218/",
        "population": result["population"],
        "departement": {"id": "dep:42", "name": "Loire"},
    }
    assert result["population"] > 150_000


def test_search_page_lists_results_with_level_code_and_departement(client):
    response = client.get("/territoires/", {"q": "saint etienne"})
    html = response.content.decode()
    assert response.status_code == 200
    first = html.index('href="/territoires/com:42218/"')
    assert first < html.index('href="/territoires/com:76575/"')  # Saint-Étienne-du-Rouvray
    assert "Saint-Étienne</a>" in html
    assert "Commune · " in html
    assert "42218" in html
    assert "Loire (42)" in html


def test_search_page_without_query_explains(client):
    html = client.get("/territoires/").content.decode()
    assert "Saisissez le nom d'une commune" in html


def test_search_without_result_explains(client):
    response = client.get("/territoires/", {"q": "zzqxw"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Aucun territoire ne correspond à « zzqxw »" in html
    assert client.get("/territoires/", {"q": "zzqxw", "format": "json"}).json()["count"] == 0


def test_search_for_an_exact_id_redirects(client):
    response = client.get("/territoires/", {"q": "dep:35"})
    assert response.status_code == 302
    assert response["Location"] == "/territoires/dep:35/"
    # An id that does not exist is an ordinary search with a helpful message.
    assert client.get("/territoires/", {"q": "dep:999"}).status_code == 200


def test_htmx_request_returns_only_the_results_fragment(client):
    response = client.get("/territoires/", {"q": "rennes"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'href="/territoires/com:35238/"' in html
    assert "HX-Request" in response["Vary"]
    full = client.get("/territoires/", {"q": "rennes"}).content.decode()
    assert "<html" in full
    assert 'hx-get="/territoires/"' in full


def test_home_page_has_search_form(client):
    html = client.get("/").content.decode()
    assert 'role="search"' in html
    assert 'name="q"' in html
    assert '<label for="q">' in html
    assert "observatoire de l'économie collaborative" in html
