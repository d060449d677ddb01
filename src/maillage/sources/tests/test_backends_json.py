"""The `json` backend on the shapes people export (files written by the tests): a JSON array
of objects, an object holding the array, and data written for a web page in JavaScript."""

import json
from pathlib import Path

import pytest

from maillage.catalog.models import Initiative
from maillage.sources.backends import BackendOptions, get_backend
from maillage.sources.backends.json_records import relaxed_json
from maillage.sources.errors import SourceFileError
from maillage.sources.harvest import ImportRequest, run_import

SPACES = [
    {
        "Espace numérique": "Espace numérique du Blosne",
        "Commune": "Rennes",
        "latitude": 48.0862,
        "longitude": -1.6601,
        "services": ["wifi", "ateliers"],
    },
    {
        "Espace numérique": "Médiathèque de Cleunay",
        "Commune": "Rennes",
        "latitude": 48.1026,
        "longitude": -1.7034,
        "services": [],
    },
]
JAVASCRIPT = """// données de la carte
const espaces = {
  espaces_numeriques: [
    {nom: 'Espace numérique du Blosne', commune: "Rennes", position: {lat: 48.0862, lon: -1.6601},},
    {nom: "L'atelier \\"web\\"", commune: 'Rennes', /* sans position */ },
  ],
};
"""


def _rows(path: Path, **mapping):
    backend = get_backend("json", BackendOptions(mapping=mapping))
    rows = list(backend.rows(path))
    return backend, rows


def test_a_plain_array_of_objects_is_read_like_a_table(tmp_path):
    path = tmp_path / "espaces.json"
    path.write_text(json.dumps(SPACES, ensure_ascii=False), "utf-8")
    backend, rows = _rows(path)
    assert len(rows) == 2
    assert rows[0].data["services"] == "wifi ; ateliers"
    mapping = backend.effective_mapping
    assert mapping is not None
    assert mapping["fields"]["lat"] == "latitude"
    assert mapping["fields"]["lon"] == "longitude"


def test_an_object_holding_the_array_and_a_javascript_export_are_read_with_notes(tmp_path):
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"meta": {"n": 2}, "espaces_numeriques": SPACES}), "utf-8")
    backend, rows = _rows(wrapped)
    assert len(rows) == 2
    assert any("espaces_numeriques" in note for note in backend.notes)

    script = tmp_path / "carte.js"
    script.write_text(JAVASCRIPT, "utf-8")
    backend, rows = _rows(script)
    assert [r.data["nom"] for r in rows] == ["Espace numérique du Blosne", 'L\'atelier "web"']
    assert rows[0].data["position.lat"] == "48.0862"
    notes = " ".join(backend.notes)
    assert "const espaces =" in notes
    assert "virgules finales" in notes
    assert "clés sans guillemets" in notes


def test_relaxed_json_leaves_strings_alone():
    value, notes = relaxed_json("var x = {a: 'b, }', c: \"// pas un commentaire\",};")
    assert value == {"a": "b, }", "c": "// pas un commentaire"}
    assert notes


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"type": "FeatureCollection", "features": []}', "GeoJSON"),
        ('{"a": 1, "b": [1, 2]}', "Aucune liste d'enregistrements"),
        ("const x = [{a: 1}", "ni du JSON"),
    ],
)
def test_what_is_not_a_list_of_records_gets_a_french_answer(tmp_path, content, message):
    path = tmp_path / "x.json"
    path.write_text(content, "utf-8")
    with pytest.raises(SourceFileError, match=message):
        _rows(path)


@pytest.mark.django_db
def test_a_json_list_is_imported_end_to_end_with_the_proposed_mapping(referential, tmp_path):
    path = tmp_path / "espaces.json"
    path.write_text(json.dumps({"espaces_numeriques": SPACES}, ensure_ascii=False), "utf-8")
    job = run_import(
        ImportRequest(backend="json", path=path, source="espaces", category="tiers-lieu")
    )
    assert job.outcomes["new"] == 2
    assert set(Initiative.objects.values_list("commune_id", flat=True)) == {"com:35238"}
    assert job.mapping["records"] == "espaces_numeriques"
