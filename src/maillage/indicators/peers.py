"""Peer groups: which territories a territory is compared with.

INSEE's communal density grid is not among the bundled data, so the density class is read
from the population per km², with thresholds close to the grid's four classes:

- « dense » from 1,000 inhabitants per km², « intermédiaire » from 150, « peu dense » from 25,
  « très peu dense » below.

A territory's peers are the K territories of the same level and density class closest to it in
population (on a log scale): K = 30 communes, 20 EPCI, 10 départements, 5 régions. When its
class holds too few territories for that, the K closest of the level in population and density
together (log scale) are taken. The portrait lets the user pick their own comparison set
instead.
"""

from typing import Any

import numpy as np

from .inputs import Referential

PEERS_BY_LEVEL = {"com": 30, "epci": 20, "dep": 10, "reg": 5}
DENSITY_CLASSES = (
    (1000.0, "dense"),
    (150.0, "intermediaire"),
    (25.0, "peu-dense"),
    (0.0, "tres-peu-dense"),
)


def density_class(density: float) -> str:
    for floor, name in DENSITY_CLASSES:
        if density >= floor:
            return name
    return DENSITY_CLASSES[-1][1]


def _nearest_in_sorted(values: np.ndarray, k: int) -> np.ndarray:
    """For each of `values` (sorted), the indices of its k nearest others (1-D)."""
    n = len(values)
    offsets = np.arange(-k, k + 1)
    candidates = np.arange(n)[:, None] + offsets[None, :]
    valid = (candidates >= 0) & (candidates < n) & (offsets[None, :] != 0)
    clipped = np.clip(candidates, 0, n - 1)
    gaps = np.where(valid, np.abs(values[clipped] - values[:, None]), np.inf)
    chosen = np.argsort(gaps, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(clipped, chosen, axis=1)


def _nearest_2d(rows: np.ndarray, points: np.ndarray, k: int) -> np.ndarray:
    """For each row index, the k nearest other points (2-D), as indices into `points`."""
    distances = np.linalg.norm(points[rows][:, None, :] - points[None, :, :], axis=2)
    distances[np.arange(len(rows)), rows] = np.inf
    return np.argsort(distances, axis=1, kind="stable")[:, :k]


def peer_groups(referential: Referential, population: np.ndarray) -> list[dict[str, Any]]:
    """Per territory: its peers' ids, density class and the rule's inputs."""
    groups: list[dict[str, Any]] = [{"peers": [], "density_class": None} for _ in referential.ids]
    area = referential.area_km2
    for level, k in PEERS_BY_LEVEL.items():
        members = np.flatnonzero((referential.level == level) & (population > 0) & (area > 0))
        if len(members) < 2:
            continue
        k = min(k, len(members) - 1)
        log_pop = np.log10(population[members])
        density = population[members] / area[members]
        classes = np.array([density_class(d) for d in density], dtype=object)
        points = np.column_stack([log_pop, np.log10(density)])
        for name in np.unique(classes):
            in_class = np.flatnonzero(classes == name)
            if len(in_class) > k:
                order = in_class[np.argsort(log_pop[in_class], kind="stable")]
                nearest = order[_nearest_in_sorted(log_pop[order], k)]
                for position, member in enumerate(order.tolist()):
                    _fill(groups, referential, members, member, nearest[position], name)
            else:
                nearest = _nearest_2d(in_class, points, k)
                for position, member in enumerate(in_class.tolist()):
                    _fill(groups, referential, members, member, nearest[position], name)
    return groups


def _fill(
    groups: list[dict[str, Any]],
    referential: Referential,
    members: np.ndarray,
    member: int,
    peers: np.ndarray,
    density: str,
) -> None:
    groups[members[member]] = {
        "peers": [referential.ids[members[p]] for p in peers],
        "density_class": density,
    }
