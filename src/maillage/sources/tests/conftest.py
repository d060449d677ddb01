import sqlite3
from pathlib import Path

import pytest
from django.conf import settings

# Read at collection, before any test points DATA_DIR at a temporary folder.
PROJECT_DATA_DIR = Path(settings.DATA_DIR)


@pytest.fixture
def child_database(tmp_path: Path) -> Path:
    """A database file for a child `maillage` process. The test database lives in memory, out
    of another process's reach: the child gets a copy of the project database, where
    `make setup` loaded the referential (the child migrates it itself)."""
    project_db = PROJECT_DATA_DIR / "maillage.sqlite3"
    if not project_db.is_file():
        pytest.fail(f"{project_db} is missing: run `make setup` (it loads the referential)")
    database = tmp_path / "child.sqlite3"
    with sqlite3.connect(project_db) as source, sqlite3.connect(database) as target:
        source.backup(target)
    return database
