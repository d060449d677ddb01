import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from maillage.catalog.models import Category, ExchangeMode, Family
from maillage.catalog.typology import TYPOLOGY_FILE, TypologyError, check_typology, sync_typology
from maillage.catalog.vocabularies import SINGLE_VALUE_ATTRIBUTES

DESIGN_TYPOLOGY = Path(__file__).resolve().parents[5] / "shared" / "design" / "typology.md"


def design_rows() -> dict[str, str]:
    """category code → its table row in the design document typology.md."""
    if not DESIGN_TYPOLOGY.is_file():
        pytest.fail(f"Design document not found: {DESIGN_TYPOLOGY}")
    rows = {}
    for line in DESIGN_TYPOLOGY.read_text("utf-8").splitlines():
        match = re.match(r"^\|[^|]*\| `([a-z-]+)` \|", line)
        if match:
            rows[match.group(1)] = line
    return rows


@pytest.mark.django_db
def test_the_migration_loaded_the_whole_typology():
    assert Family.objects.count() == 7
    # typology.md lists 34 categories (6 + 8 + 5 + 5 + 4 + 3 + 3).
    assert Category.objects.filter(retired=False).count() == 34
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
    assert set(Category.objects.values_list("code", flat=True)) == set(design_rows())


@pytest.mark.django_db
def test_hints_marked_with_a_question_mark_are_disputed():
    disputed = {c.code for c in Category.objects.all() if any(h["disputed"] for h in c.osm_hints)}
    assert disputed == {code for code, row in design_rows().items() if "(?)" in row}
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
