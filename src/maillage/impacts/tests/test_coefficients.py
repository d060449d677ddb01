"""The coefficient table: seeded from the project file by the migration, loaded again without
losing an administrator's edit, checked (range order, web sources), and resolved from the
nearest territory's override up to the national value."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from maillage.impacts.coefficients import (
    CoefficientFileError,
    CoefficientTable,
    coefficient_for,
    read_coefficients,
    sync_coefficients,
)
from maillage.impacts.formulas import FormulaFileError, parse_formulas
from maillage.impacts.models import Coefficient, CoefficientOverride
from maillage.territories.models import Territory

from .conftest import BREST, CESSON, NANTES, RENNES, RENNES_METROPOLE, SAINT_MALO

KEY = "repair.kgco2e_per_repair"


@pytest.mark.django_db
def test_the_migration_seeded_every_coefficient_of_the_file():
    entries = read_coefficients()["coefficients"]
    assert Coefficient.objects.count() == len(entries) >= 25
    # Written by the migration's historical models: no history record (a load through the
    # real models, as after a flush, would have written one per row).
    assert not Coefficient.history.exists()
    repair = Coefficient.objects.get(key=KEY)
    assert (repair.low, repair.central, repair.high) == (1, 1, 24)
    assert repair.source_url.startswith("https://www.repaircafe.org/")
    assert repair.origin == "file"
    assert Coefficient.objects.get(key="amap.farmer_share").contested
    # A second load writes nothing.
    summary = sync_coefficients()
    assert summary["created"] == summary["updated"] == 0
    assert summary["unchanged"] == len(entries)


@pytest.mark.django_db
def test_an_edited_coefficient_survives_the_next_load_unless_forced():
    from maillage.impacts import services

    repair = Coefficient.objects.get(key=KEY)
    repair.central = 5
    services.save_coefficient(repair, ["central"])
    repair.refresh_from_db()
    assert repair.version == 2
    assert repair.edited_at is not None
    assert repair.history.count() >= 1

    summary = sync_coefficients()
    assert summary["kept_edited"] == [KEY]
    assert Coefficient.objects.get(key=KEY).central == 5

    forced = sync_coefficients(force=True)
    assert forced["updated"] == 1
    back = Coefficient.objects.get(key=KEY)
    assert (back.central, back.version, back.edited_at) == (1, 1, None)


@pytest.mark.django_db
def test_the_admin_edits_a_coefficient_with_history(admin_client):
    repair = Coefficient.objects.get(key=KEY)
    page = admin_client.get(f"/admin/impacts/coefficient/{repair.pk}/change/")
    assert page.status_code == 200
    form = {
        "key": KEY,
        "categories": json.dumps(["repair-cafe"]),
        "practice_fr": repair.practice_fr,
        "quantity_fr": repair.quantity_fr,
        "unit": repair.unit,
        "low": "1",
        "central": "30",  # above the high value: refused
        "high": "24",
        "source_text": repair.source_text,
        "source_url": "ftp://example.org/x",  # not a web address: refused
        "checked_on": "2026-12-03",
        "contested_note": "",
        "note_fr": "",
    }
    refused = admin_client.post(f"/admin/impacts/coefficient/{repair.pk}/change/", form)
    assert refused.status_code == 200
    errors = str(refused.context["adminform"].form.errors)
    assert "valeur centrale" in errors
    assert "source_url" in refused.context["adminform"].form.errors
    form.update(central="6", source_url="https://example.org/mesure-locale")
    done = admin_client.post(f"/admin/impacts/coefficient/{repair.pk}/change/", form)
    assert done.status_code == 302, done.context["adminform"].form.errors
    repair.refresh_from_db()
    assert (repair.central, repair.version) == (6, 2)
    assert repair.edited_at is not None
    assert repair.history.first().central == 6


@pytest.mark.django_db
def test_the_database_refuses_a_disordered_range():
    repair = Coefficient.objects.get(key=KEY)
    with pytest.raises(ValidationError):
        Coefficient(**{**_fields(repair), "key": "test.x", "low": 3, "central": 2}).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Coefficient.objects.filter(pk=repair.pk).update(central=100)


def _fields(obj):
    return {
        f.name: getattr(obj, f.name)
        for f in obj._meta.concrete_fields
        if f.name not in {"id", "edited_at"}
    }


def test_the_file_checks_say_what_is_wrong(tmp_path):
    entry = dict(read_coefficients()["coefficients"][0])
    entry["checked_on"] = entry["checked_on"].isoformat()
    for change, message in (
        ({"low": 30}, "basse ≤ centrale ≤ haute"),
        ({"source_url": "ftp://example.org"}, "http ou https"),
        ({"categories": ["pas-une-categorie"]}, "absentes de la typologie"),
        ({"contested": True, "contested_note": ""}, "dit pourquoi"),
        ({"key": "SansPoint"}, "clé invalide"),
    ):
        document = {"version": "t", "coefficients": [{**entry, **change}]}
        path = tmp_path / "c.json"
        path.write_text(json.dumps(document), "utf-8")
        with pytest.raises(CoefficientFileError, match=message):
            read_coefficients(path)


def test_formulas_are_data_never_code():
    ranges = {"a.b": (1.0, 2.0), "a.zero": (0.0, 1.0)}
    good = {
        "code": "t",
        "label_fr": "t",
        "applies_to": {"categories": ["amap"]},
        "inputs": [{"name": "n", "metric": "participants"}],
        "dimensions": {
            "participants": {"description_fr": "n", "expression": {"input": "n"}},
        },
    }
    assert parse_formulas({"formulas": [good]}, ranges).for_category("amap")
    for broken, message in (
        ({"expression": "n * 2"}, "expression attendue"),
        ({"expression": {"coefficient": "a.zero", "inverse": True}}, "contient zéro"),
        ({"expression": {"coefficient": "inconnu.x"}}, "absent du fichier"),
        ({"expression": {"constant": 2}}, "why_fr"),
        ({"expression": {"input": "plus-tard"}}, "inconnue"),
    ):
        formula = {**good, "dimensions": {"participants": {"description_fr": "n", **broken}}}
        with pytest.raises(FormulaFileError, match=message):
            parse_formulas({"formulas": [formula]}, ranges)
    with pytest.raises(FormulaFileError, match="deux formules"):
        parse_formulas({"formulas": [good, {**good, "code": "u"}]}, ranges)
    with pytest.raises(FormulaFileError, match="dimension « score » inconnue"):
        parse_formulas(
            {"formulas": [{**good, "dimensions": {"score": good["dimensions"]["participants"]}}]},
            ranges,
        )


@pytest.mark.django_db
def test_an_override_applies_to_its_territory_and_everything_below(referential):
    coefficient = Coefficient.objects.get(key=KEY)

    def override(territory_id, central):
        return CoefficientOverride.objects.create(
            territory_id=territory_id,
            coefficient=coefficient,
            low=central,
            central=central,
            high=central,
            source_text=f"mesure {territory_id}",
            source_url="https://example.org/mesure",
        )

    override("reg:53", 2)
    override("dep:35", 3)
    override(RENNES_METROPOLE, 4)
    override(RENNES, 5)
    table = CoefficientTable.load()

    def central(commune_id):
        return coefficient_for(KEY, Territory.objects.get(id=commune_id)).value.central

    assert central(RENNES) == 5  # its own
    assert central(CESSON) == 4  # its EPCI's
    assert central(SAINT_MALO) == 3  # its département's
    assert central(BREST) == 2  # its région's
    assert central(NANTES) == 1  # the national value
    resolved = coefficient_for(KEY, Territory.objects.get(id=CESSON))
    assert resolved.override_territory == RENNES_METROPOLE
    assert resolved.source == f"mesure {RENNES_METROPOLE}"
    # The in-memory table answers the same for a chain of ids.
    assert table.resolve(KEY, (CESSON, RENNES_METROPOLE, "dep:35", "reg:53")).value.central == 4
    assert table.resolve(KEY, ()).override_territory is None


@pytest.mark.django_db
def test_an_override_is_checked_like_a_coefficient(referential):
    coefficient = Coefficient.objects.get(key=KEY)
    national = CoefficientOverride(
        territory_id="fr", coefficient=coefficient, low=1, central=1, high=1, source_text="x"
    )
    with pytest.raises(ValidationError, match="France"):
        national.full_clean()
    disordered = CoefficientOverride(
        territory_id=RENNES, coefficient=coefficient, low=3, central=1, high=4, source_text="x"
    )
    with pytest.raises(ValidationError):
        disordered.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        disordered.save()


def test_checked_on_is_a_date():
    assert all(
        isinstance(e["checked_on"], datetime.date) for e in read_coefficients()["coefficients"]
    )


@pytest.mark.django_db
def test_a_territory_enters_its_own_value_in_the_admin(admin_client, admin_user, referential):
    coefficient = Coefficient.objects.get(key=KEY)
    form = {
        "territory": RENNES_METROPOLE,
        "coefficient": str(coefficient.pk),
        "low": "8",
        "central": "10",
        "high": "12",
        "source_text": "Pesées du repair café de Rennes, 2025",
        "source_url": "example.org/pesees",  # no scheme: https
    }
    done = admin_client.post("/admin/impacts/coefficientoverride/add/", form)
    assert done.status_code == 302, done.context["adminform"].form.errors
    override = CoefficientOverride.objects.get(territory_id=RENNES_METROPOLE)
    assert override.created_by == admin_user
    assert override.source_url == "https://example.org/pesees"
    assert override.history.count() == 1
    refused = admin_client.post(
        "/admin/impacts/coefficientoverride/add/", {**form, "territory": "fr"}
    )
    assert refused.status_code == 200
    assert "modifiez le coefficient lui-même" in str(refused.context["adminform"].form.errors)
