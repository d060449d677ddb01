"""Fixtures of the impacts tests: the coefficients as the project file gives them (in memory,
for the engine alone), and small inventories written by each test in real communes."""

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from maillage.impacts.coefficients import CoefficientTable, read_coefficients, sync_coefficients

# Real communes of the referential, and the territories above them.
RENNES = "com:35238"  # Rennes Métropole, Ille-et-Vilaine, Bretagne
CESSON = "com:35051"  # Cesson-Sévigné: Rennes Métropole too
SAINT_MALO = "com:35288"  # Ille-et-Vilaine, another EPCI
BREST = "com:29019"  # Bretagne, Finistère
NANTES = "com:44109"  # Pays de la Loire
RENNES_METROPOLE = "epci:243500139"


def file_table() -> CoefficientTable:
    """The project's coefficients without a database (national values, no override)."""
    rows = [SimpleNamespace(**entry) for entry in read_coefficients()["coefficients"]]
    return CoefficientTable(rows, [])


@pytest.fixture(autouse=True)
def seeded_coefficients(request: pytest.FixtureRequest) -> None:
    """The coefficients the migration loads, loaded again if a transactional test (the
    browser tests, run last) flushed them."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db")
    from maillage.impacts.models import Coefficient

    if not Coefficient.objects.exists():
        sync_coefficients()


@pytest.fixture
def table() -> CoefficientTable:
    return file_table()


@pytest.fixture
def make_initiative(referential) -> Callable[..., Any]:
    """An active, published initiative in a commune, with its activity reports
    ({metric: value} for one year, or {metric: [(year, value), …]})."""
    from maillage.catalog.models import ActivityReport, Initiative

    def make(
        category: str | None,
        commune: str = RENNES,
        carrier: str = "",
        reports: dict[str, Any] | None = None,
        name: str = "Initiative de test",
        **fields: Any,
    ) -> Initiative:
        initiative = Initiative.objects.create(
            name=name, category_id=category, commune_id=commune, carrier=carrier, **fields
        )
        for metric, value in (reports or {}).items():
            years = value if isinstance(value, list) else [(2025, value)]
            for year, figure in years:
                ActivityReport.objects.create(
                    initiative=initiative, year=year, metric=metric, value=figure
                )
        return initiative

    return make
