"""Impacts of initiatives and territories from the database: reports, sums per dimension,
reported and estimated counts, overrides, sensitivity, categories without basis, and the
`maillage impacts` command."""

import json

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.impacts.compute import initiative_impacts, territory_impacts
from maillage.impacts.dimensions import NO_BASIS
from maillage.impacts.models import Coefficient, CoefficientOverride
from maillage.territories.models import Territory

from .conftest import BREST, CESSON, NANTES, RENNES, RENNES_METROPOLE, SAINT_MALO


def figures(territory_id):
    data = territory_impacts(Territory.objects.get(id=territory_id)).as_dict()
    return data, {f["indicator"]: f for f in data["figures"]}


@pytest.mark.django_db
def test_a_territory_sums_its_initiatives_per_dimension(make_initiative):
    # Two repair cafés in Rennes Métropole, one reported (300 repairs), one estimated (216).
    make_initiative("repair-cafe", RENNES, reports={"repairs-succeeded": 300})
    make_initiative("repair-cafe", CESSON)
    # Latest year wins: 2024 said 10 t, 2025 says 40 t of food saved.
    make_initiative(
        "anti-gaspillage", SAINT_MALO, reports={"tonnes-reused": [(2024, 10), (2025, 40)]}
    )
    data, by_dimension = figures("dep:35")
    assert data["initiatives"] == 3
    co2 = by_dimension["co2e_avoided_t"]
    # Repair: (300 + 216) × [1, 1, 24] kg = [0.516, 0.516, 12.384] t; food: 40 × [1.5, 1.5, 1.53]
    # = [60, 60, 61.2] t. Total: [60.516, 60.516, 73.584] t.
    assert co2["low"] == pytest.approx(60.516)
    assert co2["central"] == pytest.approx(60.516)
    assert co2["high"] == pytest.approx(73.584)
    assert co2["basis"] == "mixed"
    assert (co2["reported_initiatives"], co2["estimated_initiatives"]) == (2, 1)
    assert {c["key"] for c in co2["coefficients"]} == {
        "repair.kgco2e_per_repair",
        "food.kgco2e_per_kg_wasted",
        # Cesson's default number of repairs rests on these two:
        "repair.successful_repairs_per_session",
        "repair.sessions_per_year",
    }
    assert all(c["source"] for c in co2["coefficients"])
    # Dimensions are never mixed: waste is its own figure, in tonnes.
    waste = by_dimension["waste_avoided_t"]
    assert waste["central"] == pytest.approx(0.516 + 40)
    assert {"indicator", "unit", "low", "central", "high", "basis", "coefficients"} <= set(waste)


@pytest.mark.django_db
def test_what_is_not_counted(make_initiative):
    make_initiative("repair-cafe", RENNES, status="ferme")
    make_initiative("repair-cafe", RENNES, published=False)
    make_initiative("repair-cafe", NANTES)
    data, by_dimension = figures("dep:35")
    assert data["initiatives"] == 0
    assert by_dimension == {}
    assert figures("dep:44")[0]["initiatives"] == 1


@pytest.mark.django_db
def test_a_category_without_basis_yields_no_number(make_initiative):
    coworking = make_initiative("coworking", RENNES, reports={"participants": 80})
    impact = initiative_impacts(coworking).as_dict()
    assert impact["message"] == str(NO_BASIS) == "impact non estimé : pas de référence sourcée"
    assert impact["figures"] == []
    data, by_dimension = figures(RENNES)
    assert by_dimension == {}
    assert data["initiatives_without_basis"] == 1
    assert data["without_basis_message"] == str(NO_BASIS)


@pytest.mark.django_db
def test_an_override_changes_exactly_the_figures_that_use_it(make_initiative):
    make_initiative("repair-cafe", RENNES, reports={"repairs-succeeded": 100})
    make_initiative("repair-cafe", SAINT_MALO, reports={"repairs-succeeded": 100})
    make_initiative("anti-gaspillage", RENNES, reports={"tonnes-reused": 5})
    make_initiative("tiers-lieu", CESSON, reports={"participants": 40, "paid-fte": 2})
    before = {t: figures(t)[1] for t in ("dep:35", RENNES, SAINT_MALO, CESSON)}
    # Rennes Métropole measured 10 kgCO₂e (8 to 12) per repair.
    CoefficientOverride.objects.create(
        territory_id=RENNES_METROPOLE,
        coefficient=Coefficient.objects.get(key="repair.kgco2e_per_repair"),
        low=8,
        central=10,
        high=12,
        source_text="Mesure de Rennes Métropole",
        source_url="https://example.org/rennes",
    )
    after = {t: figures(t)[1] for t in before}
    # Rennes: 100 repairs × [8, 10, 12] kg + food 5 × [1.5, 1.5, 1.53] t.
    rennes = after[RENNES]["co2e_avoided_t"]
    assert (rennes["low"], rennes["central"], rennes["high"]) == pytest.approx(
        (0.8 + 7.5, 1.0 + 7.5, 1.2 + 7.65)
    )
    overrides = {c["key"]: c["overrides"] for c in rennes["coefficients"]}
    assert overrides["repair.kgco2e_per_repair"][0]["override"] == RENNES_METROPOLE
    assert overrides["repair.kgco2e_per_repair"][0]["source"] == "Mesure de Rennes Métropole"
    assert overrides["food.kgco2e_per_kg_wasted"] == []
    # Saint-Malo is outside the EPCI: unchanged. So are every other figure and dimension.
    assert after[SAINT_MALO] == before[SAINT_MALO]
    assert after[CESSON] == before[CESSON]
    for territory in before:
        for dimension in before[territory]:
            if dimension != "co2e_avoided_t":
                assert after[territory][dimension] == before[territory][dimension]
    # The département's CO₂e moves by Rennes' change only: 0.1 t → [0.8, 1.0, 1.2] t.
    dep_before, dep_after = before["dep:35"]["co2e_avoided_t"], after["dep:35"]["co2e_avoided_t"]
    assert dep_after["central"] - dep_before["central"] == pytest.approx(0.9)
    assert dep_after["high"] - dep_before["high"] == pytest.approx(1.2 - 2.4)


@pytest.mark.django_db
def test_sensitivity_names_the_coefficients_that_move_a_figure_most(make_initiative):
    make_initiative("repair-cafe", RENNES)  # 216 repairs (default)
    make_initiative("covoiturage", RENNES, reports={"km-carpooled": 10_000})
    _, by_dimension = figures(RENNES)
    co2 = by_dimension["co2e_avoided_t"]
    keys = [move["key"] for move in co2["sensitivity"]]
    # Repair: 216 × (24 − 1) kg = 4.968 t; car emissions: 11 663.55 car-km × 15 g = 0.175 t;
    # the occupancies and shares have a single value: they move nothing.
    assert keys == ["repair.kgco2e_per_repair", "carpool.car_gco2e_per_vkm"]
    assert co2["sensitivity"][0]["swing"] == pytest.approx(216 * 23 / 1000)
    assert co2["sensitivity"][1]["swing"] == pytest.approx(11_663.551 * 15e-6, rel=1e-5)
    assert co2["sensitivity_text"].startswith("Ce qui fait le plus varier ce chiffre")
    assert "CO₂e évité par réparation réussie" in co2["sensitivity_text"]
    waste = by_dimension["waste_avoided_t"]
    assert waste["sensitivity"] == []
    assert "valeur unique" in waste["sensitivity_text"]


SUMS = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
initiatives = st.lists(
    st.tuples(
        st.sampled_from(["repair-cafe", "ressourcerie", "amap", "autopartage", "coworking"]),
        st.sampled_from([RENNES, CESSON, SAINT_MALO]),
        st.sampled_from(["", "association"]),
        st.dictionaries(
            st.sampled_from(["repairs-succeeded", "tonnes-reused", "participants", "paid-fte"]),
            st.integers(min_value=0, max_value=5000),
            max_size=2,
        ),
    ),
    min_size=1,
    max_size=6,
)


@pytest.mark.django_db
@SUMS
@given(inventory=initiatives)
def test_a_territory_equals_the_sum_of_its_communes(make_initiative, inventory):
    with transaction.atomic():
        made = [
            make_initiative(category, commune, carrier=carrier, reports=reports)
            for category, commune, carrier, reports in inventory
        ]
        totals = figures("dep:35")[1]
        communes = [figures(c)[1] for c in (RENNES, CESSON, SAINT_MALO)]
        # The territory reuses the estimate of initiatives alike: the same as one by one.
        one_by_one = [initiative_impacts(i) for i in made]
        for dimension, total in totals.items():
            alone = [r.value for i in one_by_one for r in i.results if r.dimension == dimension]
            expected = sum(v.central for v in alone if v is not None)
            assert total["central"] == pytest.approx(expected)
        for dimension, total in totals.items():
            parts = [c[dimension] for c in communes if dimension in c]
            for end in ("low", "central", "high"):
                assert total[end] == pytest.approx(sum(p[end] for p in parts))
            assert total["reported_initiatives"] == sum(p["reported_initiatives"] for p in parts)
            assert total["estimated_initiatives"] == sum(p["estimated_initiatives"] for p in parts)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_the_command_lists_every_figure_as_json(make_initiative, capsys):
    initiative = make_initiative("repair-cafe", BREST, reports={"repairs-succeeded": 50})
    call_command("impacts", "dep:29", "--json")
    data = json.loads(capsys.readouterr().out)
    figure = next(f for f in data["figures"] if f["indicator"] == "co2e_avoided_t")
    for key in ("unit", "low", "central", "high", "basis", "coefficients"):
        assert key in figure
    assert figure["reported_initiatives"] == 1
    assert figure["estimated_initiatives"] == 0
    assert all(c["source"] for c in figure["coefficients"])
    call_command("impacts", "--initiative", str(initiative.pk))
    single = json.loads(capsys.readouterr().out)
    assert single["initiative"] == initiative.pk
    assert {f["indicator"] for f in single["figures"]} == {"co2e_avoided_t", "waste_avoided_t"}
    call_command("impacts", "--load-coefficients")
    assert json.loads(capsys.readouterr().out)["created"] == 0
