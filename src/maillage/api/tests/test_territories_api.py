import pytest


@pytest.mark.django_db
def test_territory_by_id_and_old_code(client):
    data = client.get("/api/v1/territories/com:74011").json()
    assert data["id"] == "com:74010"
    assert data["resolved_from"]["code"] == "74011"
    assert data["population_year"] == 2023
    rennes = client.get("/api/v1/territories/com:35238").json()
    assert rennes["name"] == "Rennes"
    assert rennes["resolved_from"] is None
    assert [p["id"] for p in rennes["parents"]] == ["epci:243500139", "dep:35", "reg:53", "fr"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bad_id", "status", "code"),
    [("xyz", 400, "invalid-territory-id"), ("dep:999", 404, "territory-not-found")],
)
def test_errors_have_a_stable_code_and_a_french_message(client, bad_id, status, code):
    response = client.get(f"/api/v1/territories/{bad_id}")
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert bad_id in body["message"]


@pytest.mark.django_db
def test_search_and_children(client):
    found = client.get("/api/v1/territories", {"q": "SAINT ÉTIENNE"}).json()
    assert found[0]["id"] == "com:42218"
    children = client.get("/api/v1/territories/reg:53/children").json()
    assert sorted(c["id"] for c in children) == ["dep:22", "dep:29", "dep:35", "dep:56"]


def test_openapi_schema_documents_every_endpoint(client):
    schema = client.get("/api/v1/schema/").json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert {
        "/api/v1/territories",
        "/api/v1/territories/{territory_id}",
        "/api/v1/territories/{territory_id}/children",
        "/api/v1/locate",
    } <= paths


@pytest.mark.django_db
def test_locate_a_point_or_say_outside_france(client):
    paris = client.get("/api/v1/locate", {"lon": 2.3522, "lat": 48.8566}).json()
    assert paris["commune"]["id"] == "com:75056"
    assert paris["region"]["id"] == "reg:11"
    assert paris["outside_france"] is False
    sea = client.get("/api/v1/locate", {"lon": -4.0, "lat": 47.0}).json()
    assert sea["outside_france"] is True
    assert sea["commune"] is None
    bad = client.get("/api/v1/locate", {"lon": 500, "lat": 48})
    assert bad.status_code == 422
