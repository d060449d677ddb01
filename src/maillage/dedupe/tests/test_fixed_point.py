"""One run reaches a stable state, and a box alone of its kind in its commune for both sources
is merged without a person: hand-made towns shaped like the two bookcase sources (one names
every box after its town and gives no address, the other gives the street)."""

import math
import random

from maillage.dedupe.matching import (
    AUTO_MERGE,
    FILLED_BY_MERGE,
    REVIEW,
    find_pairs,
    merged_record,
    outcome,
    settle,
)
from maillage.dedupe.merges import FILLABLE
from maillage.dedupe.scoring import Record

LON, LAT = 2.35, 48.85


def _at(east_m: float, north_m: float) -> tuple[float, float]:
    return (
        LON + east_m / (111_320 * math.cos(math.radians(LAT))),
        LAT + north_m / 111_320,
    )


def _box(pk: int, source: str, east_m: float, north_m: float, **kw) -> Record:
    lon, lat = _at(east_m, north_m)
    base = {"name": "Boîte à livres — Ville", "commune": "com:1", "commune_name": "Ville",
            "category": "boites-a-livres", "family": "culture", "sources": (source,)}  # fmt: skip
    return Record(id=pk, lon=lon, lat=lat, **{**base, **kw})


def _copy(records: list[Record]) -> list[Record]:
    return [Record(**{k: getattr(r, k) for k in Record.__dataclass_fields__}) for r in records]


def _apply(records: list[Record], merges) -> list[Record]:
    """The live records once the merges are done, as the database would give them back."""
    live = {r.id: r for r in records}
    for pair in merges:
        live[pair.left] = merged_record(live[pair.left], live.pop(pair.right))
    return list(live.values())


def test_the_only_box_of_each_source_in_a_commune_is_merged_even_250_m_apart():
    a, b = _box(1, "zonelivre", 0, 0), _box(2, "boite-a-lire", 250, 0, address="Place")
    (pair,) = find_pairs([a, b])
    assert outcome(pair.score) == "auto-merge"
    assert {"mutual_best", "unrivalled"} <= set(pair.components["parts"])


def test_a_rival_of_the_same_source_keeps_the_pair_for_a_person():
    boxes = [_box(1, "zonelivre", 0, 0), _box(2, "boite-a-lire", 250, 0),
             _box(3, "boite-a-lire", -280, 0)]  # fmt: skip
    pair = next(p for p in find_pairs(boxes) if (p.left, p.right) == (1, 2))
    assert "mutual_best" in pair.components["parts"]
    assert "unrivalled" not in pair.components["parts"]
    assert outcome(pair.score) == "review"


def test_a_box_listed_twice_by_one_source_is_no_rival_for_its_counterpart():
    twice = [_box(2, "boite-a-lire", 60, 0, address="1 place de la Mairie"),
             _box(3, "boite-a-lire", 62, 2, address="1 place de la Mairie")]  # fmt: skip
    pairs = {(p.left, p.right): p for p in find_pairs([_box(1, "zonelivre", 0, 0), *twice])}
    assert outcome(pairs[(2, 3)].score) == "auto-merge"  # the source's own duplicate
    best = max((pairs[(1, 2)], pairs[(1, 3)]), key=lambda p: p.score)
    assert "unrivalled" in best.components["parts"]
    # One run merges the three records into one, whichever order the merges come in.
    settled = settle(twice + [_box(1, "zonelivre", 0, 0)])
    assert len(settled.merges) == 2
    assert settled.pairs == []


def test_boxes_in_another_commune_are_never_unrivalled():
    a = _box(1, "zonelivre", 0, 0)
    b = _box(2, "boite-a-lire", 250, 0, commune="com:2", commune_name="Voisine")
    (pair,) = find_pairs([a, b])
    assert "unrivalled" not in pair.components["parts"]
    assert outcome(pair.score) != "auto-merge"


def test_a_merged_initiative_holding_a_source_wins_no_mutual_best_in_that_source():
    """Z (zonelivre) and B (boite-a-lire) are one box; C, another box of boite-a-lire, lay
    behind B. Once Z and B are one initiative, C is not its best counterpart « in
    boite-a-lire »: the initiative already holds that source's record of the place."""
    z, b, c = (
        _box(1, "zonelivre", 0, 0),
        _box(2, "boite-a-lire", 30, 0),
        _box(3, "boite-a-lire", 70, 0),
    )
    first = {(p.left, p.right): p for p in find_pairs(_copy([z, b, c]))}
    assert outcome(first[(1, 2)].score) == "auto-merge"
    assert "mutual_best" not in first[(1, 3)].components["parts"]
    merged = merged_record(z, b)
    assert merged.sources == ("boite-a-lire", "zonelivre")
    (after,) = find_pairs([merged, c])
    assert "mutual_best" not in after.components["parts"]
    assert outcome(after.score) != "auto-merge"


def _town(seed: int) -> list[Record]:
    """A dense town: 40 boxes of one source on a jittered grid, the other source listing
    most of them 20–200 m off and adding a few of its own, some boxes listed twice."""
    rng = random.Random(seed)
    records: list[Record] = []
    for n in range(40):
        east, north = (n % 8) * 180 + rng.uniform(-40, 40), (n // 8) * 180 + rng.uniform(-40, 40)
        street = f"{n} rue {rng.choice(['Haute', 'Basse', 'Neuve'])}"
        records.append(_box(len(records) + 1, "boite-a-lire", east, north, address=street))
        if rng.random() < 0.1:
            records.append(_box(len(records) + 1, "boite-a-lire", east + 3, north, address=street))
        if rng.random() < 0.8:
            angle, shift = rng.uniform(0, 2 * math.pi), rng.uniform(20, 200)
            records.append(_box(len(records) + 1, "zonelivre", east + shift * math.cos(angle),
                                north + shift * math.sin(angle)))  # fmt: skip
    for _ in range(6):
        records.append(_box(len(records) + 1, "zonelivre", rng.uniform(0, 1300),
                            rng.uniform(0, 800)))  # fmt: skip
    return records


def test_a_second_run_on_the_merged_state_merges_nothing_and_finds_the_same_pairs():
    for seed in range(5):
        records = _town(seed)
        settled = settle(_copy(records))
        assert settled.merges
        merged = {i for p in settled.merges for i in (p.left, p.right)}
        assert len(merged) > len(settled.merges)  # at least one pair per merge
        again = settle(_apply(_copy(records), settled.merges))
        assert again.merges == []
        kept = {(p.left, p.right, p.score) for p in settled.pairs if p.score >= REVIEW}
        assert kept == {(p.left, p.right, p.score) for p in again.pairs if p.score >= REVIEW}
        assert all(p.score < AUTO_MERGE for p in settled.pairs)


def test_the_order_records_are_read_in_never_changes_a_score():
    records = _town(11)
    reference = {(p.left, p.right): p.score for p in find_pairs(_copy(records))}
    for seed in range(3):
        shuffled = _copy(records)
        random.Random(seed).shuffle(shuffled)
        assert {(p.left, p.right): p.score for p in find_pairs(shuffled)} == reference


def test_decided_pairs_are_not_merged_and_stop_nothing_else():
    records = [_box(1, "zonelivre", 0, 0), _box(2, "boite-a-lire", 30, 0)]
    assert len(settle(_copy(records)).merges) == 1
    kept = settle(_copy(records), decided={(1, 2)})
    assert kept.merges == []
    assert [(p.left, p.right) for p in kept.pairs] == [(1, 2)]


def test_a_merge_fills_in_matching_only_what_merge_pair_fills():
    assert set(FILLED_BY_MERGE) <= set(FILLABLE)
    survivor = _box(1, "zonelivre", 0, 0)
    absorbed = _box(2, "boite-a-lire", 30, 0, address="Place", website="ville.fr", phone="0102")
    merged = merged_record(survivor, absorbed)
    assert (merged.address, merged.website, merged.phone) == ("Place", "ville.fr", "")
    assert (merged.id, merged.lon, merged.name) == (1, survivor.lon, survivor.name)


def test_a_network_website_counted_again_after_a_merge_makes_the_same_pairs_as_a_new_run():
    """Six initiatives share a network's website: it identifies none of them. Two of them
    are one place listed by two sources; once merged, five hold it, and the next run would
    count it as an identifier: the same run already does."""
    places = [_box(n, "reseau", n * 20_000, 0, name=f"Atelier {n}", website="reseau.org",
                   commune=f"com:{n}", category="atelier-velo", family="mobilite")
              for n in range(1, 6)]  # fmt: skip
    copy = _box(6, "autre", 20_010, 0, name="Atelier 1", website="reseau.org",
                commune="com:1", category="atelier-velo", family="mobilite")  # fmt: skip
    records = places + [copy]
    settled = settle(_copy(records))
    assert [(p.left, p.right) for p in settled.merges] == [(1, 6)]
    pairs = {(p.left, p.right, p.score) for p in settled.pairs}
    assert any("website" in p.components["shared_identifiers"] for p in settled.pairs)
    again = settle(_apply(_copy(records), settled.merges))
    assert again.merges == []
    assert {(p.left, p.right, p.score) for p in again.pairs} == pairs
