"""A real `maillage import` process killed with SIGKILL mid-way: what its committed batches
wrote is never public, the worker takes it back, and the next run completes (on a database
file of its own, see conftest.child_database)."""

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.real_data


def _count(database: Path, sql: str) -> int:
    with sqlite3.connect(database) as db:
        return db.execute(sql).fetchone()[0]


def test_sigkill_mid_import_leaves_the_database_as_it_was(raw_data, tmp_path, child_database):
    database = child_database
    # 20 copies of the real carpooling base under new ids: long enough to be killed mid-way.
    with (raw_data / "bnlc-covoiturage" / "bnlc.csv").open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header, rows = list(reader.fieldnames or []), list(reader)
    big = tmp_path / "bnlc-x20.csv"
    with big.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        for copy in range(20):
            writer.writerows({**r, "id_lieu": f"{r['id_lieu']}-{copy}"} for r in rows)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    cli = [sys.executable, "-m", "maillage.cli"]
    subprocess.run([*cli, "migrate", "--no-input", "-v", "0"], check=True, env=env, timeout=120)
    before = _count(database, "select count(*) from catalog_initiative")
    command = [*cli, "import", "bnlc", str(big), "--source", "killed"]

    child = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert child.stderr is not None
    seen = b""
    deadline = time.monotonic() + 120
    while b"4000 lignes" not in seen and time.monotonic() < deadline:
        chunk = child.stderr.read1(4096)  # type: ignore[attr-defined]
        if not chunk:
            break
        seen += chunk
    assert b"4000 lignes" in seen, seen[-500:]
    child.send_signal(signal.SIGKILL)  # mid-way: at least two batches processed
    child.wait(timeout=30)

    # Batches were committed (the site did not wait for the import), none of them published.
    assert _count(database, "select count(*) from catalog_initiative") > before
    assert _count(database, "select count(*) from catalog_initiative where published") == before
    assert _count(database, "select count(*) from sources_harvestjob where status='running'") == 1

    # The worker finds the process dead and takes its writes back.
    subprocess.run([*cli, "worker", "--until-idle"], check=True, env=env, timeout=300)
    assert _count(database, "select count(*) from catalog_initiative") == before
    killed = "(select id from sources_source where name = 'killed')"
    assert (
        _count(database, f"select count(*) from sources_sourcerecord where source_id in {killed}")
        == 0
    )
    assert (
        _count(
            database,
            "select count(*) from sources_harvestitem where job_id in "
            f"(select id from sources_harvestjob where source_id in {killed})",
        )
        == 0
    )
    assert _count(database, "select count(*) from sources_harvestjob where status='running'") == 0

    done = subprocess.run(command, env=env, capture_output=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr.decode()[-800:]
    assert _count(database, "select count(*) from catalog_initiative") == before + 20 * 2472
    with sqlite3.connect(database) as db:
        (error,) = db.execute(
            f"select error from sources_harvestjob where status='failed' and source_id in {killed}"
        ).fetchone()
    assert "interrompu" in error
