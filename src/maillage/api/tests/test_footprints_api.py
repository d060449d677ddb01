"""`GET /api/v1/territories/{id}/footprints`: the platforms' footprint with its schema."""

import datetime

import pytest

from maillage.catalog.services import record_footprint
from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.tests.footprintfiles import BORDEAUX, LYON_4E, listing, write_listings

pytestmark = pytest.mark.django_db


@pytest.fixture
def listings(referential, tmp_path):
    rows = [listing(1, LYON_4E, license="6938413058353"), listing(2, BORDEAUX)]
    path = write_listings(tmp_path / "listings.csv", rows)
    run_import(ImportRequest(backend="footprint-airbnb", path=path, source="inside-airbnb"))


def test_footprints_of_lyon_compared_with_bordeaux(client, listings):
    response = client.get("/api/v1/territories/com:69384/footprints", {"peers": "com:33063"})
    assert response.status_code == 200
    data = response.json()
    assert data["territory"] == {"id": "com:69123", "name": "Lyon", "level": "com"}
    assert data["peers"] == [{"id": "com:33063", "name": "Bordeaux", "level": "com"}]
    [group] = data["footprints"]
    figures = {f["metric"]: f for f in group["figures"]}
    assert figures["annonces"]["value"] == 1
    assert figures["annonces"]["peers"]["members"][0]["value"] == 1
    assert figures["part-avec-numero"]["peers"]["median"] == 0
    fourth = next(r for r in group["breakdown"] if r["code"] == "69384")
    assert fourth["figures"]["annonces"] == 1


def test_errors_and_empty_answers(client, listings):
    bad = client.get("/api/v1/territories/com:69123/footprints", {"peers": "dep:35,xyz"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid-peers"
    assert bad.json()["details"] == {"unknown": ["xyz"], "other_level": ["dep:35"]}
    assert client.get("/api/v1/territories/dep:999/footprints").status_code == 404
    empty = client.get("/api/v1/territories/com:35238/footprints").json()
    assert empty["footprints"] == []
    record_footprint(
        platform="BlaBlaCar", territory="dep:35", metric="trajets", date=datetime.date(2024, 1, 1),
        value=3.5, source_name="BlaBlaCar",
    )  # fmt: skip
    [group] = client.get("/api/v1/territories/dep:35/footprints").json()["footprints"]
    assert group["figures"][0] == {
        "metric": "trajets", "label": "trajets", "value": 3.5, "unit": "", "format": "number",
        "derived": False, "peers": None,
    }  # fmt: skip


def test_the_schema_documents_the_footprints(client):
    schema = client.get("/api/v1/schema/").json()
    assert "/api/v1/territories/{territory_id}/footprints" in schema["paths"]
    assert "FootprintGroup" in schema["components"]["schemas"]
