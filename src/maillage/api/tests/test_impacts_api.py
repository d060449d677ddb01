"""`GET /api/v1/territories/{id}/impacts`: the stored impacts, with their schema."""

import pytest

from maillage.impacts import precompute
from maillage.impacts.compute import territory_impacts

# The impacts tests' fixtures: seeded coefficients (autouse) and initiatives with reports.
from maillage.impacts.tests.conftest import (  # noqa: F401
    CESSON,
    RENNES,
    RENNES_METROPOLE,
    make_initiative,
    seeded_coefficients,
)
from maillage.territories.models import Territory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(make_initiative):  # noqa: F811
    make_initiative("repair-cafe", RENNES, reports={"repairs-succeeded": 300})
    make_initiative("repair-cafe", CESSON)
    make_initiative("coworking", RENNES)
    precompute.recompute()


def test_the_impacts_of_a_metropole_equal_the_computation(client, stored):
    response = client.get(f"/api/v1/territories/{RENNES_METROPOLE}/impacts")
    assert response.status_code == 200
    data = response.json()
    expected = territory_impacts(Territory.objects.get(id=RENNES_METROPOLE)).as_dict()
    assert data["stale"] is False
    assert data["initiatives"] == 3
    assert data["categories_without_basis"] == [
        {
            "category": "coworking",
            "initiatives": 1,
            "message": "impact non estimé : pas de référence sourcée",
        }
    ]
    mine = {f["indicator"]: f for f in data["figures"]}
    assert set(mine) == {f["indicator"] for f in expected["figures"]}
    for figure in expected["figures"]:
        got = mine[figure["indicator"]]
        for name in ("low", "central", "high"):
            assert got[name] == pytest.approx(figure[name])
        for name in ("unit", "basis", "reported_initiatives", "estimated_initiatives"):
            assert got[name] == figure[name]
        assert [c["key"] for c in got["coefficients"]] == [c["key"] for c in figure["coefficients"]]
        assert all(c["source"] for c in got["coefficients"])
        assert [s["key"] for s in got["sensitivity"]] == [s["key"] for s in figure["sensitivity"]]
    co2 = mine["co2e_avoided_t"]
    assert co2["basis"] == "mixed"
    assert (co2["reported_initiatives"], co2["estimated_initiatives"]) == (1, 1)


def test_an_unknown_territory_is_a_french_404(client, stored):
    response = client.get("/api/v1/territories/dep:999/impacts")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "territory-not-found"
    assert "territoire" in body["message"]


def test_before_any_computation_it_says_so(client, referential):
    response = client.get("/api/v1/territories/dep:35/impacts")
    assert response.status_code == 503
    assert response.json()["code"] == "impacts-not-computed"


def test_the_schema_documents_the_impacts(client):
    schema = client.get("/api/v1/schema/").json()
    assert "/api/v1/territories/{territory_id}/impacts" in schema["paths"]
    assert {"ImpactsOut", "ImpactFigure", "ImpactCoefficient"} <= set(
        schema["components"]["schemas"]
    )
