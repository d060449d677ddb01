"""`geojson` backend on real files (Toulouse shared gardens, #MapLabBZH) and bad inputs."""

import json
from collections import Counter
from pathlib import Path

import pytest
from shapely.geometry import Point, shape

from maillage.sources.backends import BackendOptions, get_backend
from maillage.sources.errors import SourceFileError

GARDENS = "jardins-partages-toulouse/jardins-partages.geojson"
BZH = "fablabs-tiers-lieux-bretagne/map_bzh_fablab.geojson"
# A C-shaped park: its centroid falls outside the surface.
C_SHAPE = {
    "type": "Polygon",
    "coordinates": [
        [
            [1.40, 43.60],
            [1.44, 43.60],
            [1.44, 43.61],
            [1.41, 43.61],
            [1.41, 43.63],
            [1.44, 43.63],
            [1.44, 43.64],
            [1.40, 43.64],
            [1.40, 43.60],
        ]
    ],
}


def parse_file(path: Path, **options):
    backend = get_backend("geojson", BackendOptions(**options))
    rows = list(backend.rows(path))
    return backend, rows, [backend.parse(row) for row in rows]


def collection(tmp_path: Path, *features: dict) -> Path:
    path = tmp_path / "file.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}))
    return path


def feature(geometry, properties=None, **top) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties or {}, **top}


@pytest.mark.real_data
def test_shared_gardens_with_category(raw_data):
    backend, rows, candidates = parse_file(raw_data / GARDENS, category="jardin-partage")
    assert len(rows) == 12
    assert len({row.remote_id for row in rows}) == 12
    assert rows[0].remote_id == "3"
    assert rows[0].data["properties"]["slogan"] == "Le jardin des 5 sens"  # kept as received
    assert Counter(c.category for c in candidates) == {"jardin-partage": 12}
    assert candidates[0].category_rule == "catégorie imposée à l'import (--category jardin-partage)"
    first = candidates[0]
    assert first.name == "Le p'tit paradis de Naudin (Cité Madrid)"
    assert (first.address, first.postcode, first.city) == (
        "2 RUE DE L ABBE NAUDIN",
        "31200",
        "TOULOUSE",
    )
    assert (first.lon, first.lat) == (1.408531201426345, 43.61293065618698)
    # E-mails cut by "\r\n" in the export are joined again, with a note.
    monlong = candidates[[r.remote_id for r in rows].index("2b")]
    assert monlong.contact_email == "csocial-belfon@mairietoulouse.fr"
    assert monlong.notes == ["e-mail corrigé : espaces et sauts de ligne retirés"]
    # Without a mapping, the proposed one is exposed for the user to save.
    assert backend.effective_mapping["fields"]["name"] == "nom"
    assert backend.effective_mapping["fields"]["remote_id"] == "id"


@pytest.mark.real_data
def test_bretagne_without_and_with_mapping(raw_data):
    _, rows, candidates = parse_file(raw_data / BZH)
    assert len(rows) == 121
    assert len({row.remote_id for row in rows}) == 121
    # "structure" is no common category name: nothing is guessed, every row waits « à classer ».
    assert all(c.category == "" for c in candidates)
    assert candidates[0].name == "MakerSpace56"
    assert candidates[0].website == "http://makerspace56.org"
    # HTML in addresses becomes text.
    assert candidates[2].address == "Espace associatif d'Arvor, Place d'Armorique"

    mapping = {
        "fields": {"remote_id": "id", "name": "name", "city": "ville", "postcode": "cp"},
        "category": {
            "column": "structure",
            "values": {
                "fablab": "fablab",
                "FabLab MIT": "fablab",
                "hakerspace": "fablab",
                "makerspace": "fablab",
                "tierslieu": "tiers-lieu",
            },
        },
        "extra": ["twitter"],
    }
    backend, rows, candidates = parse_file(raw_data / BZH, mapping=mapping)
    assert Counter(c.category for c in candidates) == {"fablab": 50, "tiers-lieu": 7, "": 64}
    assert Counter(c.extra.get("categorie_source") for c in candidates if not c.category) == {
        "usages": 31,
        "cantine": 22,
        "formation": 6,
        "frenchtech": 5,
    }
    # Values match ignoring case and punctuation: "fablabMIT" ← "FabLab MIT".
    assert candidates[0].category_rule == "structure = « fablabMIT » → fablab"
    assert candidates[0].extra["twitter"] == "@makerspace56"
    assert candidates[0].address == ""  # not in this mapping
    assert backend.effective_mapping == mapping


@pytest.mark.parametrize(
    ("geometry", "note"),
    [
        (C_SHAPE, "géométrie surfacique réduite à un point intérieur"),
        (
            {"type": "MultiPolygon", "coordinates": [C_SHAPE["coordinates"]]},
            "géométrie surfacique réduite à un point intérieur",
        ),
        (
            {"type": "LineString", "coordinates": [[1.40, 43.60], [1.42, 43.62]]},
            "géométrie linéaire réduite à un point de la ligne",
        ),
    ],
)
def test_surfaces_and_lines_become_a_point_on_them(tmp_path, geometry, note):
    path = collection(tmp_path, feature(geometry, {"nom": "Parc"}))
    _, _, [candidate] = parse_file(path)
    point = Point(candidate.lon, candidate.lat)
    assert shape(geometry).buffer(1e-9).contains(point)
    assert note in candidate.notes
    if geometry is C_SHAPE:
        assert not shape(C_SHAPE).contains(shape(C_SHAPE).centroid)  # why not the centroid


def test_remote_id_fallbacks_and_missing_geometry(tmp_path):
    path = collection(
        tmp_path,
        feature({"type": "Point", "coordinates": [1.4, 43.6]}, {"nom": "A", "code": "1"}, id=42),
        feature({"type": "Point", "coordinates": [1.4, 43.6]}, {"nom": "B"}),
        feature(None, {"nom": "C", "latitude": "43,6", "longitude": "1,4"}),
        feature(None, {"nom": "D"}),
    )
    _, rows, candidates = parse_file(path)
    assert [r.remote_id for r in rows] == ["42", None, None, None]
    assert (candidates[2].lon, candidates[2].lat) == (None, None)  # lat/lon not mapped
    assert candidates[3].notes == ["pas de géométrie"]
    mapping = {
        "fields": {"name": "nom", "remote_id": "code", "lat": "latitude", "lon": "longitude"}
    }
    _, rows, candidates = parse_file(path, mapping=mapping)
    assert [r.remote_id for r in rows] == ["1", None, None, None]
    assert (candidates[2].lon, candidates[2].lat) == (1.4, 43.6)
    assert "point lu dans les propriétés : la géométrie est absente" in candidates[2].notes


def test_category_and_status_values(tmp_path):
    path = collection(
        tmp_path,
        feature(None, {"nom": "A", "categorie": "amap", "etat": "ouvert"}),
        feature(None, {"nom": "B", "categorie": "Épicerie coopérative", "etat": "??"}),
    )
    mapping = {
        "fields": {"name": "nom"},
        "category": {"column": "categorie", "values": {}},
        "status": {"column": "etat", "values": {"ouvert": "actif"}},
    }
    _, _, (a, b) = parse_file(path, mapping=mapping)
    assert (a.category, a.category_rule) == ("amap", "categorie = « amap » (code de la typologie)")
    assert a.status == "actif"
    assert (b.category, b.extra["categorie_source"]) == ("", "Épicerie coopérative")
    assert b.status == ""
    assert "état non reconnu : « ?? », ignoré" in b.notes


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("nom;adresse\nJardin;1 rue\n", "pas du JSON valide"),
        ('{"type": "FeatureCollection", "features": [', "pas du JSON valide"),
        ('[{"nom": "x"}]', "pas une FeatureCollection"),
        ('{"type": "Feature", "geometry": null, "properties": {}}', "pas une FeatureCollection"),
        ('{"type": "FeatureCollection", "features": {}}', "pas de liste"),
        ('{"type": "FeatureCollection", "features": [{"nom": "x"}]}', "pas une Feature"),
        ("<!DOCTYPE html>\n<html><body>Service indisponible</body></html>", "page HTML"),
    ],
)
def test_files_that_are_not_geojson(tmp_path, content, message):
    path = tmp_path / "data.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceFileError, match=message):
        list(get_backend("geojson").rows(path))


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"fields": {"nom": "nom"}}, "champ.*inconnu"),
        ({"fields": {"name": "intitule"}}, "absente.*« intitule »"),
        ({"category": {"column": "structure"}}, "absente.*« structure »"),
        ({"status": {"column": "etat", "values": {"ouvert": "ouvert"}}}, "inconnu"),
    ],
)
@pytest.mark.real_data
def test_bad_mappings_fail_before_any_row(raw_data, mapping, message):
    backend = get_backend("geojson", BackendOptions(mapping=mapping))
    with pytest.raises(SourceFileError, match=message):
        next(backend.rows(raw_data / GARDENS))
