"""Find the duplicate candidates among records: block, score, then weigh ambiguity.

After scoring, a pair whose two records are each other's best counterpart in the other's
source (the nearest alike record there) gets MUTUAL_BEST more weight: two sources describing the
same box place it 20–150 m apart, and what tells that pair from two neighbouring boxes is
that nothing else is as close. Pairs that are not mutual best keep their weight. With three
sources or more, the bonus also asks that the sources agree: when one end has a better
counterpart z in a third source, z must be the other end's mutual best there too.
"""

import math
from collections import defaultdict
from collections.abc import Sequence

from .blocking import candidate_pairs, drop_common_identifiers
from .scoring import Record, Scored, prepare, score_pair

MUTUAL_BEST = 2.5
# Default thresholds on the score (benchmarks/dedupe.py measures them).
AUTO_MERGE = 0.925
REVIEW = 0.5


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
    """Per pair of sources: a record's best counterpart *in each other source*. Counted
    globally, a box listed by two sources and copied into a third would lose the bonus
    to whichever pair is closest. The sources must agree (third_sources_agree)."""
    source_of = {r.id: r.sources for r in records}
    best: dict[tuple[int, tuple[str, ...]], tuple[float, int]] = {}
    for index, pair in enumerate(scored):
        if not pair.components["cross_source"]:
            continue
        weight = pair.components["weight"]
        for end, other in ((pair.left, pair.right), (pair.right, pair.left)):
            key = (end, source_of[other])
            if key not in best or weight > best[key][0]:
                best[key] = (weight, index)
    best_of: dict[int, list[tuple[tuple[str, ...], float, int]]] = defaultdict(list)
    for (end, source), (weight, index) in best.items():
        best_of[end].append((source, weight, index))

    def mutual(index: int) -> bool:
        pair = scored[index]
        return (
            best[(pair.left, source_of[pair.right])][1] == index
            and best[(pair.right, source_of[pair.left])][1] == index
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
                if better <= weight or source in (source_of[end], source_of[other]):
                    continue
                z_pair = scored[z_index]
                z = z_pair.right if z_pair.left == end else z_pair.left
                found = best.get((other, source))
                if found is None or not mutual(found[1]):
                    return False
                if z not in (scored[found[1]].left, scored[found[1]].right):
                    return False
        return True

    for index, pair in enumerate(scored):
        if not pair.components["cross_source"]:
            continue
        if mutual(index) and third_sources_agree(index):
            weight = pair.components["weight"] + MUTUAL_BEST
            pair.components["weight"] = round(weight, 2)
            pair.components["parts"]["mutual_best"] = MUTUAL_BEST
            pair.score = round(1 / (1 + math.exp(-weight)), 4)


def outcome(score: float, auto: float = AUTO_MERGE, review: float = REVIEW) -> str:
    """auto-merge / review / none."""
    if score >= auto:
        return "auto-merge"
    if score >= review:
        return "review"
    return "none"
