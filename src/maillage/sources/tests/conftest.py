import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

# Read at collection, before any test points DATA_DIR at a temporary folder: only the
# referential's computation cache is taken from there, never a database.
REFERENTIAL_CACHE = Path(settings.DATA_DIR) / "cache"


@pytest.fixture(scope="session")
def child_database_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file for child `maillage` processes, built once per session in a temporary
    folder by `maillage migrate` and `maillage load-referential` (the test database lives in
    memory, out of another process's reach). The referential's computation cache is reused
    when this checkout has one (≈ 20 s instead of ≈ 90 s)."""
    folder = tmp_path_factory.mktemp("child-template")
    data_dir = folder / "var"
    (data_dir / "cache").mkdir(parents=True)
    for cache in REFERENTIAL_CACHE.glob("referential-*.pickle"):
        shutil.copy2(cache, data_dir / "cache" / cache.name)
    database = folder / "template.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "MAILLAGE_DATA_DIR": str(data_dir),
    }
    cli = [sys.executable, "-m", "maillage.cli"]
    for command in (["migrate", "--no-input", "-v", "0"], ["load-referential"]):
        done = subprocess.run(
            [*cli, *command], env=env, capture_output=True, timeout=600, check=False
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
    return database


@pytest.fixture
def child_database(
    child_database_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A copy of the session's child database for one test; child processes started by the
    test also get a data folder of their own (MAILLAGE_DATA_DIR), never the project's var/."""
    database = tmp_path / "child.sqlite3"
    with sqlite3.connect(child_database_template) as source, sqlite3.connect(database) as target:
        source.backup(target)
    monkeypatch.setenv("MAILLAGE_DATA_DIR", str(tmp_path / "child-var"))
    return database
