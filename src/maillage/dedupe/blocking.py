"""Which pairs are worth scoring: neighbours (a grid of ≈ 500 m cells), initiatives sharing an
identifier, and initiatives without a point in the same commune — always between compatible
categories (same family of practices, or one not yet classified).

Scoring every pair of 200,000 initiatives would be 20 billion comparisons; these blocks
keep the pairs that could be the same place, a few per initiative.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterator

import numpy as np

from .scoring import Record

MAX_DISTANCE_M = 500.0
CELL_LAT = MAX_DISTANCE_M / 111_320  # degrees of latitude in one cell
# Cells at least MAX_DISTANCE_M wide up to the north of mainland France (51.1°).
CELL_LON = CELL_LAT / math.cos(math.radians(51.5))
# An identifier held by more initiatives than this is a network's, not one place's.
COMMON_IDENTIFIER = 5
FORWARD = [(0, 1), (1, -1), (1, 0), (1, 1)]  # the other half is seen from the other cell


def drop_common_identifiers(records: list[Record], limit: int = COMMON_IDENTIFIER) -> None:
    """A national network's website or switchboard number is shared by many places: it
    identifies none of them. Such values are blanked before blocking and scoring."""
    for key in ("website", "phone"):
        counts = Counter(getattr(r, key) for r in records if getattr(r, key))
        common = {value for value, n in counts.items() if n > limit}
        for record in records:
            if getattr(record, key) in common:
                setattr(record, key, "")


def _compatible(a: Record, b: Record) -> bool:
    return not a.family or not b.family or a.family == b.family


def _cell_pairs(records: list[Record], left: list[int], right: list[int] | None) -> np.ndarray:
    """Index pairs of records within MAX_DISTANCE_M, between two cells (or inside one)."""
    lon = np.array([records[i].lon for i in left], dtype=float)
    lat = np.array([records[i].lat for i in left], dtype=float)
    if right is None:
        lon2, lat2 = lon, lat
    else:
        lon2 = np.array([records[i].lon for i in right], dtype=float)
        lat2 = np.array([records[i].lat for i in right], dtype=float)
    # Equirectangular distance: exact enough below a kilometre.
    scale = np.cos(np.radians((lat[:, None] + lat2[None, :]) / 2))
    dx = (lon[:, None] - lon2[None, :]) * scale * 111_320
    dy = (lat[:, None] - lat2[None, :]) * 111_320
    close = dx * dx + dy * dy <= MAX_DISTANCE_M**2
    if right is None:
        close = np.triu(close, k=1)
    a, b = np.nonzero(close)
    other = left if right is None else right
    return np.stack([np.asarray(left)[a], np.asarray(other)[b]], axis=1)


def _far_or_unpointed(a: Record, b: Record) -> bool:
    """Not already a pair of neighbours (those come from the grid)."""
    if a.lon is None or a.lat is None or b.lon is None or b.lat is None:
        return True
    scale = math.cos(math.radians((a.lat + b.lat) / 2))
    dx, dy = (a.lon - b.lon) * scale * 111_320, (a.lat - b.lat) * 111_320
    return dx * dx + dy * dy > MAX_DISTANCE_M**2


def candidate_pairs(records: list[Record]) -> Iterator[tuple[int, int]]:
    """Index pairs (i < j) into `records`, each once."""
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    by_commune: dict[str, list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        if record.lon is not None and record.lat is not None:
            key = (math.floor(record.lon / CELL_LON), math.floor(record.lat / CELL_LAT))
            cells[key].append(index)
        elif record.commune:
            by_commune[record.commune].append(index)
    # Neighbours: each pair of cells is visited once, each pair inside a cell once.
    for (x, y), members in cells.items():
        blocks = [_cell_pairs(records, members, None)]
        for dx, dy in FORWARD:
            neighbours = cells.get((x + dx, y + dy))
            if neighbours:
                blocks.append(_cell_pairs(records, members, neighbours))
        for block in blocks:
            for i, j in block.tolist():
                if _compatible(records[i], records[j]):
                    yield (i, j) if i < j else (j, i)
    # The other blocks may meet a pair again: those are remembered (few).
    seen: set[tuple[int, int]] = set()

    def other(i: int, j: int) -> Iterator[tuple[int, int]]:
        pair = (i, j) if i < j else (j, i)
        a, b = records[i], records[j]
        if i != j and pair not in seen and _compatible(a, b) and _far_or_unpointed(a, b):
            seen.add(pair)
            yield pair

    # Without a point: the commune is the block (with the pointed ones of that commune).
    if by_commune:
        pointed: dict[str, list[int]] = defaultdict(list)
        for index, record in enumerate(records):
            if record.lon is not None and record.commune in by_commune:
                pointed[record.commune].append(index)
        for commune, members in by_commune.items():
            group = members + pointed.get(commune, [])
            for a in range(len(members)):
                for b in range(a + 1, len(group)):
                    yield from other(group[a], group[b])
    # Shared identifiers, whatever the distance.
    for identifier in ("siret", "rna", "osm_id", "website", "phone"):
        holders: dict[str, list[int]] = defaultdict(list)
        for index, record in enumerate(records):
            value = getattr(record, identifier)
            if value:
                holders[value].append(index)
        for members in holders.values():
            if 1 < len(members) <= COMMON_IDENTIFIER:
                for a in range(len(members)):
                    for b in range(a + 1, len(members)):
                        yield from other(members[a], members[b])
