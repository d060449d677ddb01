import json

import pytest
from django.core.management import call_command
from django.utils import translation

from maillage.catalog.models import Category, ExchangeMode, Family
from maillage.catalog.typology import TYPOLOGY_FILE, TypologyError, check_typology, sync_typology
from maillage.catalog.vocabularies import SINGLE_VALUE_ATTRIBUTES


def file_categories() -> dict[str, dict]:
    """category code → its entry in the project's typology file (the one the migration reads)."""
    data = json.loads(TYPOLOGY_FILE.read_text("utf-8"))
    return {c["code"]: c for family in data["families"] for c in family["categories"]}


@pytest.mark.django_db
def test_the_migration_loaded_the_whole_typology():
    assert Family.objects.count() == 7
    # The typology has 34 categories (6 + 8 + 5 + 5 + 4 + 3 + 3).
    assert Category.objects.filter(retired=False).count() == len(file_categories()) == 34
    assert ExchangeMode.objects.count() == 7
    assert list(Family.objects.values_list("code", flat=True)) == [
        "mobilite",
        "biens",
        "alimentation",
        "lieux",
        "finance",
        "services",
        "gouvernance",
    ]
    assert set(Category.objects.values_list("code", flat=True)) == set(file_categories())


@pytest.mark.django_db
def test_the_disputed_hints_of_the_file_are_kept():
    disputed = {c.code for c in Category.objects.all() if any(h["disputed"] for h in c.osm_hints)}
    in_file = {
        code
        for code, entry in file_categories().items()
        if any(hint["disputed"] for hint in entry["osm_hints"])
    }
    assert disputed == in_file
    assert in_file  # some hints are disputed, and some are not
    assert len(in_file) < len(file_categories())
    covoiturage = Category.objects.get(code="covoiturage")
    assert covoiturage.osm_hints == [{"tags": ["amenity=car_pooling"], "disputed": False}]
    assert covoiturage.family_id == "mobilite"


@pytest.mark.django_db
def test_sync_is_idempotent_and_the_command_prints_json(capsys):
    call_command("load-typology")
    summary = json.loads(capsys.readouterr().out)
    assert summary["total"] == {"families": 7, "categories": 34, "exchange_modes": 7}
    for table in ("families", "categories", "exchange_modes"):
        assert summary[table]["created"] == summary[table]["updated"] == 0, summary
    Category.objects.filter(code="amap").update(label_fr="changé à la main")
    again = sync_typology()
    assert again["categories"]["updated"] == 1
    assert Category.objects.get(code="amap").label_fr == "AMAP"


@pytest.mark.django_db
def test_a_category_removed_from_the_file_is_retired_not_deleted(tmp_path):
    data = json.loads(TYPOLOGY_FILE.read_text("utf-8"))
    data["families"][-1]["categories"].pop()  # communs-numeriques
    path = tmp_path / "typology.json"
    path.write_text(json.dumps(data), "utf-8")
    assert sync_typology(path=path)["categories"]["retired"] == 1
    assert Category.objects.get(code="communs-numeriques").retired


def test_the_file_must_agree_with_the_code_vocabularies():
    data = json.loads(TYPOLOGY_FILE.read_text("utf-8"))
    check_typology(data)
    data["attributes"]["status"]["values"].pop()
    with pytest.raises(TypologyError, match="status"):
        check_typology(data)


def test_english_labels_of_the_vocabularies_match_the_file():
    attributes = json.loads(TYPOLOGY_FILE.read_text("utf-8"))["attributes"]
    for name, choices in SINGLE_VALUE_ATTRIBUTES.items():
        expected = [v["label_en"] for v in attributes[name]["values"]]
        with translation.override("en"):
            assert [str(c.label) for c in choices] == expected, name


@pytest.mark.django_db
def test_labels_follow_the_active_language():
    category = Category.objects.select_related("family").get(code="jardin-partage")
    with translation.override("fr"):
        assert str(category) == "Jardins partagés"
        assert category.family.label == "Alimentation et circuits courts"
    with translation.override("en"):
        assert str(category) == "Community gardens"
        assert category.family.label == "Food and short supply chains"
        assert "shared gardens" in category.localized_examples
        assert ExchangeMode.objects.get(code="pret").label == "Loan"
    with translation.override("fr"):
        assert ExchangeMode.objects.get(code="pret").label == "Prêt"
