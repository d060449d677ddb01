import datetime

import pytest

from maillage.indicators.services import recompute

REFERENCE_DATE = datetime.date(2026, 11, 26)


# The demo sources of initiatives: the figures these tests check come from them alone (the
# footprint and register demo files have their own tests, and would add seconds to each).
DEMO_INITIATIVE_SOURCES = ("bnlc", "tiers-lieux-cget-2019")


@pytest.fixture
def demo_figures(referential, raw_data, settings):
    """The demo data (carpooling places, tiers-lieux census, #MapLabBZH series) imported from
    the real files as `maillage load-demo` does, then every indicator computed."""
    from maillage.portal.demo import load_demo_series, load_demo_sources

    settings.DEMO_DATA_DIR = raw_data
    load_demo_sources(names=DEMO_INITIATIVE_SOURCES)
    load_demo_series()
    return recompute(today=REFERENCE_DATE)
