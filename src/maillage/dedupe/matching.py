"""Find the duplicate candidates among records: block, score, then weigh ambiguity.

After scoring, a pair whose two records are each other's best counterpart in the other's
source (the nearest alike record there) gets MUTUAL_BEST more weight: two sources describing the
same box place it 20–150 m apart, and what tells that pair from two neighbouring boxes is
that nothing else is as close. Pairs that are not mutual best keep their weight. With three
sources or more, the bonus also asks that the sources agree: when one end has a better
counterpart z in a third source, z must be the other end's mutual best there too.

A mutual best pair in one commune whose ends have no rival in the other's source — no other
record there within reach, or none within RIVAL_GAP of its weight — gets UNRIVALLED more:
the only box of its kind for both sources in that part of the commune is one box, even 250 m
apart. A rival that is the other end's own duplicate in its source (a source listing one box
twice, same address, a few metres apart) is no rival.

Sources are counted one by one, so that an initiative already merged (holding records of two
sources) is compared as the merge left it: it is the best counterpart « in zonelivre » of a
boite-a-lire box if it holds a zonelivre record, and two initiatives that share a source get
no bonus (a source describes a place once): after a merge, the boxes that lost the mutual best
to the absorbed record do not win it back, and a second run finds what the first left.
"""

import dataclasses
import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from .blocking import candidate_pairs, drop_common_identifiers
from .scoring import Record, Scored, prepare, score_pair

MUTUAL_BEST = 2.5
UNRIVALLED = 2.5
RIVAL_GAP = 2.0  # a rival at least this much weight below the pair is no rival
OWN_DUPLICATE = 2.5  # weight from which two records of one source are one place listed twice
# Default thresholds on the score (benchmarks/dedupe.py measures them).
AUTO_MERGE = 0.925
REVIEW = 0.5
# The Record fields a merge fills from the absorbed initiative when the survivor lacks them
# (a subset of merges.FILLABLE: those matching reads).
FILLED_BY_MERGE = ("address", "siret", "rna", "osm_id", "website")
MAX_ROUNDS = 20  # a chain of merges longer than this is left to the next run


def find_pairs(records: Sequence[Record], minimum: float = 0.0) -> list[Scored]:
    """Every candidate pair scored (those at or above `minimum`), best first."""
    records = list(records)
    drop_common_identifiers(records)
    for record in records:
        prepare(record)
    scored = [score_pair(records[i], records[j]) for i, j in candidate_pairs(records)]
    _reward_mutual_best(scored, records)
    kept = [s for s in scored if s.score >= minimum]
    kept.sort(key=lambda s: (-s.score, s.left, s.right))
    return kept


def _reward_mutual_best(scored: list[Scored], records: Sequence[Record]) -> None:
    """Per record and per other source: its counterparts there, best first. Counted
    globally, a box listed by two sources and copied into a third would lose the bonus
    to whichever pair is closest. The sources must agree (third_sources_agree)."""
    by_id = {r.id: r for r in records}
    sources_of = {r.id: frozenset(r.sources) for r in records}
    # (record, source) → [(weight, pair index)], best first
    ranked: dict[tuple[int, str], list[tuple[float, int]]] = defaultdict(list)
    own_duplicates: set[tuple[int, int]] = set()
    for index, pair in enumerate(scored):
        weight = pair.components["weight"]
        if not pair.components["cross_source"]:
            if weight >= OWN_DUPLICATE and sources_of[pair.left]:
                own_duplicates.add((pair.left, pair.right))
            continue
        for end, other in ((pair.left, pair.right), (pair.right, pair.left)):
            for source in sources_of[other] - sources_of[end]:
                ranked[(end, source)].append((weight, index))

    def rank(item: tuple[float, int]) -> tuple[float, float, int, int]:
        """Best weight first; between equal weights (distances come in bands), the nearest,
        then the smaller ids: the order the records were read in never decides."""
        pair = scored[item[1]]
        distance = pair.components["distance_m"]
        return (-item[0], math.inf if distance is None else distance, pair.left, pair.right)

    for counterparts in ranked.values():
        counterparts.sort(key=rank)
    best: dict[tuple[int, str], tuple[float, int]] = {k: v[0] for k, v in ranked.items()}
    best_of: dict[int, list[tuple[str, float, int]]] = defaultdict(list)
    for (end, source), (weight, index) in best.items():
        best_of[end].append((source, weight, index))

    def eligible(index: int) -> bool:
        """Two records with no source in common (a source describes a place once)."""
        pair = scored[index]
        left, right = sources_of[pair.left], sources_of[pair.right]
        return bool(left and right) and not left & right

    def mutual(index: int) -> bool:
        pair = scored[index]
        return eligible(index) and all(
            best[(end, source)][1] == index
            for end, other in ((pair.left, pair.right), (pair.right, pair.left))
            for source in sources_of[other]
        )

    def third_sources_agree(index: int) -> bool:
        """Where one end has a better counterpart z in a third source, z must also be the
        other end's mutual best in that source: three records of one place agree. A record
        of source C that matches a box of source A well, and lies 250 m from an unrelated box
        of source B, is not that B box's duplicate because nothing of C is nearer to it."""
        pair = scored[index]
        weight = pair.components["weight"]
        for end, other in ((pair.left, pair.right), (pair.right, pair.left)):
            for source, better, z_index in best_of[end]:
                if better <= weight or source in sources_of[end] | sources_of[other]:
                    continue
                z_pair = scored[z_index]
                z = z_pair.right if z_pair.left == end else z_pair.left
                found = best.get((other, source))
                if found is None or not mutual(found[1]):
                    return False
                if z not in (scored[found[1]].left, scored[found[1]].right):
                    return False
        return True

    def unrivalled(index: int) -> bool:
        """Same commune, and no other counterpart of either end in the other's sources comes
        within RIVAL_GAP of the pair's weight, the other end's own duplicates apart."""
        pair = scored[index]
        left, right = by_id[pair.left], by_id[pair.right]
        if not left.commune or left.commune != right.commune:
            return False
        weight = pair.components["weight"]
        for end, other in ((pair.left, pair.right), (pair.right, pair.left)):
            for source in sources_of[other]:
                for rival_weight, rival_index in ranked[(end, source)]:
                    if rival_index == index:
                        continue
                    if rival_weight <= weight - RIVAL_GAP:
                        break  # best first: the others are further below
                    rival_pair = scored[rival_index]
                    rival = rival_pair.right if rival_pair.left == end else rival_pair.left
                    if (min(rival, other), max(rival, other)) not in own_duplicates:
                        return False
        return True

    for index, pair in enumerate(scored):
        if not pair.components["cross_source"]:
            continue
        if mutual(index) and third_sources_agree(index):
            parts = pair.components["parts"]
            weight = pair.components["weight"]
            if unrivalled(index):
                parts["unrivalled"] = UNRIVALLED
                weight += UNRIVALLED
            weight += MUTUAL_BEST
            parts["mutual_best"] = MUTUAL_BEST
            pair.components["weight"] = round(weight, 2)
            pair.score = round(1 / (1 + math.exp(-weight)), 4)


@dataclass
class Settled:
    """What one run does: the merges in order (each pair scored on the state the merges
    before it left), and the pairs between the initiatives still live afterwards."""

    merges: list[Scored] = field(default_factory=list)
    pairs: list[Scored] = field(default_factory=list)
    rounds: int = 0
    candidates: int = 0  # pairs scored in the first round


def merged_record(survivor: Record, absorbed: Record) -> Record:
    """The survivor as merges.merge_pair leaves it: its fields, the empty ones filled by the
    absorbed initiative, the sources of both."""
    values = {
        name: getattr(absorbed, name)
        for name in FILLED_BY_MERGE
        if not getattr(survivor, name) and getattr(absorbed, name)
    }
    sources = tuple(sorted(set(survivor.sources) | set(absorbed.sources)))
    return dataclasses.replace(survivor, sources=sources, **values)


def _neighbours(pairs: Sequence[Scored]) -> dict[int, set[int]]:
    graph: dict[int, set[int]] = defaultdict(set)
    for pair in pairs:
        graph[pair.left].add(pair.right)
        graph[pair.right].add(pair.left)
    return graph


def _around(graph: dict[int, set[int]], ids: set[int]) -> set[int]:
    return ids.union(*(graph.get(i, set()) for i in ids))


def _identifiers_counted_again(raw: dict[int, Record], live: dict[int, Record]) -> set[int]:
    """Count the websites and phones again on the merged state, as the next run would: the
    initiatives whose values are no longer blanked, or now are, with every holder of those
    values (they now form, or no longer form, a block). `live` is updated."""
    fresh = [dataclasses.replace(raw[i]) for i in live]
    drop_common_identifiers(fresh)
    changed: set[int] = set()
    values: set[tuple[str, str]] = set()
    for record in fresh:
        current = live[record.id]
        for key in ("website", "phone"):
            if getattr(record, key) != getattr(current, key):
                changed.add(record.id)
                values.add((key, getattr(raw[record.id], key)))
                setattr(current, key, getattr(record, key))
    if values:
        changed.update(r.id for r in raw.values() for k, v in values if getattr(r, k) == v)
    return changed


def settle(
    records: Sequence[Record],
    auto: float = AUTO_MERGE,
    decided: Collection[tuple[int, int]] = (),
) -> Settled:
    """Merge the sure pairs until none is left, as successive runs would, in memory.

    Each round merges the sure pairs (score ≥ `auto`, no decision taken on them), a source's
    own duplicates first, then best first, each initiative in one merge at most (the older id
    survives, as merge_pair does); then the pairs around the merged ones are scored again on
    the merged state: the survivor holds both sources and the filled fields, the absorbed one
    is gone, the websites and phones are counted again. A pair's score depends on
    its two ends and on their other pairs (mutual best, rivals), so the pairs with an end at
    most one pair away from a merged initiative are scored again, among the initiatives at
    most three pairs away. A second run on unchanged data then finds nothing to merge."""
    # The records as read (find_pairs blanks common identifiers in place): a merge leaves
    # one initiative where two held a network's website, and the next run counts again.
    raw = {r.id: dataclasses.replace(r) for r in records}
    live = {r.id: r for r in records}
    pairs = find_pairs(list(live.values()))
    result = Settled(candidates=len(pairs))
    decided = set(decided)
    while result.rounds < MAX_ROUNDS:
        busy: set[int] = set()
        merges: list[Scored] = []
        sure = [p for p in pairs if p.score >= auto]
        # A source's own duplicates first (one box listed twice): the record they make is
        # then compared with the other sources' as one, wherever its survivor stands.
        sure.sort(key=lambda p: p.components["cross_source"])  # stable: best first in each
        for pair in sure:
            if (pair.left, pair.right) in decided or {pair.left, pair.right} & busy:
                continue
            busy.update((pair.left, pair.right))
            merges.append(pair)
        if not merges:
            break
        result.rounds += 1
        result.merges.extend(merges)
        graph = _neighbours(pairs)
        for pair in merges:
            raw[pair.left] = merged_record(raw[pair.left], raw.pop(pair.right))
            live[pair.left] = merged_record(live[pair.left], live.pop(pair.right))
        changed = busy | _identifiers_counted_again(raw, live)
        near = _around(graph, changed)
        context = _around(graph, _around(graph, near))
        rescored = find_pairs([live[i] for i in sorted(context) if i in live])
        pairs = [p for p in pairs if p.left not in near and p.right not in near]
        pairs += [p for p in rescored if p.left in near or p.right in near]
        pairs.sort(key=lambda s: (-s.score, s.left, s.right))
    result.pairs = pairs
    return result


def outcome(score: float, auto: float = AUTO_MERGE, review: float = REVIEW) -> str:
    """auto-merge / review / none."""
    if score >= auto:
        return "auto-merge"
    if score >= review:
        return "review"
    return "none"
