import datetime
import io

import pytest
from django.core.management import call_command

from maillage.indicators.services import recompute

REFERENCE_DATE = datetime.date(2026, 11, 26)


@pytest.fixture
def demo_figures(referential, raw_data, settings):
    """The demo data (carpooling places, tiers-lieux census, #MapLabBZH series) imported from
    the real files by `maillage load-demo`, then every indicator computed."""
    settings.DEMO_DATA_DIR = raw_data
    call_command("load-demo", stdout=io.StringIO(), stderr=io.StringIO())
    return recompute(today=REFERENCE_DATE)
