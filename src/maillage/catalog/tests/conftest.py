"""Fixtures of the catalogue tests."""

import pytest
from django.core.management import call_command
from django.utils.translation import trans_real


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """English pages need the .mo files; compile them (as `make setup` does) and drop the
    translations Django may have cached before they existed."""
    call_command("compile-translations")
    trans_real._translations = {}  # type: ignore[attr-defined]
    trans_real._default = None  # type: ignore[attr-defined]


@pytest.fixture
def typology(db):
    """The typology rows (loaded by the data migration; reloaded if a test flushed them)."""
    from maillage.catalog.models import Category
    from maillage.catalog.typology import sync_typology

    if not Category.objects.exists():
        sync_typology()


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("camille", "camille@example.org", "pw")


@pytest.fixture
def admin_client_fr(client, staff):
    client.force_login(staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    return client
