"""One hand-computed case per formula, with the figures of design/impacts.md (the
computation is written out in each test, so a reader can check it without the code)."""

import pytest

from maillage.impacts.compute import InitiativeImpact, Place, estimate
from maillage.impacts.engine import ESTIMATED, REPORTED, Report
from maillage.impacts.formulas import project_formulas

from .conftest import RENNES


def impact_of(table, category, reports=None, carrier=""):
    place = Place(1, "test", category, carrier, (RENNES,))
    reported = {metric: Report(value, 2025) for metric, value in (reports or {}).items()}
    return estimate(place, reported, table, project_formulas())


def figure(impact: InitiativeImpact, dimension: str):
    return next(r for r in impact.results if r.dimension == dimension)


def assert_range(result, low, central, high):
    assert result.value is not None, result.missing_text()
    assert result.value.low == pytest.approx(low)
    assert result.value.central == pytest.approx(central)
    assert result.value.high == pytest.approx(high)


def test_carpooling_reported_km(table):
    # 10 000 km driven by carpooling cars. Passengers per car: 2.56 − 1 = 1.56 (the driver
    # would have driven anyway); 80 % of them would have driven, in cars carrying 1.07:
    # 1.56 × 0.8 ÷ 1.07 = 1.16636 car-km avoided per carpooled km → 11 663.55 car-km.
    # × 185 / 192.5 / 200 gCO₂e → 2 157 757 / 2 245 234 / 2 332 710 g = 2.1578 / 2.2452 / 2.3327 t
    impact = impact_of(table, "covoiturage", {"km-carpooled": 10_000})
    co2 = figure(impact, "co2e_avoided_t")
    assert_range(co2, 2.157757, 2.245234, 2.332710)
    assert co2.basis == REPORTED
    assert {c.key for c in co2.coefficients} == {
        "carpool.occupancy_carpool",
        "carpool.share_would_drive_alone",
        "carpool.occupancy_solo",
        "carpool.car_gco2e_per_vkm",
    }
    # No sourced default for the km of a carpooling place: without a report, no number.
    unreported = figure(impact_of(table, "covoiturage"), "co2e_avoided_t")
    assert unreported.value is None
    assert "donnée d'activité manquante" in unreported.missing_text()


def test_car_sharing_default_one_car(table):
    # No report: at least one shared car (convention) × 5 cars replaced (up to 10) → 5 / 5 / 10.
    cars = figure(impact_of(table, "autopartage"), "cars_avoided")
    assert_range(cars, 5, 5, 10)
    assert cars.basis == ESTIMATED
    assert cars.inputs[0].origin == "default"


def test_repair_cafe_default_and_reported(table):
    # Default: 18 successful repairs per session × 12 monthly sessions = 216 repairs.
    # CO₂e: 216 × 1 kg (TNO, central too) … 216 × 24 kg (Privett) = 0.216 / 0.216 / 5.184 t.
    # Waste: 216 × 1 kg per item = 0.216 t.
    impact = impact_of(table, "repair-cafe")
    assert_range(figure(impact, "co2e_avoided_t"), 0.216, 0.216, 5.184)
    assert_range(figure(impact, "waste_avoided_t"), 0.216, 0.216, 0.216)
    assert figure(impact, "co2e_avoided_t").basis == ESTIMATED
    # Reported: 300 repairs → 0.3 / 0.3 / 7.2 t CO₂e, 0.3 t of waste, from the report.
    reported = impact_of(table, "repair-cafe", {"repairs-succeeded": 300})
    co2 = figure(reported, "co2e_avoided_t")
    assert_range(co2, 0.3, 0.3, 7.2)
    assert co2.basis == REPORTED


def test_ressourcerie_jobs_from_tonnes(table):
    # 120 t reused: 120 t of waste avoided (reported); jobs not reported:
    # 120 t × 850 jobs / 10 000 t = 10.2 FTE (estimated from the reported tonnage).
    impact = impact_of(table, "ressourcerie", {"tonnes-reused": 120})
    waste = figure(impact, "waste_avoided_t")
    assert_range(waste, 120, 120, 120)
    assert waste.basis == REPORTED
    jobs = figure(impact, "jobs_fte")
    assert_range(jobs, 10.2, 10.2, 10.2)
    assert jobs.basis == ESTIMATED
    assert [c.key for c in jobs.coefficients] == ["reuse.jobs_per_tonne"]
    # Jobs reported: 14 FTE, as reported.
    declared = figure(
        impact_of(table, "ressourcerie", {"tonnes-reused": 120, "paid-fte": 14}), "jobs_fte"
    )
    assert_range(declared, 14, 14, 14)
    assert declared.basis == REPORTED
    assert declared.coefficients == []


def test_food_anti_waste(table):
    # 40 t of food saved: 40 t of waste; × 1.5 (central and low) … 1.53 (15.3 Mt / 10 Mt)
    # tCO₂e per t → 60 / 60 / 61.2 tCO₂e.
    impact = impact_of(table, "anti-gaspillage", {"tonnes-reused": 40})
    assert_range(figure(impact, "waste_avoided_t"), 40, 40, 40)
    assert_range(figure(impact, "co2e_avoided_t"), 60, 60, 61.2)


def test_amap_local_benefit(table):
    # 50 families × 500 / 650 / 800 € a year × 100 % to the farmer = 25 000 / 32 500 / 40 000 €.
    impact = impact_of(table, "amap", {"participants": 50})
    benefit = figure(impact, "local_benefit_eur")
    assert_range(benefit, 25_000, 32_500, 40_000)
    assert benefit.basis == REPORTED  # the input is reported; the range is the coefficients'
    assert any(c.contested for c in benefit.coefficients)  # amap.farmer_share is CONTESTED
    assert_range(figure(impact, "participants"), 50, 50, 50)


@pytest.mark.parametrize("category", ["tiers-lieu", "fablab"])
def test_third_places_jobs_and_users(table, category):
    # As reported: 300 users, 4 FTE; nothing reported → no number (no sourced default).
    impact = impact_of(table, category, {"participants": 300, "paid-fte": 4})
    assert_range(figure(impact, "participants"), 300, 300, 300)
    assert_range(figure(impact, "jobs_fte"), 4, 4, 4)
    empty = impact_of(table, category)
    assert all(r.value is None for r in empty.results)


def test_associations_volunteering(table):
    # No report: 1.425 M FTE / 1.5 M associations = 0.95 FTE, i.e. 0.95 × 1 607 h ÷ 1 607 h.
    default = figure(impact_of(table, None, carrier="association"), "volunteer_fte")
    assert_range(default, 0.95, 0.95, 0.95)
    assert default.basis == ESTIMATED
    # Reported: 3 214 h ÷ 1 607 h = 2 FTE.
    reported = figure(
        impact_of(table, None, {"volunteer-hours": 3214}, carrier="association"), "volunteer_fte"
    )
    assert_range(reported, 2, 2, 2)
    assert reported.basis == REPORTED


def test_an_association_repair_cafe_gets_both_formulas(table):
    impact = impact_of(table, "repair-cafe", carrier="association")
    assert [f.code for f in impact.formulas] == ["repair-cafe", "benevolat-associatif"]
    assert {r.dimension for r in impact.results} >= {"co2e_avoided_t", "volunteer_fte"}


def test_a_missing_input_says_which_data_would_allow_the_figure(table):
    # Nothing reported by a ressourcerie: no tonnage, so no waste figure and no jobs either
    # (their default needs the tonnage): the reason names both inputs, and there is no number.
    impact = impact_of(table, "ressourcerie")
    jobs = figure(impact, "jobs_fte")
    assert jobs.value is None
    assert jobs.basis is None
    assert jobs.coefficients == []
    assert jobs.missing_text() == (
        "impact non estimé : donnée d'activité manquante "
        "(emplois salariés, tonnes réemployées dans l'année)"
    )
