"""The registers benchmark: the real SIRENE periods file of Lyon 4e (58,228 periods) imported
and aggregated by `maillage registers sirene`, end to end, into a fresh SQLite database.

1. A fresh temporary SQLite database: `maillage migrate` + `maillage load-referential` (the
   mapping table is loaded by the migrations).
2. `maillage registers sirene FILE --source bench` as a subprocess, timed wall clock (Python
   and Django start-up included): reading, checking every row, counting creations, closures,
   reopenings and stock per commune, year and code, rolling them up to France, mapping them
   to the typology and writing counts and series in one transaction. Its own `seconds` (the
   service, without start-up) is reported too. Target: ≤ 5 s wall clock.
3. The same command again (identical file: nothing to do), timed.
4. A DuckDB recomputation of the creations per year of the file (first dated period of each
   SIRET), compared with what the import stored for Lyon: any difference is reported.

The file is read from the raw-data folder (`../shared/data/raw` or MAILLAGE_RAW_DATA); without
it the benchmark says so and measures nothing.
"""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_SECONDS = 5.0
RAW_PATH = "sirene-periodes-lyon4e/periodes_sample.csv"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _run(maillage: Path, env: dict[str, str], args: list[str]) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    done = subprocess.run(
        [str(maillage), *args], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"maillage {' '.join(args)} : {done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout)


def _duckdb_creations(path: Path) -> dict[str, int]:
    """Creations per year, recomputed apart: the year of each SIRET's first dated period,
    when that period is not closed (the importer's definition, in SQL)."""
    import duckdb

    rows = duckdb.sql(
        f"""
        WITH dated AS (
            SELECT siret, CAST(dateDebut AS DATE) AS start, etat,
                   row_number() OVER (PARTITION BY siret ORDER BY CAST(dateDebut AS DATE)) AS n
            FROM read_csv('{path}', all_varchar = true)
            WHERE dateDebut IS NOT NULL AND dateDebut <> ''
        )
        SELECT year(start) AS y, count(*) FROM dated
        WHERE n = 1 AND coalesce(etat, '') <> 'F'
        GROUP BY y ORDER BY y
        """
    ).fetchall()
    return {str(year): count for year, count in rows}


def bench_registers() -> dict[str, Any]:
    from django.conf import settings

    path = Path(settings.RAW_DATA_DIR) / RAW_PATH
    if not path.is_file():
        return {"skipped": f"fichier absent : {path}"}
    maillage = Path(sys.executable).with_name("maillage")
    with tempfile.TemporaryDirectory(prefix="maillage-bench-registers-") as tmp_name:
        db = Path(tmp_name) / "bench.sqlite3"
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
        log("registres : migrate + load-referential dans une base temporaire…")
        subprocess.run([maillage, "migrate", "--no-input", "-v", "0"], env=env, check=True)
        subprocess.run(
            [maillage, "load-referential"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        args = ["registers", "sirene", str(path), "--source", "bench"]
        log("registres : import du fichier SIRENE de Lyon 4e…")
        first_s, first = _run(maillage, env, args)
        log("registres : même fichier, de nouveau…")
        again_s, again = _run(maillage, env, args)
        with sqlite3.connect(db) as connection:
            stored = dict(
                connection.execute(
                    "SELECT CAST(c.year AS TEXT), SUM(c.creations) FROM registers_registercount c "
                    "JOIN registers_registerimport r ON r.id = c.run_id "
                    "WHERE r.current AND c.territory_id = 'com:69123' GROUP BY c.year"
                ).fetchall()
            )
            counts_rows = connection.execute(
                "SELECT COUNT(*) FROM registers_registercount"
            ).fetchone()[0]
            series_rows = connection.execute(
                "SELECT COUNT(*) FROM registers_registerseries"
            ).fetchone()[0]
    log("registres : recalcul des créations par DuckDB…")
    reference = _duckdb_creations(path)
    stored = {year: int(n) for year, n in stored.items() if n}
    differing = sorted(
        year for year in set(reference) | set(stored) if reference.get(year) != stored.get(year)
    )
    return {
        "file": str(path),
        "rows": first["rows"],
        "outcomes": first["outcomes"],
        "establishments": first["establishments"],
        "seconds": round(first_s, 2),
        "service_seconds": first["seconds"],
        "rows_per_s": round(first["rows"] / first_s),
        "target_seconds": TARGET_SECONDS,
        "meets_target": first_s <= TARGET_SECONDS,
        "counts_rows": counts_rows,
        "series_rows": series_rows,
        "reimport_seconds": round(again_s, 2),
        "reimport_status": again["status"],
        "duckdb_creations_years_differing": differing,
        "timing": "wall clock of `maillage registers sirene` (Python and Django start-up included)",
    }
