"""Names, scores and blocks on small hand-made cases taken from the real data's habits."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from maillage.dedupe.blocking import candidate_pairs
from maillage.dedupe.loading import website_host
from maillage.dedupe.matching import find_pairs, outcome
from maillage.dedupe.names import distinctive, normalize
from maillage.dedupe.scoring import Record, prepare, score_pair


def test_names_read_alike_whatever_the_spelling():
    assert normalize("Boîte à livres de St-Symphorien-de-Lay") == normalize(
        "boite a livres st symphorien de lay"
    )
    assert normalize("BAL Saint Symphorien") == normalize("Boîte à livres Saint-Symphorien")
    assert normalize("BAL Saint Symphorien") == "boite livres saint symphorien"


def test_what_is_left_once_the_kind_of_place_and_the_commune_are_removed():
    assert distinctive("Boîte à livres — Brest", "Brest") == ""
    assert distinctive("Repair Café du Centre", "Niort") == "centre"
    assert distinctive("Aire de covoiturage Échangeur A84", "Avranches") == "echangeur a84"


def _record(pk: int, name: str, lon: float, lat: float, **kw) -> Record:
    base = {"commune": "com:35238", "commune_name": "Rennes", "category": "repair-cafe",
            "family": "biens", "sources": ("a",)}  # fmt: skip
    return prepare(Record(pk, name, lon, lat, **{**base, **kw}))


def test_every_component_is_shown_and_a_near_namesake_scores_high():
    a = _record(1, "Repair Café de la Gare", -1.6725, 48.1035)
    b = _record(2, "Repair cafe Gare", -1.6727, 48.1036, sources=("b",))
    pair = score_pair(a, b)
    assert pair.score > 0.9
    assert set(pair.components["parts"]) >= {"bias", "distance", "name", "category"}
    assert pair.components["distance_m"] < 20
    assert pair.components["cross_source"] is True


def test_different_names_next_door_are_not_duplicates():
    a = _record(1, "Repair Café du Centre", -1.6725, 48.1035)
    b = _record(2, "Repair Café de la Gare", -1.6727, 48.1036)
    assert outcome(score_pair(a, b).score) == "none"


def test_conflicting_siret_outweighs_everything():
    a = _record(1, "Fablab Rennes", -1.6725, 48.1035, siret="12345678900011")
    b = _record(2, "Fablab Rennes", -1.6725, 48.1035, siret="98765432100022")
    assert score_pair(a, b).components["conflicting_identifiers"] == ["siret"]
    assert outcome(score_pair(a, b).score) != "auto-merge"


def test_blocks_keep_neighbours_of_one_family_and_shared_identifiers_anywhere():
    records = [
        _record(1, "A", -1.6725, 48.1035),
        _record(2, "B", -1.6760, 48.1035),  # 260 m east: neighbours
        _record(3, "C", -1.6725, 48.1135),  # 1.1 km north: not
        _record(4, "D", -1.6726, 48.1035, family="mobilite", category="covoiturage"),
        _record(5, "E", 2.35, 48.85, website="repair.example.org"),  # Paris
        _record(6, "F", -1.6725, 48.1036, website="repair.example.org"),
    ]
    pairs = {(records[i].id, records[j].id) for i, j in candidate_pairs(records)}
    assert (1, 2) in pairs
    assert (1, 3) not in pairs
    assert (1, 4) not in pairs  # another family of practices
    assert (5, 6) in pairs  # same website, 300 km apart
    assert len(pairs) == len(list(candidate_pairs(records)))  # each pair once


def test_mutual_best_counterparts_across_sources_gain_weight():
    a = _record(1, "Boîte à livres — Rennes", -1.6725, 48.1035, category="boites-a-livres")
    b = _record(2, "Boîte à livres — Rennes", -1.6729, 48.1036, category="boites-a-livres",
                sources=("b",))  # fmt: skip
    c = _record(3, "Boîte à livres — Rennes", -1.6700, 48.1035, category="boites-a-livres",
                sources=("b",))  # fmt: skip
    pairs = {(p.left, p.right): p for p in find_pairs([a, b, c])}
    assert "mutual_best" in pairs[(1, 2)].components["parts"]
    assert "mutual_best" not in pairs[(1, 3)].components["parts"]
    assert pairs[(1, 2)].score > pairs[(1, 3)].score


def test_mutual_best_needs_the_third_source_to_agree():
    """c (source c) matches a (source a) 30 m away; b (source b) lies 250 m from c, next to
    d (source a). c–b are each other's best in their sources, but c has a better
    counterpart in source a, a, that is not b's: no bonus for c–b. With b next to a and no
    d, the three agree and c–b keeps it."""
    kind = {"category": "boites-a-livres"}
    a = _record(1, "Boîte à livres — Rennes", -1.6725, 48.1035, **kind)
    c = _record(3, "Boîte à livres — Rennes", -1.6725, 48.10377, sources=("c",), **kind)
    far_b = _record(2, "Boîte à livres — Rennes", -1.6725, 48.1060, sources=("b",), **kind)
    d = _record(4, "Boîte à livres — Rennes", -1.6727, 48.1061, **kind)
    pairs = {(p.left, p.right): p for p in find_pairs([a, far_b, c, d])}
    assert "mutual_best" in pairs[(2, 4)].components["parts"]
    assert "mutual_best" in pairs[(1, 3)].components["parts"]
    assert "mutual_best" not in pairs[(2, 3)].components["parts"]
    near_b = _record(2, "Boîte à livres — Rennes", -1.6727, 48.1035, sources=("b",), **kind)
    pairs = {(p.left, p.right): p for p in find_pairs([a, near_b, c])}
    assert all("mutual_best" in p.components["parts"] for p in pairs.values())


def test_impossible_thresholds_are_a_clear_error():
    with pytest.raises(CommandError, match="Seuils impossibles") as error:
        call_command("dedupe", "--dry-run", "--auto", "0.4", "--review", "0.6")
    assert error.value.returncode == 2


def test_a_website_that_is_no_url_gives_no_host():
    # urlsplit raises on these (an unclosed IPv6 bracket): the record simply has no host.
    assert website_host("http://[fablab-vignes.org") == ""
    assert website_host("www.Example.fr/contact") == "example.fr"
