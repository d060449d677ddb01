"""The `osm` backend on hand-made Overpass JSON and OSM XML fixtures (no network, no DB)."""

import dataclasses
import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Point, Polygon

from maillage.sources.backends import get_backend
from maillage.sources.backends.base import BackendOptions
from maillage.sources.backends.osm import OsmBackend, load_rules, parse_osm_date
from maillage.sources.errors import RowRejected, SourceFileError
from maillage.sources.records import Candidate, RawRow

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OVERPASS = FIXTURES / "osm_overpass.json"
XML = FIXTURES / "osm_sample.osm"
TYPOLOGY = Path(__file__).resolve().parents[2] / "catalog" / "data" / "typology.json"

TAGGED_IDS = {
    *(f"node/{n}" for n in range(1001, 1024)),
    "way/2001",
    "way/2002",
    "way/2003",
    "relation/3001",
    "relation/3002",
}
REJECTED = {"way/2003", "relation/3002"}


def parse_all(path: Path, backend: OsmBackend | None = None) -> dict[str, Candidate | str]:
    """remote id → candidate, or the rejection reason."""
    backend = backend or OsmBackend()
    parsed: dict[str, Candidate | str] = {}
    for row in backend.rows(path):
        assert row.remote_id is not None
        try:
            parsed[row.remote_id] = backend.parse(row)
        except RowRejected as exc:
            parsed[row.remote_id] = str(exc)
    return parsed


@pytest.fixture(scope="module")
def overpass() -> dict[str, Candidate | str]:
    return parse_all(OVERPASS)


@pytest.fixture(scope="module")
def xml() -> dict[str, Candidate | str]:
    return parse_all(XML)


def candidate(parsed: dict[str, Candidate | str], remote_id: str) -> Candidate:
    found = parsed[remote_id]
    assert isinstance(found, Candidate), found
    return found


def parse_tags(tags: dict[str, str], backend: OsmBackend | None = None) -> Candidate:
    element = {"type": "node", "id": 1, "lat": 46.32, "lon": -0.46, "tags": tags}
    return (backend or OsmBackend()).parse(RawRow(number=1, remote_id="node/1", data=element))


def typology_codes() -> set[str]:
    typology = json.loads(TYPOLOGY.read_text(encoding="utf-8"))
    return {c["code"] for family in typology["families"] for c in family["categories"]}


def test_registered_under_osm() -> None:
    assert isinstance(get_backend("osm"), OsmBackend)


@pytest.mark.parametrize("path", [OVERPASS, XML], ids=["overpass-json", "osm-xml"])
def test_remote_ids_are_osm_ids_and_untagged_elements_are_geometry(path: Path) -> None:
    backend = OsmBackend()
    rows = list(backend.rows(path))
    assert {row.remote_id for row in rows} == TAGGED_IDS
    assert backend.untagged_elements == 13  # 12 nodes of ways + the outer way of 3001
    assert all(row.data["tags"] for row in rows)
    parsed = parse_all(path)
    for remote_id in parsed.keys() - REJECTED:
        assert candidate(parsed, remote_id).osm_id == remote_id


def test_row_numbers_are_positions_in_the_file() -> None:
    rows = list(OsmBackend().rows(OVERPASS))
    assert rows[0].number == 1
    way = next(row for row in rows if row.remote_id == "way/2001")
    assert way.number == 36  # after 23 tagged and 12 untagged nodes


@pytest.mark.parametrize("rule", load_rules(), ids=lambda rule: rule.text())
def test_every_rule_of_the_table_fires_on_the_fixture(rule, overpass) -> None:
    fired = [
        c for c in overpass.values() if isinstance(c, Candidate) and c.category_rule == rule.text()
    ]
    assert fired, f"aucun élément de la fixture ne déclenche « {rule.text()} »"
    assert all(c.category == rule.category for c in fired)


def test_rule_categories_exist_and_cover_the_typology_hints() -> None:
    codes = typology_codes()
    rules = load_rules()
    assert {rule.category for rule in rules} <= codes
    rule_tags = {frozenset(f"{k}={v}" for k, v in rule.tags): rule for rule in rules}
    typology = json.loads(TYPOLOGY.read_text(encoding="utf-8"))
    for family in typology["families"]:
        for category in family["categories"]:
            for hint in category["osm_hints"]:
                if not hint["tags"] or any("<" in tag for tag in hint["tags"]):
                    continue  # "no settled tag", or a pattern spelled out per currency
                rule = rule_tags.get(frozenset(hint["tags"]))
                assert rule is not None, f"indication {hint['tags']} absente de osm_rules.json"
                assert rule.category == category["code"]
                assert rule.disputed == hint["disputed"]


def test_more_specific_rule_wins(overpass) -> None:
    shop = candidate(overpass, "node/1008")  # shop=second_hand + second_hand=only
    assert shop.category == "ressourcerie"
    assert shop.category_rule == (
        "OSM shop=second_hand + second_hand=only → ressourcerie "
        "(étiquette contestée, confiance faible)"
    )
    assert shop.secondary_categories == []  # the generic rule is part of the winning one
    assert candidate(overpass, "node/1007").category == "seconde-main"


def test_rule_text_reads_as_a_sentence(overpass) -> None:
    bookcase = candidate(overpass, "node/1006")
    assert bookcase.category_rule == "OSM amenity=public_bookcase → boites-a-livres"
    assert "category_confidence" not in bookcase.extra


def test_disputed_rules_say_so(overpass) -> None:
    fridge = candidate(overpass, "node/1015")
    assert fridge.category == "anti-gaspillage"
    assert "contestée" in fridge.category_rule
    assert fridge.extra["category_confidence"] == "faible"
    assert any(note.startswith("catégorie contestée, à vérifier : ") for note in fridge.notes)


def test_unmatched_element_goes_to_the_queue(overpass) -> None:
    bench = candidate(overpass, "node/1023")
    assert (bench.category, bench.category_rule) == ("", "")
    assert any("amenity=bench" in note for note in bench.notes)


def test_overpass_json_and_osm_xml_give_the_same_candidates(overpass, xml) -> None:
    assert overpass.keys() == xml.keys()
    for remote_id, from_json in overpass.items():
        from_xml = xml[remote_id]
        if isinstance(from_json, str):
            assert isinstance(from_xml, str), remote_id
            continue
        assert isinstance(from_xml, Candidate), remote_id
        assert from_xml.lat == pytest.approx(from_json.lat, abs=1e-6), remote_id
        assert from_xml.lon == pytest.approx(from_json.lon, abs=1e-6), remote_id
        same = {k: v for k, v in dataclasses.asdict(from_json).items() if k not in ("lat", "lon")}
        assert {k: v for k, v in dataclasses.asdict(from_xml).items() if k in same} == same


def test_way_points(overpass, xml) -> None:
    with_center = candidate(overpass, "way/2001")
    assert (with_center.lat, with_center.lon) == (46.3302, -0.4616)
    # the XML way has only node references: the centroid of its rectangle is the same point
    from_refs = candidate(xml, "way/2001")
    assert (from_refs.lat, from_refs.lon) == pytest.approx((46.3302, -0.4616))
    area = Polygon([(-0.807, 46.466), (-0.8062, 46.4668), (-0.805, 46.4664), (-0.8058, 46.4657)])
    for parsed in (overpass, xml):
        with_geometry = candidate(parsed, "way/2002")
        assert area.contains(Point(with_geometry.lon, with_geometry.lat))
        assert with_geometry.location_precision == "exact"


def test_relation_placed_from_its_members(overpass, xml) -> None:
    for parsed in (overpass, xml):
        garden = candidate(parsed, "relation/3001")
        assert (garden.lat, garden.lon) == pytest.approx((46.3352, -0.44015))
        assert garden.category == "jardin-partage"


def test_unplaceable_ways_and_relations_are_rejected_with_a_reason(overpass, xml) -> None:
    for parsed in (overpass, xml):
        assert parsed["way/2003"].startswith("chemin OSM impossible à placer : aucun de ses nœuds")
        assert parsed["relation/3002"].startswith("relation OSM impossible à placer : ")


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def overpass_file(tmp_path: Path, *elements: dict[str, Any]) -> Path:
    return write(tmp_path, "overpass.json", json.dumps({"elements": list(elements)}))


def test_way_without_center_or_geometry_is_rejected(tmp_path) -> None:
    path = overpass_file(tmp_path, {"type": "way", "id": 5, "tags": {"amenity": "car_pooling"}})
    backend = OsmBackend()
    (row,) = backend.rows(path)
    with pytest.raises(RowRejected, match="ni centre ni géométrie"):
        backend.parse(row)


def test_way_with_bounds_only_gets_an_approximate_point(tmp_path) -> None:
    bounds = {"minlat": 46.0, "minlon": -0.5, "maxlat": 46.2, "maxlon": -0.3}
    path = overpass_file(
        tmp_path, {"type": "way", "id": 6, "bounds": bounds, "tags": {"amenity": "give_box"}}
    )
    backend = OsmBackend()
    (row,) = backend.rows(path)
    found = backend.parse(row)
    assert (found.lat, found.lon) == pytest.approx((46.1, -0.4))
    assert any(note.startswith("point approché : ") for note in found.notes)


def test_disused_element_is_closed(overpass) -> None:
    closed = candidate(overpass, "node/1022")
    assert closed.category == "boites-a-livres"
    assert closed.category_rule == "OSM disused:amenity=public_bookcase → boites-a-livres"
    assert closed.status == "ferme"
    assert closed.closed_on == datetime.date(2022, 9, 1)


@pytest.mark.parametrize(
    ("tags", "category", "status"),
    [
        ({"amenity": "public_bookcase", "disused": "yes"}, "boites-a-livres", "ferme"),
        ({"abandoned:amenity": "give_box"}, "don-objets", "ferme"),
        ({"was:office": "coworking"}, "coworking", "ferme"),
        ({"proposed:amenity": "car_sharing"}, "autopartage", "projet"),
        ({"construction:leisure": "hackerspace"}, "fablab", "projet"),
        ({"disused:shop": "bakery"}, "", "ferme"),
        # a phone box turned into a bench: what it is now decides
        ({"amenity": "bench", "disused:amenity": "public_bookcase"}, "", ""),
        ({"amenity": "public_bookcase", "end_date": "2020"}, "boites-a-livres", "ferme"),
        ({"amenity": "public_bookcase"}, "boites-a-livres", ""),
    ],
)
def test_lifecycle_status(tags, category, status) -> None:
    found = parse_tags(tags)
    assert (found.category, found.status) == (category, status)


def test_partial_dates_from_the_fixture(overpass) -> None:
    year_only = candidate(overpass, "node/1001")
    assert year_only.opened_on == datetime.date(2019, 1, 1)
    assert "date partielle : date d'ouverture OSM « 2019 », 1er janvier 2019 retenu" in (
        year_only.notes
    )
    month_only = candidate(overpass, "node/1002")
    assert month_only.opened_on == datetime.date(2016, 5, 1)
    assert any("1er mai 2016" in note for note in month_only.notes)
    exact = candidate(overpass, "node/1006")  # opening_date
    assert exact.opened_on == datetime.date(2021, 4, 17)
    assert not any("date" in note for note in exact.notes)


@pytest.mark.parametrize(
    ("text", "expected", "note"),
    [
        (
            "2019",
            datetime.date(2019, 1, 1),
            "date partielle : date d'ouverture OSM « 2019 », 1er janvier 2019 retenu",
        ),
        (
            "2019-05",
            datetime.date(2019, 5, 1),
            "date partielle : date d'ouverture OSM « 2019-05 », 1er mai 2019 retenu",
        ),
        ("2019-08-12", datetime.date(2019, 8, 12), ""),
        (
            "~2015",
            datetime.date(2015, 1, 1),
            "date approximative : date d'ouverture OSM « ~2015 », 1er janvier 2015 retenu",
        ),
        ("before 2010", None, "date illisible : "),
        ("2019-13", None, "date impossible : "),
    ],
)
def test_parse_osm_date(text, expected, note) -> None:
    found, said = parse_osm_date(text, "date d'ouverture")
    assert found == expected
    assert said.startswith(note) if note else said == ""


def test_other_tags(overpass) -> None:
    carpool = candidate(overpass, "node/1001")
    assert carpool.network == "Département des Deux-Sèvres"  # no network tag: the operator
    assert carpool.carrier == "acteur-public"
    assert carpool.extra == {
        "osm_type": "node",
        "operator": "Département des Deux-Sèvres",
        "capacity": "40",
    }
    assert (carpool.postcode, carpool.city) == ("79410", "Échiré")
    sharing = candidate(overpass, "node/1002")
    assert sharing.network == "Citiz"
    assert sharing.website == "https://autopartage.example.org/niort"  # first of "a;b"
    bookcase = candidate(overpass, "node/1006")
    assert bookcase.name == ""
    assert "sans nom : objet OSM sans étiquette name" in bookcase.notes
    assert (bookcase.address, bookcase.postcode, bookcase.city) == (
        "2 Place de la Mairie",
        "79260",
        "La Crèche",
    )
    assert candidate(overpass, "node/1007").siret == "12345678900012"
    shop = candidate(overpass, "node/1008")
    assert (shop.rna, shop.carrier) == ("W793000123", "association")
    assert (shop.contact_email, shop.contact_phone) == (
        "contact@recyclerie.example.org",
        "+33 5 49 00 00 00",
    )
    assert candidate(overpass, "node/1011").contact_email == "atelier@rustine.example.org"
    assert candidate(overpass, "node/1013").carrier == "cooperative"
    assert candidate(overpass, "node/1016").website == "https://fabrique.example.org"
    named_fr = candidate(overpass, "node/1017")
    assert named_fr.name == "L'Atelier partagé"
    assert candidate(overpass, "node/1018").description == "Machines partagées ; ouvert le mercredi"


def test_all_tags_are_kept_in_the_raw_row() -> None:
    source = json.loads(OVERPASS.read_text(encoding="utf-8"))["elements"]
    expected = {f"{e['type']}/{e['id']}": e["tags"] for e in source if e.get("tags")}
    for path in (OVERPASS, XML):
        for row in OsmBackend().rows(path):
            assert row.remote_id is not None
            assert row.data["tags"] == expected[row.remote_id]


def test_xml_drops_contributor_pseudonyms(tmp_path) -> None:
    path = write(
        tmp_path,
        "meta.osm",
        '<osm version="0.6"><node id="7" lat="46.3" lon="-0.4" version="3" user="quelquun" '
        'uid="42" timestamp="2024-03-02T10:00:00Z"><tag k="amenity" v="give_box"/></node></osm>',
    )
    backend = OsmBackend()
    (row,) = backend.rows(path)
    assert "user" not in row.data
    assert "uid" not in row.data
    assert row.data["version"] == "3"
    assert backend.parse(row).source_updated_on == datetime.date(2024, 3, 2)


def test_mapping_adds_and_switches_off_rules() -> None:
    backend = OsmBackend(
        BackendOptions(
            mapping={
                "rules": [
                    {"tags": {"amenity": "community_centre"}, "category": "tiers-lieu"},
                    {"tags": {"shop": "second_hand"}, "category": ""},
                ]
            }
        )
    )
    parsed = parse_all(OVERPASS, backend)
    centre = candidate(parsed, "node/1010")  # amenity=community_centre + repair_cafe=yes
    assert centre.category == "tiers-lieu"  # a sure rule beats a disputed one of equal size
    assert centre.secondary_categories == ["repair-cafe"]
    assert candidate(parsed, "node/1007").category == ""


def test_invalid_mapping_is_refused() -> None:
    with pytest.raises(SourceFileError, match="Règle OSM invalide"):
        OsmBackend(BackendOptions(mapping={"rules": [{"category": "fablab"}]}))


OVERPASS_TIMEOUT = json.dumps(
    {
        "elements": [],
        "remark": 'runtime error: Query timed out in "query" at line 3 after 26 seconds.',
    }
)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("vide.json", b"", "vide"),
        ("texte.txt", "nom;adresse\nBoîte;rue\n", "ni de l'Overpass JSON ni de l'OSM XML"),
        ("erreur.json", "<!DOCTYPE html><html><body>504 Gateway Timeout</body></html>", "HTML"),
        ("sans-elements.json", '{"version": 0.6, "generator": "Overpass API"}', "elements"),
        ("liste.json", "[1, 2, 3]", "elements"),
        ("carte.json", '{"type": "FeatureCollection", "features": []}', "GeoJSON"),
        ("coupe.json", '{"elements": [{"type": "node", "id": 1', "tronqué"),
        ("delai.json", OVERPASS_TIMEOUT, "incomplète"),
        ("carte.kml", '<?xml version="1.0"?><kml><Document/></kml>', "sa racine est <kml>"),
        ("page.xml", "<html><head><title>Erreur</title></head></html>", "HTML"),
        (
            "coupe.osm",
            '<osm version="0.6"><node id="1" lat="46" lon="0"><tag k="a" v="b"/>',
            "tronqué",
        ),
        ("binaire.osm", b"\x00\x01\x02\x03osm", "binaire"),
        ("archive.osm.gz", b"\x1f\x8b\x08\x00\x00\x00", "gzip"),
        ("extrait.osm.pbf", b"\x00\x00\x00\x0d\x0a\x09OSMHeader\x18", "PBF"),
    ],
)
def test_bad_files_fail_the_job(tmp_path, name, content, message) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(SourceFileError, match=message) as raised:
        list(OsmBackend().rows(path))
    assert raised.value.code == "source-file-invalid"


def test_xml_is_streamed(tmp_path) -> None:
    """Rows come out as the file is read: a truncation is found only when reached."""
    path = write(
        tmp_path,
        "coupe.osm",
        '<osm version="0.6">'
        '<node id="1" lat="46.3" lon="-0.4"><tag k="amenity" v="give_box"/></node>'
        '<node id="2" lat="46.3" lon="-0.4"><tag k="amenity" v="give_box"/></node>'
        '<way id="3"><nd ref="1"/>',
    )
    rows = OsmBackend().rows(path)
    assert next(rows).remote_id == "node/1"
    assert next(rows).remote_id == "node/2"
    with pytest.raises(SourceFileError, match="tronqué"):
        next(rows)


def test_category_option_forces_every_row(overpass) -> None:
    backend = OsmBackend(BackendOptions(category="boites-a-livres"))
    parsed = parse_all(OVERPASS, backend)
    placed = [c for c in parsed.values() if isinstance(c, Candidate)]
    assert {c.category for c in placed} == {"boites-a-livres"}
    assert {c.category_rule for c in placed} == {
        "catégorie imposée à l'import (--category boites-a-livres)"
    }


def test_notes_read_kind_colon_detail(overpass) -> None:
    """The job summary counts notes by the words before « : »."""
    for found in overpass.values():
        notes = [found] if isinstance(found, str) else found.notes
        for note in notes:
            kind, sep, detail = note.partition(" : ")
            assert sep, note
            assert kind, note
            assert detail, note
            assert "«" not in kind, note  # no row value in the kind
