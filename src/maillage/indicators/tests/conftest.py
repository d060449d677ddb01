import datetime

import pytest

from maillage.indicators.services import recompute
from maillage.sources.demo import load_demo_sources

REFERENCE_DATE = datetime.date(2026, 11, 26)


@pytest.fixture
def demo_figures(referential, raw_data):
    """The two bundled demo sources (carpooling places, tiers-lieux census) imported, then
    every indicator computed."""
    load_demo_sources()
    return recompute(today=REFERENCE_DATE)
