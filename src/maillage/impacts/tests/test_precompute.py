"""Stored impacts: computed for every territory in one pass, equal to the per-territory
computation, refreshed with the indicators, read without computing."""

import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from maillage.impacts import precompute, selectors
from maillage.impacts.compute import territory_impacts
from maillage.impacts.models import CoefficientOverride, ImpactRun, TerritoryImpactFigures
from maillage.indicators.models import DataChange
from maillage.territories.models import Territory

from .conftest import BREST, CESSON, RENNES, RENNES_METROPOLE, SAINT_MALO


def _close(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        return all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert len(a) == len(b)
        return all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-9)
        return True
    assert a == b
    return True


@pytest.fixture
def inventory(make_initiative):
    make_initiative("repair-cafe", RENNES, reports={"repairs-succeeded": 300})
    make_initiative("repair-cafe", CESSON)
    make_initiative("repair-cafe", CESSON)
    make_initiative("covoiturage", SAINT_MALO, reports={"km-carpooled": 10_000})
    make_initiative("anti-gaspillage", BREST, reports={"tonnes-reused": 4})
    make_initiative("coworking", RENNES, reports={"participants": 80})


@pytest.mark.django_db
def test_every_territory_with_an_initiative_is_stored_as_computed_alone(inventory):
    run = precompute.recompute()
    stored = dict(TerritoryImpactFigures.objects.values_list("territory_id", "document"))
    assert {RENNES, CESSON, SAINT_MALO, BREST, RENNES_METROPOLE, "dep:35", "dep:29"} <= set(stored)
    assert {"fr", "reg:53"} <= set(stored)
    assert run.initiatives == 6 == stored["fr"]["initiatives"]
    assert run.territories == len(stored)
    for territory_id in (RENNES, CESSON, RENNES_METROPOLE, "dep:35", "reg:53", "fr"):
        alone = territory_impacts(Territory.objects.get(id=territory_id)).as_dict()
        _close(stored[territory_id], alone)
    # The coworking has no sourced formula: said, never numbered.
    assert stored[RENNES]["categories_without_basis"] == [
        {
            "category": "coworking",
            "initiatives": 1,
            "message": "impact non estimé : pas de référence sourcée",
        }
    ]


@pytest.mark.django_db
def test_an_override_is_in_the_stored_figures_below_it(inventory):
    from maillage.impacts.models import Coefficient

    coefficient = Coefficient.objects.get(key="repair.kgco2e_per_repair")
    CoefficientOverride.objects.create(
        territory_id=RENNES_METROPOLE,
        coefficient=coefficient,
        low=5,
        central=6,
        high=7,
        source_text="Mesure locale",
    )
    precompute.recompute()
    stored = dict(TerritoryImpactFigures.objects.values_list("territory_id", "document"))
    for territory_id in (CESSON, "dep:35", "fr"):
        alone = territory_impacts(Territory.objects.get(id=territory_id)).as_dict()
        _close(stored[territory_id], alone)


@pytest.mark.django_db
def test_an_indicators_refresh_recomputes_the_impacts(inventory):
    from maillage.indicators import services

    assert not ImpactRun.objects.exists()
    services.recompute()
    assert ImpactRun.objects.count() == 1
    assert TerritoryImpactFigures.objects.filter(territory_id="fr").exists()


@pytest.mark.django_db
def test_reads_say_when_the_inventory_changed_since(inventory):
    territory = Territory.objects.get(id="dep:35")
    with pytest.raises(selectors.ImpactsNotComputed):
        selectors.stored_impacts(territory)
    precompute.recompute()
    assert selectors.stored_impacts(territory)["stale"] is False
    DataChange.objects.update_or_create(pk=1, defaults={"changed_at": timezone.now()})
    document = selectors.stored_impacts(territory)
    assert document["stale"] is True
    assert document["figures"]  # still served


@pytest.mark.django_db
def test_a_territory_without_initiatives_reads_empty(inventory):
    precompute.recompute()
    document = selectors.stored_impacts(Territory.objects.get(id="dep:44"))
    assert (document["initiatives"], document["figures"]) == (0, [])


@pytest.mark.django_db
def test_the_command_recomputes(inventory, capsys):
    call_command("impacts", "--recompute")
    out = json.loads(capsys.readouterr().out)
    assert out["initiatives"] == 6
    assert out["territories"] == TerritoryImpactFigures.objects.count()


@pytest.mark.django_db
def test_a_coefficient_or_local_value_change_makes_the_stored_impacts_stale(inventory):
    from maillage.impacts import services
    from maillage.impacts.models import Coefficient

    territory = Territory.objects.get(id="dep:35")
    precompute.recompute()
    coefficient = Coefficient.objects.get(key="repair.kgco2e_per_repair")
    coefficient.central = coefficient.low
    services.save_coefficient(coefficient, ["central"])
    assert selectors.stored_impacts(territory)["stale"] is True
    precompute.recompute()
    override = services.save_override(
        CoefficientOverride(
            territory_id=RENNES_METROPOLE,
            coefficient=coefficient,
            low=5,
            central=6,
            high=7,
            source_text="Mesure locale",
        )
    )
    assert selectors.stored_impacts(territory)["stale"] is True
    precompute.recompute()
    services.delete_overrides([override])
    assert selectors.stored_impacts(territory)["stale"] is True


@pytest.mark.django_db
def test_a_missing_coefficient_leaves_out_its_formula_and_nothing_else(inventory):
    from maillage.impacts.models import Coefficient

    Coefficient.objects.filter(key="repair.successful_repairs_per_session").delete()
    precompute.recompute()  # an indicators refresh must never fail on it
    stored = dict(TerritoryImpactFigures.objects.values_list("territory_id", "document"))
    # Cesson's repair cafés needed that coefficient for their default: no figure from them.
    assert stored[CESSON]["figures"] == []
    # Saint-Malo's carpooling and Brest's anti-waste do not use it: still computed.
    assert {f["indicator"] for f in stored[SAINT_MALO]["figures"]} >= {"co2e_avoided_t"}
    assert {f["indicator"] for f in stored[BREST]["figures"]} >= {"waste_avoided_t"}
