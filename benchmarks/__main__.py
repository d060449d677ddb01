"""Run every benchmark and print ONE JSON document on stdout; progress goes to stderr.

- referential_load: `maillage migrate` + `maillage load-referential --force` into a fresh
  temporary SQLite database (subprocess, DATABASE_URL), timed on the load step only.
- locate: 1,000,000 points spread like the population (communes drawn ∝ population, a random
  point of the commune's bounding box kept when inside it) + 2 % at sea or abroad, located by
  Maillage's locator and by geopandas.sjoin(predicate="intersects") on the same points.
- imports: a generated CSV of initiatives (MAILLAGE_BENCH_IMPORT_ROWS rows, default
  1,000,000, 5 % bad rows) imported by `maillage import csv` into a fresh SQLite database,
  next to a raw sqlite3 executemany of the same rows (the ceiling), then re-imported
  (see benchmarks/imports.py).
- dedupe: duplicates injected into real records, Maillage vs splink, 200,000 records timed.
- indicators: `maillage indicators --recompute` over 1,000,000 generated initiatives
  (MAILLAGE_BENCH_INDICATOR_ROWS) on SQLite and PostgreSQL, DuckDB computing the same core
  figures as the reference (ratio, agreement), portrait latency, where the time goes
  (see benchmarks/indicators.py).
- footprint: the real Inside Airbnb listings of Lyon and Bordeaux (22,145 rows) imported and
  aggregated per commune, in one process and as commands (see benchmarks/footprint.py).
- registers: the real SIRENE periods file of Lyon 4e (58,228 rows) imported and aggregated
  by `maillage registers sirene` into a fresh SQLite database, re-imported, and its creations
  per year checked against DuckDB (see benchmarks/registers.py); target ≤ 5 s.
- soak: the production server (gunicorn as `make serve-prod` starts it) on this checkout's
  database, 20 concurrent clients for 30 s on the dep:35 portrait, then on the API's
  indicators: req/s, p50, p95, errors (see benchmarks/soak.py; `make soak` runs it alone).

`python -m benchmarks --only imports` runs one benchmark (repeatable); default: all.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.dedupe import bench_dedupe
from benchmarks.footprint import bench_footprint
from benchmarks.imports import bench_imports
from benchmarks.indicators import bench_indicators
from benchmarks.registers import bench_registers
from benchmarks.sampling import OUTSIDE_BOXES, population_points
from benchmarks.soak import bench_soak

SEED = 20260101
N_POINTS = 1_000_000
OUTSIDE_SHARE = 0.02


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
    rows = [meta[tid] for tid in locator.ids[:-1]]
    log("locate : tirage de 1 000 000 points selon la population…")
    lons, lats, _communes = population_points(
        [p for p, _ in rows], [b for _, b in rows], locator.geoms, N_POINTS,
        np.random.default_rng(SEED), OUTSIDE_SHARE, OUTSIDE_BOXES,
    )  # fmt: skip

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


BENCHMARKS: dict[str, Callable[[], dict[str, Any]]] = {
    "referential_load": bench_referential_load,
    "locate": bench_locate,
    "imports": bench_imports,
    "dedupe": bench_dedupe,
    "indicators": bench_indicators,
    "footprint": bench_footprint,
    "registers": bench_registers,
    "soak": bench_soak,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=list(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}; default: all",
    )
    only = parser.parse_args().only or list(BENCHMARKS)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    import django

    django.setup()
    result: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }
    for name, bench in BENCHMARKS.items():
        if name in only:
            result[name] = bench()
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
