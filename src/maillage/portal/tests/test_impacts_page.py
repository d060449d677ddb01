"""The « Impacts » section of a territory page and the page « Comment ce chiffre est-il
calculé ? » with its JSON twin: stored figures only, every text escaped."""

import pytest

from maillage.impacts import precompute
from maillage.impacts.models import Coefficient, CoefficientOverride

# The impacts tests' fixtures: seeded coefficients (autouse) and initiatives with reports.
from maillage.impacts.tests.conftest import (  # noqa: F401
    CESSON,
    RENNES,
    RENNES_METROPOLE,
    make_initiative,
    seeded_coefficients,
)

from .a11y import accessibility_problems

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(make_initiative):  # noqa: F811
    make_initiative("repair-cafe", RENNES, reports={"repairs-succeeded": 300})
    make_initiative("repair-cafe", CESSON)
    make_initiative("coworking", RENNES)
    coefficient = Coefficient.objects.get(key="repair.kgco2e_per_repair")
    coefficient.source_url = "https://exemple.org/reparation"
    coefficient.save()
    CoefficientOverride.objects.create(
        territory_id=RENNES_METROPOLE,
        coefficient=coefficient,
        low=5,
        central=6,
        high=7,
        source_text="<script>alert(1)</script> Mesure locale",
        source_url="",
    )
    precompute.recompute()


def test_the_territory_page_shows_each_impact_with_its_range(client, stored):
    html = client.get(f"/territoires/{RENNES_METROPOLE}/").content.decode()
    assert 'id="impacts-titre"' in html
    assert "Comment ce chiffre est-il calculé ?" in html
    assert f"/territoires/{RENNES_METROPOLE}/impacts/co2e_avoided_t/" in html
    assert "Base : mixte" in html
    assert "activité déclarée : 1 sur 2 initiatives (50 %)" in html
    assert "impact non estimé : pas de référence sourcée" in html
    assert "Coworking (1 initiative)" in html
    assert 'class="impact-range"' in html


def test_before_any_computation_the_page_says_so(client, referential):
    response = client.get("/territoires/dep:35/")
    assert response.status_code == 200
    assert "maillage impacts --recompute" in response.content.decode()


def test_the_explanation_page_and_its_json_twin(client, stored):
    url = f"/territoires/{RENNES_METROPOLE}/impacts/co2e_avoided_t/"
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "La formule, en mots" in html
    assert 'href="https://exemple.org/reparation"' in html
    assert "<script>alert(1)</script>" not in html  # escaped
    assert "&lt;script&gt;" in html
    assert f"Valeur locale de {RENNES_METROPOLE}" in html
    data = client.get(url, {"format": "json"}).json()
    assert data["indicator"] == "co2e_avoided_t"
    assert data["basis"] == "mixed"
    assert data["low"] <= data["central"] <= data["high"]
    repair = next(c for c in data["coefficients"] if c["key"] == "repair.kgco2e_per_repair")
    assert repair["source_url"] == "https://exemple.org/reparation"
    assert repair["checked_on"]
    assert repair["overrides"][0]["territory"] == RENNES_METROPOLE
    [formula] = data["formulas"]
    assert formula["description"]
    repairs = next(i for i in formula["inputs"] if i["metric"] == "repairs-succeeded")
    assert (repairs["reported"], repairs["defaulted"], repairs["years"]) == (1, 1, [2025])


def test_an_unknown_figure_or_territory_is_a_404(client, stored):
    missing = client.get(f"/territoires/{RENNES_METROPOLE}/impacts/nothing/", {"format": "json"})
    assert missing.status_code == 404
    assert missing.json()["code"] == "impact-not-found"
    assert client.get("/territoires/dep:999/impacts/co2e_avoided_t/").status_code == 404


def test_the_pages_read_in_english(client, stored, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/territoires/{RENNES_METROPOLE}/").content.decode()
    assert "How is this figure computed?" in html
    assert "Basis: mixed" in html
    assert "emissions avoided" in html  # the stored French label, said again in English
    page = client.get(f"/territoires/{RENNES_METROPOLE}/impacts/co2e_avoided_t/").content.decode()
    assert "The formula, in words" in page


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_impact_pages_pass_structural_accessibility_checks(client, stored, settings, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for url in (
        f"/territoires/{RENNES_METROPOLE}/",
        f"/territoires/{RENNES_METROPOLE}/impacts/co2e_avoided_t/",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert accessibility_problems(response.content.decode()) == [], url


def test_initiatives_without_the_data_a_figure_needs_are_said_not_counted_as_zero(
    client,
    make_initiative,  # noqa: F811
):
    # A carpooling area without reported kilometres: no sourced default, so no CO₂e figure.
    make_initiative("covoiturage", RENNES)
    precompute.recompute()
    html = client.get(f"/territoires/{RENNES_METROPOLE}/").content.decode()
    assert "Aucun impact estimé pour ce territoire." in html
    assert "Non estimés faute de données" in html
    assert "émissions évitées : 1 initiative sans les données nécessaires" in html
