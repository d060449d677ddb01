"""The mapping table NAF → typology: the project file, its load into the database, the choice
of the most specific rule, edits in the administration (kept, and the figures follow)."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from maillage.registers import mapping, naf
from maillage.registers.models import MappingLoad, NafRule, RegisterSeries
from maillage.registers.services import sync_mapping

from .files import PERIODS_HEADER, import_periods, write_csv


def _file_rules() -> list[dict]:
    return json.loads(mapping.MAPPING_FILE.read_text("utf-8"))["rules"]


def test_every_rule_of_the_project_file_says_why_and_names_a_typology_category():
    data = mapping.read_mapping()
    assert data["version"]
    assert len(data["rules"]) >= 20
    for rule in data["rules"]:
        assert len(rule["rationale_fr"]) > 40, rule
        assert rule["rationale_en"], rule
    categories = {r["category_id"] for r in data["rules"]} - {None}
    # The examples the issue names are there.
    assert {"repair-cafe", "location-pret-objets", "autopartage", "hebergement-entre-particuliers",
            "travail-plateforme", "cooperative-territoriale"} <= categories  # fmt: skip


@pytest.mark.real_data
def test_every_code_and_legal_form_of_the_table_exists_in_the_insee_lists(raw_data):
    """Read from the INSEE lists at test time (never copied into the project): a full NAF
    rév. 2 code of the table is one of the 732 sub-classes, a prefix covers at least one of
    them, a legal form prefix starts at least one of the 260 legal categories."""
    folder = raw_data / "insee-nomenclatures-naf-cj"
    with (folder / "naf2008_liste_n5.csv").open(encoding="utf-8", newline="") as handle:
        naf_codes = {row["code"] for row in csv.DictReader(handle)}
    with (folder / "categories_juridiques_n3.csv").open(encoding="utf-8", newline="") as handle:
        legal_forms = {row["code"] for row in csv.DictReader(handle)}
    assert len(naf_codes) == 732
    assert len(legal_forms) == 260
    for rule in mapping.read_mapping()["rules"]:
        if rule["nomenclature"] == naf.NAF_REV2 and rule["naf"]:
            if len(rule["naf"]) == 6:
                assert rule["naf"] in naf_codes, rule["naf"]
            else:
                assert any(code.startswith(rule["naf"]) for code in naf_codes), rule["naf"]
        for form in rule["legal_forms"]:
            assert any(code.startswith(form) for code in legal_forms), form


def test_the_most_specific_rule_wins():
    classifier = mapping.Classifier(
        [
            mapping.Rule("95.2", naf.NAF_REV2, (), "", "repair-cafe"),
            mapping.Rule("95.29Z", naf.NAF_REV2, (), "", None),
            mapping.Rule("95.2", naf.NAF_REV2, ("92",), "", "ressourcerie"),
            mapping.Rule("", naf.NAF_REV2, ("5560",), "O", "cooperative-territoriale"),
            mapping.Rule("47.11", naf.NAF_REV2, (), "O", "supermarche-cooperatif"),
            mapping.Rule("47.11", naf.NAF_REV2, ("92",), "", "amap"),
        ]
    )

    def category(code: str, form: str = "", ess: str = "") -> str | None:
        rule = classifier.match(code, naf.nomenclature_of(code), form, ess)
        return rule.category if rule else "none"

    assert category("95.21Z") == "repair-cafe"
    assert category("95.29Z") is None  # the full code's rule beats its group's
    assert category("95.21Z", "9220") == "ressourcerie"  # a rule on the legal form first
    assert category("95.29Z", "9220") is None  # but the longer code still wins
    assert category("62.01Z", "5560", "O") == "cooperative-territoriale"
    assert category("62.01Z", "5560", "N") == "none"
    assert category("47.11C", "9220", "O") == "amap"  # legal form before ESS flag
    assert category("47.11C", "5710", "O") == "supermarche-cooperatif"
    assert category("47.11C", "5710", "N") == "none"
    # Rules are per nomenclature: an old « 95.2… » code is not NAF rév. 2's repair.
    assert classifier.match("52.7A", naf.NAF_OLD) is None


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"naf": "95.2", "category": "nope", "rationale_fr": "x"}, "absente de la typologie"),
        ({"naf": "95.2", "category": "repair-cafe", "rationale_fr": ""}, "dit sa raison"),
        ({"naf": "abc", "category": None, "rationale_fr": "x"}, "illisible"),
        ({"naf": "52.7A", "category": None, "rationale_fr": "x"}, "n'a pas la forme"),
        ({"naf": "", "category": None, "rationale_fr": "x"}, "porte sur un code"),
        (
            {"naf": "95", "legal_forms": ["9a"], "category": None, "rationale_fr": "x"},
            "1 à 4 chiffres",
        ),
        ({"naf": "95", "ess": "X", "category": None, "rationale_fr": "x"}, "« O », « N »"),
        ({"naf": "95", "nomenclature": "NACE", "category": None, "rationale_fr": "x"}, "inconnue"),
    ],
)
def test_a_wrong_rule_is_refused_with_its_reason(tmp_path: Path, rule, message):
    path = tmp_path / "table.json"
    path.write_text(json.dumps({"version": "t", "rules": [rule]}), "utf-8")
    with pytest.raises(mapping.MappingError, match=message):
        mapping.read_mapping(path)


def test_two_rules_with_the_same_key_are_refused(tmp_path: Path):
    rule = {"naf": "95.2", "category": "repair-cafe", "rationale_fr": "raison"}
    path = tmp_path / "table.json"
    path.write_text(json.dumps({"version": "t", "rules": [rule, rule]}), "utf-8")
    with pytest.raises(mapping.MappingError, match="règles n° 1 et 2"):
        mapping.read_mapping(path)


@pytest.mark.django_db
def test_the_migration_loaded_the_file_and_loading_again_writes_nothing():
    assert NafRule.objects.count() == len(_file_rules())
    assert NafRule.objects.filter(origin="file", edited_at__isnull=True).count() == len(
        _file_rules()
    )
    loads = MappingLoad.objects.count()
    again = sync_mapping()
    assert again["changed"] is False
    assert (again["created"], again["updated"], again["removed"]) == (0, 0, 0)
    assert MappingLoad.objects.count() == loads


@pytest.mark.django_db
def test_a_rule_edited_in_the_admin_is_kept_by_the_next_load_and_the_figures_follow(
    admin_client, tmp_path
):
    # Rennes: a repair business created in 2019, under 95.29Z (mapped to repair-cafe).
    path = write_csv(
        tmp_path / "p.csv",
        PERIODS_HEADER,
        [["11111111100011", "2019-03-01", "", "A", "95.29Z", "35238", "RENNES", "NN"]],
    )
    import_periods(path, vintage="2024-12-31")

    def rennes_scopes() -> set[str]:
        return set(
            RegisterSeries.objects.filter(territory_id="com:35238").values_list("scope", flat=True)
        )

    assert "cat:repair-cafe" in rennes_scopes()
    rule = NafRule.objects.get(naf="95.2", nomenclature="NAFRev2", legal_forms=[])
    answer = admin_client.post(
        f"/admin/registers/nafrule/{rule.pk}/change/",
        {
            "naf": "95.2", "nomenclature": "NAFRev2", "legal_forms": "[]", "ess": "",
            "category": "location-pret-objets", "activity": rule.activity,
            "rationale_fr": "Raison changée par l'équipe pour l'essai.", "rationale_en": "",
        },
    )  # fmt: skip
    assert answer.status_code == 302, answer.content.decode()[:2000]
    rule.refresh_from_db()
    assert rule.edited_at is not None
    latest = rule.history.order_by("-history_date").first()  # the change is in its history
    assert latest is not None
    assert latest.category_id == "location-pret-objets"
    # The series were rebuilt at once: the establishment now counts in the new category.
    assert "cat:location-pret-objets" in rennes_scopes()
    assert "cat:repair-cafe" not in rennes_scopes()
    # Loading the project file again keeps the edit and says so; --force puts it back.
    kept = sync_mapping()
    assert any("95.2" in text for text in kept["kept_edited"])
    assert NafRule.objects.get(pk=rule.pk).category_id == "location-pret-objets"
    forced = sync_mapping(force=True)
    assert forced["updated"] == 1
    assert forced["series_rebuilt"] > 0
    assert NafRule.objects.get(pk=rule.pk).category_id == "repair-cafe"
    assert "cat:repair-cafe" in rennes_scopes()


@pytest.mark.django_db
def test_the_admin_refuses_a_rule_that_breaks_the_schema(admin_client):
    answer = admin_client.post(
        "/admin/registers/nafrule/add/",
        {
            "naf": "52.7A", "nomenclature": "NAFRev2", "legal_forms": "[]", "ess": "",
            "category": "", "activity": "", "rationale_fr": "essai", "rationale_en": "",
        },
    )  # fmt: skip
    assert answer.status_code == 200
    assert "n&#x27;a pas la forme de la nomenclature" in answer.content.decode()
    assert not NafRule.objects.filter(naf="52.7A", nomenclature="NAFRev2").exists()


@pytest.mark.django_db
def test_the_table_exports_in_the_file_schema_and_loads_back(tmp_path):
    out = io.StringIO()
    call_command("registers", "mapping", "--export", str(tmp_path / "t.json"), stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["export"]["rules"] == NafRule.objects.count()
    exported = mapping.read_mapping(tmp_path / "t.json")
    assert {(r["naf"], r["nomenclature"], r["category_id"]) for r in exported["rules"]} == {
        (r["naf"], r.get("nomenclature", "NAFRev2"), r["category"]) for r in _file_rules()
    }


@pytest.mark.django_db
def test_a_broken_table_file_is_a_clear_error(tmp_path):
    (tmp_path / "bad.json").write_text("{", "utf-8")
    with pytest.raises(CommandError, match="JSON invalide") as error:
        call_command("registers", "mapping", "--load", str(tmp_path / "bad.json"))
    assert error.value.returncode == 2


@pytest.mark.django_db
def test_the_admin_pages_of_the_registers_open(admin_client, tmp_path):
    path = write_csv(
        tmp_path / "p.csv",
        PERIODS_HEADER,
        [["11111111100011", "2019-03-01", "", "A", "95.29Z", "35238", "RENNES", "NN"]],
    )
    run_id = import_periods(path, vintage="2024-12-31")["id"]
    rule = NafRule.objects.first()
    for url in (
        "/admin/registers/nafrule/",
        f"/admin/registers/nafrule/{rule.pk}/change/",
        f"/admin/registers/nafrule/{rule.pk}/history/",
        "/admin/registers/registerimport/",
        f"/admin/registers/registerimport/{run_id}/change/",
        "/admin/registers/mappingload/",
    ):
        assert admin_client.get(url).status_code == 200, url
