"""The footprint benchmark: the real Inside Airbnb listings of Lyon and Bordeaux Métropole
(22,145 rows, `../shared/data/raw/airbnb-lyon-bordeaux-2024`) imported and aggregated into
figures per commune and arrondissement.

1. A fresh temporary SQLite database: `maillage migrate` + `maillage load-referential`
   (the referential's computation cache of this checkout is reused), copied once.
2. In one process (as the worker runs imports): both files imported one after the other,
   wall clock from the first row read to the last figure written, in a new process (every
   cache built inside the timing: the communes' boxes, each city's point → commune index,
   the arrondissements); then the same in a process that already holds what an earlier
   import left (a worker's second import). The target (≤ 5 s) is on the first, cold run.
3. `maillage import footprint-airbnb` of each file as a command (a new process each: Django
   start-up and the index included), then the Lyon file again (every row unchanged).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_SECONDS = 5.0
FILES = {"lyon": "listings_lyon.csv", "bordeaux": "listings_bordeaux.csv"}

# Run in a child process against the copied database: both imports in one process.
IN_PROCESS = r"""
import json, sys, time
import django
django.setup()
from pathlib import Path
from maillage.sources.harvest import ImportRequest, run_import
from maillage.catalog.models import PlatformFootprint

files = json.loads(sys.argv[1])
warm = sys.argv[2] == "warm"
if warm:  # what a worker process keeps from an earlier import: boxes, arrondissements
    import numpy as np
    from maillage.territories.area import AreaLocator
    from maillage.territories.subdivisions import get_subdivisions
    AreaLocator().locate(np.array([4.83]), np.array([45.76]))
    get_subdivisions()
times, rows = {}, 0
start = time.perf_counter()
for city, path in files.items():
    began = time.perf_counter()
    job = run_import(ImportRequest(backend="footprint-airbnb", path=Path(path), source=f"bench-{city}"))
    times[city] = round(time.perf_counter() - began, 3)
    rows += job.rows
    assert job.status in ("done", "done-with-errors"), job.error
total = time.perf_counter() - start
print(json.dumps({
    "seconds": round(total, 3), "per_file": times, "rows": rows,
    "figures": PlatformFootprint.objects.count(),
}))
"""


def _log(message: str) -> None:
    print(f"[bench] footprint : {message}", file=sys.stderr, flush=True)


def _raw_folder() -> Path:
    from django.conf import settings

    return Path(settings.RAW_DATA_DIR) / "airbnb-lyon-bordeaux-2024"


def _run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return seconds, done.stdout


def bench_footprint() -> dict[str, Any]:
    folder = _raw_folder()
    paths = {city: str(folder / name) for city, name in FILES.items()}
    if not all(Path(p).is_file() for p in paths.values()):
        return {"skipped": f"fichiers absents de {folder}"}
    maillage = str(Path(sys.executable).with_name("maillage"))
    with tempfile.TemporaryDirectory(prefix="maillage-bench-footprint-") as tmp:
        template = Path(tmp) / "template.sqlite3"
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{template}"}
        _log("base temporaire : migrate + load-referential…")
        _run([maillage, "migrate", "--no-input", "-v", "0"], env)
        _run([maillage, "load-referential"], env)
        result: dict[str, Any] = {"rows": 0, "target_seconds": TARGET_SECONDS}
        for mode in ("cold", "warm"):
            database = Path(tmp) / f"{mode}.sqlite3"
            shutil.copy(template, database)
            _log(f"import des deux fichiers dans un processus ({mode})…")
            _seconds, out = _run(
                [sys.executable, "-c", IN_PROCESS, json.dumps(paths), mode],
                {**env, "DATABASE_URL": f"sqlite:///{database}"},
            )
            measured = json.loads(out)
            result["rows"] = measured["rows"]
            result["figures"] = measured["figures"]
            result[f"in_process_{mode}"] = {
                "seconds": measured["seconds"],
                "per_file": measured["per_file"],
                "rows_per_s": round(measured["rows"] / measured["seconds"]),
            }
        database = Path(tmp) / "cli.sqlite3"
        shutil.copy(template, database)
        cli_env = {**env, "DATABASE_URL": f"sqlite:///{database}"}
        commands: dict[str, Any] = {}
        for city, path in paths.items():
            _log(f"maillage import footprint-airbnb {city}…")
            seconds, out = _run(
                [maillage, "import", "footprint-airbnb", path, "--source", f"cli-{city}"], cli_env
            )
            summary = json.loads(out)
            commands[city] = {"seconds": round(seconds, 2), "job_seconds": summary["seconds"]}
        seconds, out = _run(
            [maillage, "import", "footprint-airbnb", paths["lyon"], "--source", "cli-lyon"],
            cli_env,
        )
        again = json.loads(out)
        commands["lyon_again"] = {
            "seconds": round(seconds, 2),
            "job_seconds": again["seconds"],
            "unchanged": again["outcomes"]["unchanged"],
            "figures_written": again["footprints"]["new"] + again["footprints"]["updated"],
        }
        result["commands"] = commands
    cold = result["in_process_cold"]["seconds"]
    result["seconds"] = cold
    result["meets_target"] = cold <= TARGET_SECONDS
    return result
