"""The `gogocarto` backend on the real Transiscope extract around Niort (2019).

The extract has no stated licence: it is read from shared/data/raw and never copied here.
"""

import dataclasses
import datetime
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from maillage.sources.backends import get_backend
from maillage.sources.backends.base import BackendOptions
from maillage.sources.backends.gogocarto import MAPPING_FILE, GogocartoBackend, normalise
from maillage.sources.errors import RowRejected, SourceFileError
from maillage.sources.records import Candidate, RawRow

TYPOLOGY = Path(__file__).resolve().parents[2] / "catalog" / "data" / "typology.json"


@pytest.fixture(scope="module")
def niort(raw_data) -> Path:
    return raw_data / "transiscope-niort-2019" / "transiscope_niort_2019.json"


@pytest.fixture(scope="module")
def niort_objects(niort) -> list[dict[str, Any]]:
    return json.loads(niort.read_text(encoding="utf-8"))


def parse_file(path: Path, backend: GogocartoBackend | None = None) -> dict[str, Candidate]:
    backend = backend or GogocartoBackend()
    parsed = {}
    for row in backend.rows(path):
        assert row.remote_id is not None
        parsed[row.remote_id] = backend.parse(row)
    return parsed


@pytest.fixture(scope="module")
def parsed(niort) -> dict[str, Candidate]:
    return parse_file(niort)


def parse_object(item: dict[str, Any], mapping: dict[str, Any] | None = None) -> Candidate:
    backend = GogocartoBackend(BackendOptions(mapping=mapping or {}))
    return backend.parse(RawRow(number=1, remote_id=str(item.get("id")), data=item))


def test_registered_under_gogocarto() -> None:
    assert isinstance(get_backend("gogocarto"), GogocartoBackend)


@pytest.mark.real_data
def test_niort_rows_and_ids(niort, niort_objects) -> None:
    rows = list(GogocartoBackend().rows(niort))
    assert len(rows) == 100
    ids = [row.remote_id for row in rows]
    assert len(set(ids)) == 100
    assert ids == [item["id"] for item in niort_objects]
    assert [row.number for row in rows] == list(range(1, 101))
    assert rows[0].data == niort_objects[0]  # the raw row exactly as received


@pytest.mark.real_data
def test_niort_every_row_parses_with_its_point(parsed, niort_objects) -> None:
    assert len(parsed) == 100
    for item in niort_objects:
        found = parsed[item["id"]]
        assert found.name == item["title"].strip()
        assert (found.lat, found.lon) == (item["location"]["lat"], item["location"]["lon"])


@pytest.mark.real_data
def test_niort_category_decisions(parsed) -> None:
    counts = Counter(c.category for c in parsed.values())
    # Every category of the extract is a broad Transiscope theme (farms, organic shops,
    # schools, builders…): none is mapped. Ten titles name a practice unambiguously.
    assert counts == {"": 90, "amap": 6, "repair-cafe": 2, "ressourcerie": 1, "echange-savoirs": 1}
    for found in parsed.values():
        if found.category:
            assert found.category_rule.startswith("GoGoCarto titre contenant « ")
            assert found.category_rule.endswith(f"→ {found.category}")
        else:
            assert found.category_rule == ""
            assert any("GoGoCarto" in note for note in found.notes)  # why it is à classer
    assert parsed["3rCo"].category_rule == "GoGoCarto titre contenant « RERS » → echange-savoirs"
    # a producer delivering to AMAPs is not an AMAP
    assert parsed["3ne0"].category == ""


@pytest.mark.real_data
def test_mapping_table_documents_every_niort_category(niort_objects) -> None:
    table = json.loads(MAPPING_FILE.read_text(encoding="utf-8"))
    in_file = {normalise(c["name"]) for item in niort_objects for c in item["categories"]}
    seen = {normalise(entry["name"]) for entry in table["categories"] if entry["seen"]}
    assert seen == in_file
    codes = {
        c["code"]
        for family in json.loads(TYPOLOGY.read_text(encoding="utf-8"))["families"]
        for c in family["categories"]
    }
    used = {e["code"] for e in [*table["categories"], *table["title_keywords"]] if e["code"]}
    assert used <= codes


@pytest.mark.real_data
def test_nested_child_category_wins_on_real_rows(niort, niort_objects) -> None:
    mapping = {
        "categories": {
            "Économie Sociale et Solidaire": "cooperative-territoriale",
            "fabriquer reparer zero dechets": "repair-cafe",  # compared without accents/case
        }
    }
    parsed = parse_file(niort, GogocartoBackend(BackendOptions(mapping=mapping)))
    emmaus = parsed["3pa7"]  # ESS (root) > « Fabriquer, réparer, zéro déchets » (child)
    assert emmaus.category == "repair-cafe"
    assert emmaus.category_rule == "GoGoCarto « Fabriquer, réparer, zéro déchets » → repair-cafe"
    assert emmaus.secondary_categories == ["cooperative-territoriale"]
    # the child wins even when listed before its parent
    item = next(i for i in niort_objects if i["id"] == "3pa7")
    reversed_item = {**item, "categories": list(reversed(item["categories"]))}
    assert parse_object(reversed_item, mapping).category == "repair-cafe"
    # a root category alone decides when nothing more specific is mapped
    assert parsed["3rCo"].category == "cooperative-territoriale"


def test_deeper_category_beats_a_later_shallower_one() -> None:
    item = {
        "id": "x1",
        "title": "Lieu",
        "categories": [
            {"id": 1, "name": "Racine"},
            {"id": 2, "name": "Enfant", "parent": "1"},
            {"id": 3, "name": "Petit-enfant", "parent": "2"},
            {"id": 4, "name": "Autre racine"},
        ],
    }
    mapping = {
        "categories": {"Enfant": "troc", "Petit-enfant": "don-objets", "Autre racine": "amap"}
    }
    found = parse_object(item, mapping)
    assert found.category == "don-objets"
    assert found.secondary_categories == ["troc", "amap"]


@pytest.mark.real_data
def test_mapping_override_extends_and_switches_off(niort) -> None:
    mapping = {
        "categories": {"AGRICULTURE ET ALIMENTATION": "circuit-court-plateforme"},
        "title_keywords": {"Repair café": "", "Emmaus": None},
    }
    parsed = parse_file(niort, GogocartoBackend(BackendOptions(mapping=mapping)))
    counts = Counter(c.category for c in parsed.values())
    assert counts["circuit-court-plateforme"] == 51
    # a mapped category decides before title words: the six AMAP sit in that category
    assert counts["amap"] == 0
    assert counts["repair-cafe"] == 0
    assert counts["ressourcerie"] == 0
    decided = parsed["3oEt"]
    assert decided.category_rule == (
        "GoGoCarto « Agriculture et alimentation » → circuit-court-plateforme"
    )


@pytest.mark.real_data
def test_missing_postcodes_are_tolerated(parsed, niort_objects) -> None:
    without = [i["id"] for i in niort_objects if not i["address"]["postalCode"]]
    assert len(without) == 7
    read_from_street = {
        k: (parsed[k].postcode, parsed[k].city) for k in without if parsed[k].postcode
    }
    assert read_from_street == {"3rSd": ("17290", "LANDRAIS"), "3rCo": ("85200", "AUZAY")}
    assert parsed["3rSd"].address == "Place de la mairie"
    assert "code postal lu dans la rue : 17290 LANDRAIS" in parsed["3rSd"].notes
    assert parsed["3qg4"].postcode == ""  # « 13 rue de la Cure Benet »: left to the locator


@pytest.mark.real_data
def test_organisation_contacts(parsed, niort_objects) -> None:
    for item in niort_objects:
        found = parsed[item["id"]]
        assert found.contact_email == item.get("email", "").strip()
        assert found.contact_phone == item.get("telephone", "").strip()
    assert sum(1 for c in parsed.values() if c.contact_email) == 9


@pytest.mark.real_data
def test_other_fields(parsed) -> None:
    farm = parsed["3oEt"]
    assert (farm.address, farm.postcode, farm.city) == ("7 rue des Fleurs", "86470", "Benassay")
    assert farm.extra["fiche"] == "https://presdecheznous.fr/annuaire#/fiche/id/BBQ"
    shop = parsed["3paH"]
    assert shop.description.startswith("Un magasin libre-service de produits bio.\n\nÉpicerie")
    assert shop.extra["engagement"] == "La diffusion et la promotion de l'agriculture biologique."
    assert any("sans catégorie" in note for note in shop.notes)


@pytest.mark.real_data
def test_data_wrapper_is_accepted(tmp_path, niort, niort_objects) -> None:
    wrapped = tmp_path / "api.json"
    wrapped.write_text(json.dumps({"licence": "?", "ontology": "gogofull", "data": niort_objects}))
    from_list = parse_file(niort)
    from_wrapper = parse_file(wrapped)
    assert from_wrapper.keys() == from_list.keys()
    assert all(
        dataclasses.asdict(from_wrapper[key]) == dataclasses.asdict(from_list[key])
        for key in from_list
    )


def test_gogocarto_api_shape() -> None:
    item = {
        "id": "10kw",
        "name": "Repair café de Chenay",
        "geo": {"latitude": 46.3252, "longitude": -0.0339},
        "address": {
            "streetAddress": "5 rue de l'Exemple",
            "addressLocality": "Chenay",
            "postalCode": "79120",
            "addressCountry": "FR",
        },
        "categories": ["Fabriquer, réparer, zéro déchets", "Repair café"],
        "email": "hidden",
        "telephone": "05 49 00 00 00",
        "updatedAt": "2019-02-13T10:22:01+01:00",
    }
    found = parse_object(item)
    assert (found.name, found.lat, found.lon) == ("Repair café de Chenay", 46.3252, -0.0339)
    assert (found.address, found.postcode, found.city) == ("5 rue de l'Exemple", "79120", "Chenay")
    assert found.category == "repair-cafe"
    assert found.category_rule == "GoGoCarto « Repair café » → repair-cafe"
    assert found.contact_email == ""  # "hidden" is not an address
    assert found.source_updated_on == datetime.date(2019, 2, 13)


def test_row_without_coordinates_or_object() -> None:
    found = parse_object({"id": "a", "title": "Sans point", "categories": []})
    assert (found.lat, found.lon) == (None, None)
    assert any("sans coordonnées" in note for note in found.notes)
    with pytest.raises(RowRejected, match="pas un objet JSON"):
        GogocartoBackend().parse(RawRow(number=1, remote_id=None, data={"valeur": 3}))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "vide"),
        (b"\x00\x01\x02", "binaire"),
        ("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "HTML"),
        ("titre;adresse\nA;B\n", "JSON invalide"),
        ('[{"id": "1", "title": "coupé"', "tronqué"),
        ('{"elements": []}', "liste « data »"),
        ('[{"nom": "Sans id", "lat": 1}]', "aucun objet"),
    ],
)
def test_bad_files_fail_the_job(tmp_path, content, message) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    with pytest.raises(SourceFileError, match=message) as raised:
        list(GogocartoBackend().rows(path))
    assert raised.value.code == "source-file-invalid"


@pytest.mark.real_data
def test_category_option_forces_every_row(niort) -> None:
    parsed = parse_file(niort, GogocartoBackend(BackendOptions(category="amap")))
    assert {c.category for c in parsed.values()} == {"amap"}
    assert {c.category_rule for c in parsed.values()} == {
        "catégorie imposée à l'import (--category amap)"
    }


@pytest.mark.real_data
def test_notes_read_kind_colon_detail(parsed) -> None:
    """The job summary counts notes by the words before « : »."""
    kinds = Counter(note.partition(" : ")[0] for c in parsed.values() for note in c.notes)
    assert all("«" not in kind for kind in kinds)
    assert kinds == {
        "catégories GoGoCarto sans correspondance": 84,
        "sans catégorie GoGoCarto": 16,
        "code postal lu dans la rue": 2,
    }
