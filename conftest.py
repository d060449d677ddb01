"""Shared test fixtures: the real territorial referential, loaded once per test session."""

from pathlib import Path

import pytest

SHARED_RAW = Path(__file__).resolve().parent.parent / "shared" / "data" / "raw"


@pytest.fixture(scope="session")
def raw_data() -> Path:
    """Folder of the real open datasets; fail loudly when it is missing."""
    if not SHARED_RAW.is_dir():
        pytest.fail(f"Real datasets not found at {SHARED_RAW} (see shared/data/raw/README.md)")
    return SHARED_RAW


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


def pytest_collection_modifyitems(config, items):
    """Run browser tests last: their live server flushes the database after each test, so
    every test that relies on the session-loaded referential must run before them."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
