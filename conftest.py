"""Shared test fixtures: the real territorial referential, loaded once per test session, and
the real third-party datasets of the `real_data` tests.

Third-party datasets are never committed. Tests that read them carry `@pytest.mark.real_data`
and find them in `settings.RAW_DATA_DIR` (`../shared/data/raw` beside the project, or
`MAILLAGE_RAW_DATA`). Without that folder they are skipped, all under one summary line; with
`CI=true` a missing folder stops the run instead.
"""

import os
from pathlib import Path

import pytest

REAL_DATA = "real_data"


def raw_data_folder() -> Path:
    from django.conf import settings

    return Path(settings.RAW_DATA_DIR)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def raw_data() -> Path:
    """Folder of the real open datasets (only `real_data` tests may ask for it)."""
    folder = raw_data_folder()
    if not folder.is_dir():  # the tests are skipped before this, or the run stopped in CI
        pytest.fail(f"Données réelles introuvables : {folder}")
    return folder


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the whole referential into the test database once; tests roll back on top of it."""
    from maillage.territories.services import load_referential

    with django_db_blocker.unblock():
        load_referential()


@pytest.fixture
def referential(db):
    """The referential and the typology; reloaded if a transactional test flushed them (a flush
    also empties what the typology's data migration loaded)."""
    from maillage.catalog.models import Category
    from maillage.catalog.typology import sync_typology
    from maillage.territories.models import Territory
    from maillage.territories.services import load_referential

    if not Territory.objects.filter(id="fr").exists():
        load_referential(force=True)
    if not Category.objects.exists():
        sync_typology()


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the default language (French): a page requested in English
    leaves English active in this thread, and the import reasons written by a later test
    would come out in English."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.hookimpl(trylast=True)  # after -m / -k have deselected what is not run
def pytest_collection_modifyitems(config, items):
    """Run browser tests last: their live server flushes the database after each test, so
    every test that relies on the session-loaded referential must run before them.

    Also check the `real_data` convention, and stop a CI run that lacks the real datasets."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    unmarked = [
        item.nodeid
        for item in items
        if "raw_data" in getattr(item, "fixturenames", ())
        and item.get_closest_marker(REAL_DATA) is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "Ces tests lisent les données réelles (fixture raw_data) sans la marque "
            "@pytest.mark.real_data : " + ", ".join(unmarked)
        )
    folder = raw_data_folder()
    real = [item for item in items if item.get_closest_marker(REAL_DATA)]
    if real and not folder.is_dir() and _in_ci():
        pytest.exit(
            f"CI=true : {len(real)} tests marqués real_data exigent les données réelles, "
            f"mais le dossier {folder} est absent (placez shared/data/raw à côté du projet "
            "ou indiquez le dossier dans MAILLAGE_RAW_DATA).",
            returncode=1,
        )


def pytest_runtest_setup(item):
    """Skip `real_data` tests when the real datasets are absent; every skip is raised from
    this one line, so `-ra` folds them into one summary line with their number."""
    if item.get_closest_marker(REAL_DATA) is not None and not raw_data_folder().is_dir():
        pytest.skip(
            f"données réelles absentes ({raw_data_folder()} introuvable ; "
            "MAILLAGE_RAW_DATA peut désigner un autre dossier) : tests real_data ignorés"
        )
