"""The indicators benchmark: every figure of every territory recomputed over a million
initiatives, on SQLite and PostgreSQL, against the same core figures computed by DuckDB.

1. A fresh temporary SQLite database: `maillage migrate` + `maillage load-referential`.
2. MAILLAGE_BENCH_INDICATOR_ROWS generated initiatives (default 1,000,000) inserted directly
   with `sqlite3` `executemany` into `catalog_initiative`: published, live, unmerged, in a
   real commune drawn ∝ population, the point ~1 km around the commune's point (normal),
   a non-retired category drawn with realistic weights (≈ 5 % « à classer »), ≈ 5 % « projet »,
   3 % « ferme » and 2 % « en-sommeil » (only « actif » is counted),
   a creation date for ≈ 30 % (1995 – last year), first seen in the last 3 years, verified
   (last 2 years) for ≈ 15 %, one of 5 sources with their licences.
3. `maillage indicators --recompute` as a subprocess, twice (empty figures table, then
   replacing the figures): wall clock, the job's own `seconds` from its JSON summary, the
   phases read from its progress lines (elapsed seconds on stderr), peak RSS (VmHWM from
   /proc, sampled every 0.05 s).
4. PostgreSQL: a throw-away server started here like .ci/run (initdb in a temporary
   directory, pg_ctl on a free port, as the postgres user when root; fsync=off), or a fresh
   database created on the server of DATABASE_URL_PG; migrate + load-referential, the same
   rows copied with COPY, ANALYZE, then the same two timed runs. Skipped, with the reason,
   when neither is available.
5. DuckDB as the reference, in the same run: the initiatives, communes (with their EPCI,
   département, région and population), territories and categories read from the SQLite
   file with sqlite3 into Arrow tables (DuckDB's sqlite extension needs the network), then
   in SQL, for every territory of every level and every scope (all, each family, each
   category): count, per 10,000 inhabitants, share of the population living in a commune
   with one, projects, appeared, dated, verified. Timed (load + SQL); ratio = Maillage's job
   seconds / DuckDB's seconds. Agreement: DuckDB's figures against Maillage's stored
   `TerritoryFigures.figures` of every territory, on SQLite and on PostgreSQL (mismatches
   counted per figure, should be 0).
6. Portrait latency on the SQLite database, in a child process: reg:53 and 20 other
   territories of every level, 50 times each, through the Django test Client on
   /territoires/<id>/portrait/?format=json when that URL answers JSON, else
   `selectors.portrait()` called directly (said in `portrait.method`).
7. Where the SQLite recompute time goes: the same command under cProfile in a child process
   (cumulative seconds of the engine's functions, and the top functions by own time).

Everything lives in temporary directories removed at the end (the PostgreSQL server too).
"""

import datetime
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

SEED = 20260105
ROWS_ENV = "MAILLAGE_BENCH_INDICATOR_ROWS"
PG_URL_ENV = "DATABASE_URL_PG"
DEFAULT_ROWS = 1_000_000
PORTRAIT_REPEAT = 50
TARGETS = {
    "recompute_seconds_sqlite": 10,
    "recompute_seconds_postgresql": 10,
    "portrait_p95_ms": 200,
    "duckdb_mismatches": 0,
}
PGBIN = Path("/usr/lib/postgresql/15/bin")
UNCLASSIFIED_SHARE = 0.05
PROJECT_SHARE = 0.05
CLOSED_SHARE = 0.03  # status « ferme »: created once, no longer counted
DORMANT_SHARE = 0.02  # « en-sommeil »
DATED_SHARE = 0.30
VERIFIED_SHARE = 0.15
SPREAD_KM = 1.0
# Weights of the categories among initiatives (others: 1), close to what real files hold.
WEIGHTS = {
    "covoiturage": 14, "boites-a-livres": 12, "jardin-partage": 7, "amap": 6, "repair-cafe": 5,
    "coworking": 5, "tiers-lieu": 4, "ressourcerie": 4, "velos-partages": 4, "fablab": 3,
    "supermarche-cooperatif": 3, "anti-gaspillage": 3, "autopartage": 2, "don-objets": 2,
    "seconde-main": 2, "sel-banque-temps": 2, "energie-citoyenne": 2, "habitat-participatif": 1.5,
}  # fmt: skip
SOURCES = [  # (name, licence, weight)
    ("OpenStreetMap", "ODbL-1.0", 0.40),
    ("Transiscope", "ODbL-1.0", 0.20),
    ("Base nationale des lieux de covoiturage", "Licence Ouverte 2.0", 0.20),
    ("France Tiers-Lieux", "Licence Ouverte 2.0", 0.10),
    ("Saisie Maillage", "CC-BY-4.0", 0.10),
]
# Territories timed by the portrait benchmark (reg:53 first); the EPCI of some communes too.
PORTRAIT_TERRITORIES = [
    "reg:53", "fr", "reg:11", "reg:84", "reg:94", "dep:35", "dep:75", "dep:2A", "dep:974",
    "dep:48", "com:35238", "com:75056", "com:13055", "com:69123", "com:29019", "com:48095",
    "com:01001",
]  # fmt: skip
EPCI_OF = ["com:35238", "com:69123", "com:48095", "com:01001"]
# (column, value) of the NOT NULL columns the benchmark does not vary.
CONSTANTS = [
    ("description", ""), ("counterpart", ""), ("carrier", ""), ("network", ""),
    ("location_precision", "address"), ("address", ""), ("postcode", ""),
    ("commune_method", "point"), ("website", ""), ("siret", ""), ("rna", ""), ("osm_id", ""),
    ("contact_name", ""), ("contact_email", ""), ("contact_phone", ""),
    ("contact_is_personal", False), ("contact_legal_basis", ""), ("source_url", ""),
    ("category_rule", ""), ("field_sources", "{}"), ("published", True),
    ("archived_at", None), ("merged_into_id", None), ("opened_on", None),
    ("closed_on", None),
]  # fmt: skip
VARYING = [
    "name", "status", "created_on", "first_seen_on", "appeared_on", "last_verified_on", "lon",
    "lat",
    "insee_code", "commune_id", "category_id", "source_name", "source_licence",
    "created_at", "updated_at",
]  # fmt: skip
COLUMNS = VARYING + [c for c, _v in CONSTANTS]
APPEARED_SHARE = 0.3
# The figures of a TerritoryFigures scope compared with DuckDB's (named as in
# maillage.indicators.compute.ScopeFigures, whose order the stored lists follow).
COMPARED = ("count", "per_10k", "commune_share", "projects", "appeared", "dated", "verified")
TOLERANCE = {"per_10k": 1.01e-3, "commune_share": 1.01e-4}  # one unit of the stored rounding


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _maillage() -> str:
    return str(Path(sys.executable).with_name("maillage"))


def _prepare(env: dict[str, str], work: Path) -> None:
    subprocess.run([_maillage(), "migrate", "--no-input", "-v", "0"], env=env, check=True)
    subprocess.run(
        [_maillage(), "load-referential"],
        env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _declare_coverage(env, work)


def _declare_coverage(env: dict[str, str], work: Path) -> None:
    """A source declaring every family over France (imported through the real command, one
    row), so that the figures are computed and compared as with real, covering sources: with
    no coverage every scope would be « non couvert » and the portrait would skip its peers."""
    import maillage

    typology = Path(maillage.__file__).parent / "catalog" / "data" / "typology.json"
    families = [f["code"] for f in json.loads(typology.read_text("utf-8"))["families"]]
    path = work / "couverture.csv"
    path.write_text("Nom,lat,lon\nRecensement national,48.1113,-1.68\n", encoding="utf-8")
    subprocess.run(
        [_maillage(), "import", "csv", str(path), "--source", "couverture-bench",
         "--category", "amap", "--covers", ",".join(families), "--area", "fr",
         "--licence", "Licence Ouverte 2.0"],
        env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


# --- the generated inventory ---------------------------------------------------------------


def _communes(db: Path) -> dict[str, Any]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT id, code, population, point_lon, point_lat FROM territories_territory "
        "WHERE level = 'com' AND population > 0 AND point_lon IS NOT NULL ORDER BY code"
    ).fetchall()
    categories = [
        code
        for (code,) in con.execute(
            "SELECT c.code FROM catalog_category c JOIN catalog_family f ON f.code = c.family_id "
            "WHERE NOT c.retired ORDER BY f.position, c.position, c.code"
        )
    ]
    con.close()
    return {
        "ids": [r[0] for r in rows],
        "codes": [r[1] for r in rows],
        "population": np.array([r[2] for r in rows], dtype=float),
        "lon": np.array([r[3] for r in rows], dtype=float),
        "lat": np.array([r[4] for r in rows], dtype=float),
        "categories": categories,
    }


def _iso_days(ordinals: np.ndarray) -> np.ndarray:
    """Proleptic ordinals (datetime.date.toordinal) → 'YYYY-MM-DD' strings."""
    epoch = datetime.date(1970, 1, 1).toordinal()
    return (np.datetime64("1970-01-01") + (ordinals - epoch).astype("timedelta64[D]")).astype(str)


def generate(n: int, ref: dict[str, Any], today: datetime.date) -> dict[str, Any]:
    """The varying columns of n initiatives, as Python lists (None for NULL)."""
    rng = np.random.default_rng(SEED)
    p = ref["population"] / ref["population"].sum()
    commune = rng.choice(len(p), size=n, p=p)
    lat = ref["lat"][commune] + rng.normal(0, SPREAD_KM / 111.2, n)
    lon = ref["lon"][commune] + rng.normal(0, SPREAD_KM, n) / (
        111.2 * np.cos(np.radians(ref["lat"][commune]))
    )
    codes = ref["categories"]
    weights = np.array([WEIGHTS.get(c, 1.0) for c in codes])
    category = rng.choice(len(codes), size=n, p=weights / weights.sum())
    unclassified = rng.random(n) < UNCLASSIFIED_SHARE
    draw = rng.random(n)
    status = np.select(
        [draw < PROJECT_SHARE, draw < PROJECT_SHARE + CLOSED_SHARE,
         draw < PROJECT_SHARE + CLOSED_SHARE + DORMANT_SHARE],
        ["projet", "ferme", "en-sommeil"],
        "actif",
    )  # fmt: skip

    first = datetime.date(1995, 1, 1).toordinal()
    last_year_end = datetime.date(today.year - 1, 12, 31).toordinal()
    now = today.toordinal()
    created = _iso_days(rng.integers(first, last_year_end + 1, size=n)).astype(object)
    created[rng.random(n) >= DATED_SHARE] = None
    seen = _iso_days(now - rng.integers(0, 3 * 365 + 1, size=n))
    # Brought by a later harvest of their source (the others came with its first one).
    appeared = seen.astype(object)
    appeared[rng.random(n) >= APPEARED_SHARE] = None
    verified = _iso_days(now - rng.integers(0, 2 * 365 + 1, size=n)).astype(object)
    verified[rng.random(n) >= VERIFIED_SHARE] = None
    source = rng.choice(len(SOURCES), size=n, p=[w for _n, _l, w in SOURCES])

    category_ids = np.array(codes, dtype=object)[category]
    category_ids[unclassified] = None
    ids = np.array(ref["ids"], dtype=object)[commune]
    insee = np.array(ref["codes"], dtype=object)[commune]
    return {
        "name": [f"Initiative {i + 1}" for i in range(n)],
        "status": status.tolist(),
        "created_on": created.tolist(),
        "first_seen_on": seen.tolist(),
        "appeared_on": appeared.tolist(),
        "last_verified_on": verified.tolist(),
        "lon": np.round(lon, 6).tolist(),
        "lat": np.round(lat, 6).tolist(),
        "insee_code": insee.tolist(),
        "commune_id": ids.tolist(),
        "category_id": category_ids.tolist(),
        "source_name": [SOURCES[s][0] for s in source.tolist()],
        "source_licence": [SOURCES[s][1] for s in source.tolist()],
    }


def _rows(data: dict[str, Any], stamp: Any) -> list[tuple]:
    n = len(data["name"])
    constants = [v for _c, v in CONSTANTS]
    stamps = [stamp] * n
    varying = [data[c] for c in VARYING[:-2]] + [stamps, stamps]
    return [(*row, *constants) for row in zip(*varying, strict=True)]


def insert_sqlite(db: Path, data: dict[str, Any]) -> float:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = _rows(data, stamp)
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    start = time.perf_counter()
    con.execute("BEGIN")
    marks = ", ".join("?" * len(COLUMNS))
    con.executemany(f"INSERT INTO catalog_initiative ({', '.join(COLUMNS)}) VALUES ({marks})", rows)
    con.execute("COMMIT")
    con.execute("ANALYZE")
    seconds = time.perf_counter() - start
    con.close()
    return seconds


# --- timing the recompute ------------------------------------------------------------------

PROGRESS = re.compile(r"^\[\s*([\d.]+) s\] (.*)$")


def _phases(stderr: str, wall: float) -> dict[str, float]:
    """Seconds between the command's progress lines (read, compute + serialise, write), and
    what the wall clock adds (interpreter and Django start-up, exit)."""
    marks = [(float(m[1]), m[2]) for line in stderr.splitlines() if (m := PROGRESS.match(line))]
    names = {
        "lecture": "read_referential_and_inventory",
        "calcul": "run_row_delete_compute_serialise",
        "écriture": "write_figures_commit",
    }
    phases: dict[str, float] = {}
    for (at, text), (following, _t) in zip(marks, marks[1:], strict=False):
        key = next((v for k, v in names.items() if k in text), None)
        if key:
            phases[key] = round(following - at, 2)
    if marks:
        phases["startup_and_exit"] = round(wall - marks[-1][0], 2)
    return phases


def _high_water_kb(pid: int) -> int:
    """VmHWM of a process: the peak RSS of its own memory since exec (wait4's ru_maxrss would
    also count the parent's pages at fork time)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_recompute(env: dict[str, str], work: Path, label: str) -> dict[str, Any]:
    out, err = work / f"{label}.out", work / f"{label}.err"
    peak_kb = 0
    with out.open("w") as stdout, err.open("w") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(
            [_maillage(), "indicators", "--recompute"], env=env, stdout=stdout, stderr=stderr
        )
        while process.poll() is None:
            peak_kb = max(peak_kb, _high_water_kb(process.pid))
            time.sleep(0.05)
        seconds = time.perf_counter() - start
    text = err.read_text(encoding="utf-8")
    for line in text.splitlines():
        log(f"  {label} | {line}")
    if process.returncode != 0:
        raise RuntimeError(f"maillage indicators a échoué ({process.returncode}) : {text[-2000:]}")
    summary = json.loads(out.read_text(encoding="utf-8"))
    return {
        "wall_seconds": round(seconds, 2),
        "job_seconds": summary.get("seconds"),
        "initiatives": summary.get("initiatives"),
        "territories": summary.get("territories"),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "phases": _phases(text, seconds),
    }


def time_recompute(env: dict[str, str], work: Path, name: str) -> dict[str, Any]:
    log(f"indicators : {name} — recompute (table des chiffres vide)…")
    first = run_recompute(env, work, f"{name}-1")
    log(f"indicators : {name} — recompute (chiffres remplacés)…")
    second = run_recompute(env, work, f"{name}-2")
    worst = max(first["job_seconds"], second["job_seconds"])
    return {
        "first": first,
        "second": second,
        "job_seconds_worst": worst,
        "wall_seconds_worst": max(first["wall_seconds"], second["wall_seconds"]),
    }


# --- PostgreSQL ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """A throw-away PostgreSQL 15 server (like .ci/run), or a fresh database on DATABASE_URL_PG."""

    def __init__(self) -> None:
        self.root: Path | None = None
        self.admin_url: str | None = None
        self.url: str | None = None
        self.dbname = f"maillage_bench_{os.getpid()}"
        self.description = ""

    def _as_postgres(self, args: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if os.getuid() == 0 else args

    def start(self) -> str | None:
        """The URL of a fresh database, or None with self.description saying why not."""
        import psycopg

        given = os.environ.get(PG_URL_ENV)
        if given:
            self.admin_url = given
            self.description = f"server of {PG_URL_ENV}, fresh database {self.dbname}"
        else:
            if not (PGBIN / "initdb").exists():
                self.description = f"no PostgreSQL binaries in {PGBIN} and no {PG_URL_ENV}"
                return None
            self.root = Path(tempfile.mkdtemp(prefix="maillage-bench-pg-"))
            port = _free_port()
            if os.getuid() == 0:
                shutil.chown(self.root, "postgres")
            data, logfile = self.root / "data", self.root / "log"
            subprocess.run(
                self._as_postgres(
                    [str(PGBIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                     "-E", "UTF8", "--locale=C.UTF-8"]
                ),
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            options = f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
            subprocess.run(
                self._as_postgres(
                    [str(PGBIN / "pg_ctl"), "-D", str(data), "-l", str(logfile), "-w", "-o",
                     options, "start"]
                ),
                check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            self.admin_url = f"postgres://postgres@127.0.0.1:{port}/postgres"
            self.description = (
                "PostgreSQL 15 started here (initdb in a temporary directory, fsync=off, "
                "default shared_buffers)"
            )
        with psycopg.connect(self.admin_url, autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{self.dbname}"')
            self.version = con.execute("SHOW server_version").fetchone()[0]
        self.url = self.admin_url.rsplit("/", 1)[0] + f"/{self.dbname}"
        return self.url

    def stop(self) -> None:
        import psycopg

        if self.url and self.admin_url and not self.root:
            try:
                with psycopg.connect(self.admin_url, autocommit=True) as con:
                    con.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
            except psycopg.Error as exc:
                log(f"indicators : base {self.dbname} non supprimée : {exc}")
        if self.root:
            subprocess.run(
                self._as_postgres(
                    [str(PGBIN / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate",
                     "stop"]
                ),
                check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            shutil.rmtree(self.root, ignore_errors=True)


def copy_postgres(url: str, data: dict[str, Any]) -> float:
    import psycopg

    stamp = datetime.datetime.now(datetime.UTC)
    rows = _rows(data, stamp)
    start = time.perf_counter()
    sql = f"COPY catalog_initiative ({', '.join(COLUMNS)}) FROM STDIN"
    with psycopg.connect(url) as con, con.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("ANALYZE")
    return time.perf_counter() - start


def stored_postgres(url: str) -> tuple[dict[str, dict], str | None]:
    import psycopg

    with psycopg.connect(url) as con:
        rows = con.execute(
            "SELECT territory_id, figures FROM indicators_territoryfigures"
        ).fetchall()
        ref = con.execute("SELECT max(reference_date) FROM indicators_indicatorrun").fetchone()[0]
    return dict(rows), ref.isoformat() if ref else None


def stored_sqlite(db: Path) -> tuple[dict[str, dict], str | None]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute("SELECT territory_id, figures FROM indicators_territoryfigures").fetchall()
    (ref,) = con.execute("SELECT max(reference_date) FROM indicators_indicatorrun").fetchone()
    con.close()
    return {t: json.loads(f) for t, f in rows}, ref


# --- DuckDB reference ----------------------------------------------------------------------

DUCKDB_SQL = """
WITH inv AS (
    SELECT i.commune_id, c.code AS cat, c.family_id AS fam,
           i.status = 'actif' AS active,
           i.status = 'projet' AS projet,
           i.appeared_on >= $year_ago AS appeared,
           i.last_verified_on >= $year_ago AS verified,
           coalesce(i.created_on, i.opened_on) IS NOT NULL AS dated
    FROM initiatives i
    LEFT JOIN categories c ON c.code = i.category_id
    WHERE i.published <> 0 AND i.archived_at IS NULL AND i.merged_into_id IS NULL
      AND i.commune_id IS NOT NULL
),
scoped AS (
    SELECT commune_id, 'all' AS scope, active, projet, appeared, verified, dated FROM inv
    UNION ALL
    SELECT commune_id, 'fam:' || fam, active, projet, appeared, verified, dated FROM inv
    WHERE fam IS NOT NULL
    UNION ALL
    SELECT commune_id, 'cat:' || cat, active, projet, appeared, verified, dated FROM inv
    WHERE cat IS NOT NULL
),
per_commune AS (
    SELECT commune_id, scope, count(*) FILTER (WHERE active) AS n,
           count(*) FILTER (WHERE projet) AS projects,
           count(*) FILTER (WHERE active AND appeared) AS appeared,
           count(*) FILTER (WHERE active AND dated) AS dated,
           count(*) FILTER (WHERE active AND verified) AS verified
    FROM scoped GROUP BY ALL
),
links AS (
    SELECT l.commune_id, l.territory_id, l.population
    FROM (
        SELECT id AS commune_id, id AS territory_id, coalesce(population, 0) AS population
        FROM communes
        UNION ALL SELECT id, epci_id, coalesce(population, 0) FROM communes
        UNION ALL SELECT id, departement_id, coalesce(population, 0) FROM communes
        UNION ALL SELECT id, region_id, coalesce(population, 0) FROM communes
        UNION ALL SELECT id, 'fr', coalesce(population, 0) FROM communes
    ) l
    JOIN territories t ON t.id = l.territory_id
),
pop AS (
    SELECT territory_id, sum(population) AS population FROM links GROUP BY ALL
),
summed AS (
    SELECT l.territory_id, p.scope, sum(p.n) AS n,
           coalesce(sum(l.population) FILTER (WHERE p.n > 0), 0) AS commune_pop,
           sum(p.projects) AS projects, sum(p.appeared) AS appeared, sum(p.dated) AS dated,
           sum(p.verified) AS verified
    FROM per_commune p JOIN links l USING (commune_id)
    GROUP BY ALL
)
SELECT s.territory_id, s.scope, s.n::BIGINT AS count,
       round(s.n / nullif(pop.population, 0) * 10000, 3) AS per_10k,
       round(s.commune_pop / nullif(pop.population, 0), 4) AS commune_share,
       s.projects::BIGINT AS projects, s.appeared::BIGINT AS appeared, s.dated::BIGINT AS dated,
       s.verified::BIGINT AS verified
FROM summed s JOIN pop USING (territory_id)
WHERE s.n > 0 OR s.projects > 0
"""


def duckdb_reference(db: Path, reference_date: str) -> dict[str, Any]:
    """Load the tables from the SQLite file into DuckDB (via Arrow) and compute the figures."""
    import duckdb
    import pyarrow as pa

    start = time.perf_counter()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    tables = {
        "initiatives": (
            "SELECT commune_id, category_id, status, created_on, opened_on, appeared_on, "
            "last_verified_on, published, archived_at, merged_into_id FROM catalog_initiative"
        ),
        "communes": (
            "SELECT id, epci_id, departement_id, region_id, population "
            "FROM territories_territory WHERE level = 'com'"
        ),
        "territories": "SELECT id, level, population FROM territories_territory",
        "categories": "SELECT code, family_id FROM catalog_category WHERE NOT retired",
    }
    types = {
        "published": pa.int64(),
        "archived_at": pa.string(),
        "merged_into_id": pa.int64(),
        "population": pa.int64(),
    }
    arrow: dict[str, Any] = {}
    for name, sql in tables.items():
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        columns = list(zip(*cursor.fetchall(), strict=True))
        arrow[name] = pa.table(
            {
                c: pa.array(v, type=types.get(c, pa.string()))
                for c, v in zip(names, columns, strict=True)
            }
        )
    con.close()
    duck = duckdb.connect()
    for name, table in arrow.items():
        duck.register(f"{name}_arrow", table)
    # Typed tables, as DuckDB would hold them after reading the SQLite file itself.
    duck.execute(
        "CREATE TABLE initiatives AS SELECT commune_id, category_id, status, "
        "created_on::DATE AS created_on, opened_on::DATE AS opened_on, "
        "appeared_on::DATE AS appeared_on, last_verified_on::DATE AS last_verified_on, "
        "published, archived_at, merged_into_id FROM initiatives_arrow"
    )
    for name in ("communes", "territories", "categories"):
        duck.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrow")
    load = time.perf_counter() - start

    year_ago = datetime.date.fromisoformat(reference_date) - datetime.timedelta(days=365)
    start = time.perf_counter()
    result = duck.sql(DUCKDB_SQL, params={"year_ago": year_ago}).to_arrow_table()
    compute = time.perf_counter() - start
    duck.close()
    return {
        "load_seconds": load,
        "compute_seconds": compute,
        "seconds": load + compute,
        "rows": result.num_rows,
        "figures": result.to_pydict(),
        "threads": os.cpu_count(),
    }


def agreement(reference: dict[str, list], stored: dict[str, dict]) -> dict[str, Any]:
    """DuckDB's figures against Maillage's stored documents, every territory and scope."""
    from maillage.indicators.compute import ScopeFigures

    mismatches = dict.fromkeys(COMPARED, 0)
    examples: list[Any] = []
    seen: set[tuple[str, str]] = set()
    missing_territories = 0
    columns = [reference[c] for c in ("territory_id", "scope", *COMPARED)]
    for territory, scope, *values in zip(*columns, strict=True):
        seen.add((territory, scope))
        figures = stored.get(territory)
        if figures is None:
            missing_territories += 1
            continue
        ours = figures["scopes"].get(scope)
        named = ScopeFigures(*ours)._asdict() if ours else None
        for name, theirs in zip(COMPARED, values, strict=True):
            mine = named[name] if named else (None if name in TOLERANCE else 0)
            if name in TOLERANCE:
                same = (mine is None) == (theirs is None) and (
                    mine is None or abs(mine - theirs) <= TOLERANCE[name]
                )
            else:
                same = mine == theirs
            if not same:
                mismatches[name] += 1
                if len(examples) < 5:
                    examples.append([territory, scope, name, mine, theirs])
    # Scopes Maillage counts that DuckDB found empty.
    extra = 0
    for territory, figures in stored.items():
        for scope, values in figures["scopes"].items():
            count = ScopeFigures(*values).count
            if count and (territory, scope) not in seen:
                extra += 1
                if len(examples) < 5:
                    examples.append([territory, scope, "count", count, 0])
    total = sum(mismatches.values()) + extra + missing_territories
    return {
        "mismatches": total,
        "by_figure": mismatches,
        "scopes_counted_only_by_maillage": extra,
        "territories_missing_in_maillage": missing_territories,
        "compared_territory_scopes": len(seen),
        "examples": examples,
    }


# --- portrait latency ----------------------------------------------------------------------

PORTRAIT_SCRIPT = r"""
import json, os, sys, time
import django
django.setup()
from django.test import Client
from maillage.indicators import selectors
from maillage.territories.models import Territory

wanted, epci_of, repeat = json.loads(sys.argv[1])
known = set(Territory.objects.filter(id__in=wanted).values_list("id", flat=True))
ids = [t for t in wanted if t in known]
epcis = dict(Territory.objects.filter(id__in=epci_of).values_list("id", "epci_id"))
ids += [epcis[c] for c in epci_of if epcis.get(c) and epcis[c] not in ids]
client = Client(HTTP_HOST="localhost")
url = "/territoires/{}/portrait/?format=json"
probe = client.get(url.format(ids[0]))
via_client = probe.status_code == 200 and "json" in probe.get("Content-Type", "")
if via_client:
    def call(tid):
        response = client.get(url.format(tid))
        assert response.status_code == 200, (tid, response.status_code)
        return len(response.content)
else:
    def call(tid):
        return len(json.dumps(selectors.portrait(tid), ensure_ascii=False))
sizes = {tid: call(tid) for tid in ids}  # warm-up, once each
times = {tid: [] for tid in ids}
for _ in range(repeat):
    for tid in ids:
        start = time.perf_counter()
        call(tid)
        times[tid].append((time.perf_counter() - start) * 1000)
print(json.dumps({"via_client": via_client, "probe_status": probe.status_code,
                  "times": times, "sizes": sizes}))
"""


def _percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 2)


def portrait_latency(env: dict[str, str]) -> dict[str, Any]:
    arguments = json.dumps([PORTRAIT_TERRITORIES, EPCI_OF, PORTRAIT_REPEAT])
    done = subprocess.run(
        [sys.executable, "-c", PORTRAIT_SCRIPT, arguments],
        env={**env, "DJANGO_SETTINGS_MODULE": "maillage.settings"},
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    data = json.loads(done.stdout)
    times: dict[str, list[float]] = data["times"]
    every = [t for values in times.values() for t in values]
    per_territory = {
        tid: {"p50_ms": _percentile(v, 50), "p95_ms": _percentile(v, 95)}
        for tid, v in times.items()
    }
    slowest = max(per_territory, key=lambda t: per_territory[t]["p95_ms"])
    method = (
        "Django test Client GET /territoires/<id>/portrait/?format=json"
        if data["via_client"]
        else "selectors.portrait() called directly and json.dumps'd: "
        f"/territoires/<id>/portrait/?format=json answered {data['probe_status']}"
    )
    return {
        "method": method,
        "territories": len(times),
        "calls_per_territory": PORTRAIT_REPEAT,
        "warm_up": "one call per territory before timing",
        "p50_ms": _percentile(every, 50),
        "p95_ms": _percentile(every, 95),
        "max_ms": round(max(every), 2),
        "reg53_p50_ms": per_territory.get("reg:53", {}).get("p50_ms"),
        "reg53_p95_ms": per_territory.get("reg:53", {}).get("p95_ms"),
        "slowest_territory": [slowest, per_territory[slowest]],
        "per_territory": per_territory,
        "response_bytes": data["sizes"],
    }


# --- profile -------------------------------------------------------------------------------

PROFILE_SCRIPT = r"""
import contextlib, cProfile, io, json, pstats, sys
import django
django.setup()
from django.core.management import call_command

profiler = cProfile.Profile()
profiler.enable()
with contextlib.redirect_stdout(io.StringIO()):  # the command's own JSON summary
    call_command("indicators", recompute=True)
profiler.disable()
stats = pstats.Stats(profiler)
wanted = json.loads(sys.argv[1])
cumulative = {}
for (filename, line, function), (cc, nc, tt, ct, callers) in stats.stats.items():
    for label, (suffix, name) in wanted.items():
        if filename.endswith(suffix) and function == name:
            cumulative[label] = round(cumulative.get(label, 0) + ct, 2)
        elif suffix == "~" and filename == "~" and name in function:
            cumulative[label] = round(cumulative.get(label, 0) + ct, 2)
inner = ("matrices", "creations", "sources", "peer_groups")
if "documents_generator" in cumulative:
    cumulative["documents_loop_only"] = round(
        cumulative["documents_generator"] - sum(cumulative.get(k, 0) for k in inner), 2
    )
top = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:15]
print(json.dumps({
    "total_seconds": round(stats.total_tt, 2),
    "cumulative": cumulative,
    "top_own_time": [
        [f"{f.rsplit('/site-packages/', 1)[-1].rsplit('/src/', 1)[-1]}:{l}({n})", round(tt, 2),
         round(ct, 2), nc]
        for (f, l, n), (cc, nc, tt, ct, callers) in top
    ],
}))
"""
# label → (file suffix, function name); "~" matches built-ins by a part of their name.
PROFILED = {
    "recompute_total": ("indicators/services.py", "recompute"),
    "load_referential": ("indicators/inputs.py", "load_referential"),
    "load_typology": ("indicators/inputs.py", "load_typology"),
    "load_inventory": ("indicators/inputs.py", "load_inventory"),
    "inventory_fetchall": ("~", "fetchall"),
    "matrices": ("indicators/compute.py", "matrices"),
    "within_reach": ("indicators/reach.py", "within_reach"),
    "creations": ("indicators/compute.py", "_creations"),
    "sources": ("indicators/compute.py", "_sources"),
    "peer_groups": ("indicators/peers.py", "peer_groups"),
    "documents_generator": ("indicators/compute.py", "documents"),
    "orjson_dumps": ("~", "orjson.dumps"),
    "delete_old_figures": ("django/db/models/query.py", "delete"),
    "write_figures": ("core/fastwrite.py", "insert"),
}


def profile_recompute(env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", PROFILE_SCRIPT, json.dumps(PROFILED)],
        env={**env, "DJANGO_SETTINGS_MODULE": "maillage.settings"},
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(done.stdout)


# --- the benchmark -------------------------------------------------------------------------


def _postgres(data: dict[str, Any], work: Path) -> dict[str, Any]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return {"skipped": "psycopg is not installed"}
    server = PgServer()
    try:
        try:
            url = server.start()
        except (subprocess.CalledProcessError, OSError) as exc:
            return {"skipped": f"PostgreSQL server could not start: {exc}"}
        except Exception as exc:  # psycopg.Error and friends: unreachable server
            return {"skipped": f"PostgreSQL unreachable: {exc}"}
        if url is None:
            return {"skipped": server.description}
        env = {**os.environ, "DATABASE_URL": url}
        log("indicators : PostgreSQL — migrate + load-referential…")
        _prepare(env, work)
        log(f"indicators : PostgreSQL — COPY de {len(data['name']):,} initiatives…")
        copy_seconds = copy_postgres(url, data)
        timed = time_recompute(env, work, "postgresql")
        stored, reference = stored_postgres(url)
        return {
            "server": server.description,
            "version": server.version,
            "copy_seconds": round(copy_seconds, 1),
            **timed,
            "_stored": stored,
            "_reference_date": reference,
        }
    finally:
        server.stop()


def bench_indicators() -> dict[str, Any]:
    n = int(os.environ.get(ROWS_ENV, DEFAULT_ROWS))
    started = time.perf_counter()
    from django.utils import timezone

    today = timezone.localdate()  # what the command counts from
    with tempfile.TemporaryDirectory(prefix="maillage-bench-indicators-") as tmp_name:
        work = Path(tmp_name)
        db = work / "bench.sqlite3"
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
        log("indicators : migrate + load-referential dans une base SQLite temporaire…")
        _prepare(env, work)
        log(f"indicators : génération de {n:,} initiatives…")
        t0 = time.perf_counter()
        data = generate(n, _communes(db), today)
        generation = time.perf_counter() - t0
        log("indicators : insertion (executemany sqlite3)…")
        insert_seconds = insert_sqlite(db, data)

        sqlite_timed = time_recompute(env, work, "sqlite")
        stored, reference_date = stored_sqlite(db)

        log("indicators : DuckDB (référence)…")
        duck = duckdb_reference(db, reference_date or today.isoformat())
        sqlite_agreement = agreement(duck["figures"], stored)
        del stored

        log("indicators : portrait (latence)…")
        portrait = portrait_latency(env)

        log("indicators : profil du recalcul SQLite (cProfile)…")
        profile = profile_recompute(env)

        pg = _postgres(data, work)
        del data
        pg_agreement = None
        if "_stored" in pg:
            if pg.pop("_reference_date") == reference_date:
                pg_agreement = agreement(duck["figures"], pg.pop("_stored"))
            else:
                pg.pop("_stored")
                pg_agreement = {"skipped": "reference date changed between the two runs"}

    sqlite_seconds = sqlite_timed["job_seconds_worst"]
    pg_seconds = pg.get("job_seconds_worst")
    mismatches = sqlite_agreement["mismatches"] + (
        (pg_agreement or {}).get("mismatches", 0) if pg_agreement else 0
    )
    measured = {
        "recompute_seconds_sqlite": sqlite_seconds,
        "recompute_seconds_postgresql": pg_seconds,
        "portrait_p95_ms": portrait["p95_ms"],
        "duckdb_mismatches": mismatches,
    }
    meets = {
        "recompute_seconds_sqlite": sqlite_seconds <= TARGETS["recompute_seconds_sqlite"],
        "recompute_seconds_postgresql": (
            None if pg_seconds is None else pg_seconds <= TARGETS["recompute_seconds_postgresql"]
        ),
        "portrait_p95_ms": portrait["p95_ms"] <= TARGETS["portrait_p95_ms"],
        "duckdb_mismatches": mismatches == 0,
    }
    duck_seconds = duck["seconds"]
    return {
        "rows": n,
        "rows_env": ROWS_ENV,
        "generation_seconds": round(generation, 1),
        "sqlite_insert_seconds": round(insert_seconds, 1),
        "sqlite": sqlite_timed,
        "postgresql": pg,
        "duckdb": {
            "load_seconds": round(duck["load_seconds"], 2),
            "compute_seconds": round(duck["compute_seconds"], 2),
            "seconds": round(duck_seconds, 2),
            "result_rows": duck["rows"],
            "threads": duck["threads"],
            "figures": "count, per_10k, commune_share, projects, appeared, dated, verified for "
            "every territory × scope (no reach, growth, creations, sources, peers)",
            "load": "sqlite3 fetchall → Arrow → DuckDB tables (sqlite extension needs network)",
            "ratio_sqlite": round(sqlite_seconds / duck_seconds, 2),
            "ratio_postgresql": None if pg_seconds is None else round(pg_seconds / duck_seconds, 2),
            "ratio_sqlite_to_compute_only": round(sqlite_seconds / duck["compute_seconds"], 2),
            "ratio": "Maillage job seconds (worst of two runs) / DuckDB seconds (load + SQL)",
        },
        "agreement_sqlite": sqlite_agreement,
        "agreement_postgresql": pg_agreement,
        "portrait": portrait,
        "phases": {
            "from_progress_lines_sqlite_second_run": sqlite_timed["second"]["phases"],
            "cprofile_sqlite": profile,
        },
        "targets": TARGETS,
        "measured": measured,
        "meets_targets": meets,
        "total_seconds": round(time.perf_counter() - started, 1),
        "timing": "job seconds = IndicatorRun.seconds from `maillage indicators --recompute` "
        "(read + compute + write, inside the command); wall = the subprocess, start-up included",
    }
