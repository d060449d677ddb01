"""Points spread like the population, shared by the locate and imports benchmarks."""

from collections.abc import Sequence
from typing import Any

import numpy as np

Box = tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max

# Boxes entirely at sea or abroad (Bay of Biscay, Mediterranean, Spain, Germany, England).
OUTSIDE_BOXES: list[Box] = [
    (-8.0, 44.0, -3.0, 47.0),
    (4.0, 38.0, 8.0, 42.5),
    (-6.0, 38.0, -1.0, 42.0),
    (9.0, 49.5, 13.0, 52.0),
    (-3.0, 51.5, 0.0, 53.0),
]
SEA_BOXES: list[Box] = OUTSIDE_BOXES[:2]


def population_points(
    population: Sequence[float],
    bbox: Sequence[Sequence[float]],
    geoms: Any,
    n: int,
    rng: np.random.Generator,
    outside_share: float = 0.0,
    outside_boxes: Sequence[Box] = OUTSIDE_BOXES,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`n` points: communes drawn ∝ population, a random point of the commune's bounding box
    kept when inside the commune (rejection sampling); `outside_share` of them in
    `outside_boxes` instead. Returns lons, lats and the index of the drawn commune (-1 for
    the points outside), in random order."""
    import shapely

    pop = np.asarray(population, dtype=float)
    box = np.asarray(bbox, dtype=float)
    n_inside = int(n * (1 - outside_share))
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    picks: list[np.ndarray] = []
    while sum(len(x) for x in xs) < n_inside:
        pick = rng.choice(len(pop), size=n_inside, p=pop / pop.sum())
        x = rng.uniform(box[pick, 0], box[pick, 2])
        y = rng.uniform(box[pick, 1], box[pick, 3])
        keep = shapely.intersects_xy(geoms[pick], x, y)
        xs.append(x[keep])
        ys.append(y[keep])
        picks.append(pick[keep])
    x_in, y_in = np.concatenate(xs)[:n_inside], np.concatenate(ys)[:n_inside]
    pick_in = np.concatenate(picks)[:n_inside]
    boxes = np.array(outside_boxes)[rng.integers(len(outside_boxes), size=n - n_inside)]
    x_out = rng.uniform(boxes[:, 0], boxes[:, 2])
    y_out = rng.uniform(boxes[:, 1], boxes[:, 3])
    order = rng.permutation(n)
    communes = np.r_[pick_in, np.full(n - n_inside, -1)]
    return np.r_[x_in, x_out][order], np.r_[y_in, y_out][order], communes[order]
