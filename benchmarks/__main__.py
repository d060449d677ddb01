"""Run every benchmark and print ONE JSON document on stdout; progress goes to stderr.

- referential_load: `maillage migrate` + `maillage load-referential --force` into a fresh
  temporary SQLite database (subprocess, DATABASE_URL), timed on the load step only.
- locate: 1,000,000 points spread like the population (communes drawn ∝ population, a random
  point of the commune's bounding box kept when inside it) + 2 % at sea or abroad, located by
  Maillage's locator and by geopandas.sjoin(predicate="intersects") on the same points.
"""

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

SEED = 20260101
N_POINTS = 1_000_000
OUTSIDE_SHARE = 0.02
# Boxes entirely at sea or abroad (Bay of Biscay, Mediterranean, Spain, Germany, England).
OUTSIDE_BOXES = [
    (-8.0, 44.0, -3.0, 47.0),
    (4.0, 38.0, 8.0, 42.5),
    (-6.0, 38.0, -1.0, 42.0),
    (9.0, 49.5, 13.0, 52.0),
    (-3.0, 51.5, 0.0, 53.0),
]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def bench_referential_load() -> dict[str, Any]:
    maillage = Path(sys.executable).with_name("maillage")
    with tempfile.TemporaryDirectory(prefix="maillage-bench-") as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3"}
        log("référentiel : migrate dans une base temporaire…")
        subprocess.run([maillage, "migrate", "--no-input", "-v", "0"], env=env, check=True)
        log("référentiel : load-referential --force…")
        start = time.perf_counter()
        done = subprocess.run(
            [maillage, "load-referential", "--force"],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        seconds = time.perf_counter() - start
    summary = json.loads(done.stdout)
    return {
        "seconds": round(seconds, 2),
        "target_seconds": 30,
        "meets_target": seconds <= 30,
        "territories": summary.get("territories_total"),
        "peak_rss_mb_children": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
    }


def population_points(codes_pop_bbox: list[tuple[str, int, list[float]]], geoms: Any) -> Any:
    import shapely

    rng = np.random.default_rng(SEED)
    pop = np.array([p for _, p, _ in codes_pop_bbox], dtype=float)
    bbox = np.array([b for _, _, b in codes_pop_bbox], dtype=float)
    n_inside = int(N_POINTS * (1 - OUTSIDE_SHARE))
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    while sum(len(x) for x in xs) < n_inside:
        pick = rng.choice(len(pop), size=n_inside, p=pop / pop.sum())
        x = rng.uniform(bbox[pick, 0], bbox[pick, 2])
        y = rng.uniform(bbox[pick, 1], bbox[pick, 3])
        keep = shapely.intersects_xy(geoms[pick], x, y)  # rejection sampling inside the commune
        xs.append(x[keep])
        ys.append(y[keep])
    x_in, y_in = np.concatenate(xs)[:n_inside], np.concatenate(ys)[:n_inside]
    boxes = np.array(OUTSIDE_BOXES)[rng.integers(len(OUTSIDE_BOXES), size=N_POINTS - n_inside)]
    x_out = rng.uniform(boxes[:, 0], boxes[:, 2])
    y_out = rng.uniform(boxes[:, 1], boxes[:, 3])
    order = rng.permutation(N_POINTS)
    return np.r_[x_in, x_out][order], np.r_[y_in, y_out][order]


def bench_locate() -> dict[str, Any]:
    import geopandas as gpd
    import pandas as pd

    from maillage.territories.locator import load_locator
    from maillage.territories.models import Territory

    log("locate : chargement des communes et construction de l'index…")
    start = time.perf_counter()
    locator = load_locator()
    load_and_build = time.perf_counter() - start
    from maillage.territories.locator import build_index

    start = time.perf_counter()
    build_index(locator.geoms)
    build = time.perf_counter() - start

    meta = {
        t[0]: (t[1] or 0, t[2])
        for t in Territory.objects.filter(id__in=list(locator.ids[:-1])).values_list(
            "id", "population", "bbox"
        )
    }
    rows = [(tid, *meta[tid]) for tid in locator.ids[:-1]]
    log("locate : tirage de 1 000 000 points selon la population…")
    lons, lats = population_points(rows, locator.geoms)

    def timed(fn: Any, repeat: int = 3) -> tuple[float, Any]:
        best, result = float("inf"), None
        for _ in range(repeat):
            start = time.perf_counter()
            result = fn()
            best = min(best, time.perf_counter() - start)
        return best, result

    log("locate : locator Maillage…")
    ours_s, ours = timed(lambda: locator.locate_indices(lons, lats))

    log("locate : geopandas.sjoin…")
    communes = gpd.GeoDataFrame(
        {"com": np.arange(len(locator.geoms))}, geometry=locator.geoms, crs="EPSG:4326"
    )
    communes.sindex  # noqa: B018 — built once, outside the timing, like our index

    def sjoin() -> Any:
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lons, lats), crs="EPSG:4326")
        return gpd.sjoin(points, communes, predicate="intersects", how="left")

    theirs_s, joined = timed(sjoin)
    # Points on a shared boundary match several communes: keep the lowest code, as we do
    # (communes are ordered by code, so the lowest index).
    matched = joined["com"].notna().to_numpy()
    best = pd.Series(joined["com"].to_numpy()[matched]).groupby(joined.index[matched]).min()
    theirs = np.full(len(lons), -1)
    theirs[best.index.to_numpy()] = best.to_numpy().astype(int)

    ours_rate = len(lons) / ours_s
    theirs_rate = len(lons) / theirs_s
    return {
        "points": len(lons),
        "points_outside_france": int((ours == -1).sum()),
        "points_matching_several_communes": int(matched.sum() - len(best)),
        "maillage_points_per_s": round(ours_rate),
        "geopandas_sjoin_points_per_s": round(theirs_rate),
        "ratio": round(ours_rate / theirs_rate, 2),
        "target_ratio": 1.5,
        "meets_target": ours_rate / theirs_rate >= 1.5,
        "differing_assignments": int((ours != theirs).sum()),
        "index_build_seconds": round(build, 2),
        "load_and_build_seconds": round(load_and_build, 2),
        "timing": "best of 3; sjoin timed with points creation, without tie resolution",
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    import django

    django.setup()
    result: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "referential_load": bench_referential_load(),
        "locate": bench_locate(),
    }
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
