"""Figures computed by hand on a small real extract: the four initiatives of the bundled demo
sources in the Communauté de communes de Lacq-Orthez (epci:200039204, Pyrénées-Atlantiques):

- « Aire de covoiturage Sortie 8 Orthez », covoiturage, in Biron (595 inhabitants);
- « Rond Point François Mitterand », covoiturage, in Orthez (10,881);
- « Espace de travail partagé et de coworking », coworking, in Orthez;
- « mini Fablab de Pardies », fablab, in Pardies (930).

The EPCI has 52,961 inhabitants (populations of the bundled referential)."""

import datetime
import math

import pytest

from maillage.catalog.models import ActivityReport, Initiative
from maillage.catalog.services import update_initiative
from maillage.indicators.selectors import portrait
from maillage.indicators.services import recompute
from maillage.territories.models import Territory

from .conftest import REFERENCE_DATE

pytestmark = pytest.mark.real_data

EPCI = "epci:200039204"
POPULATION = {"com:64131": 595, "com:64430": 10881, "com:64443": 930, EPCI: 52961}


@pytest.fixture
def lacq_orthez(demo_figures):
    for tid, population in POPULATION.items():
        assert Territory.objects.get(id=tid).population == population  # the hand inputs
    return portrait(EPCI)


def test_counts_and_rates_of_the_epci(lacq_orthez):
    data = lacq_orthez
    assert data["all"]["count"] == 4
    assert data["all"]["per_10k"] == round(4 / 52961 * 10_000, 3) == 0.755
    assert data["families"]["mobilite"]["count"] == 2
    assert data["families"]["lieux"]["count"] == 2
    # No demo source inventories food practices: « non couvert », not 0 (issue 14).
    assert data["families"]["alimentation"]["count"] is None
    assert data["families"]["alimentation"]["covered"] == "none"
    # The carpooling base covers carpooling; mobility also counts practices it does not.
    assert data["categories"]["covoiturage"]["covered"] == "full"
    assert data["families"]["mobilite"]["covered"] == "partial"
    assert data["categories"]["covoiturage"]["count"] == 2
    assert data["categories"]["coworking"]["count"] == 1
    assert data["categories"]["fablab"]["count"] == 1
    assert data["categories"]["covoiturage"]["per_10k"] == 0.378  # 2 / 52,961 × 10,000


def test_population_living_in_a_commune_that_has_one(lacq_orthez):
    # Biron + Orthez + Pardies = 12,406 inhabitants of 52,961.
    assert lacq_orthez["all"]["commune_share"] == 0.2342
    # Carpooling: Biron + Orthez = 11,476.
    assert lacq_orthez["categories"]["covoiturage"]["commune_share"] == 0.2167
    # Fab lab: Pardies alone.
    assert lacq_orthez["categories"]["fablab"]["commune_share"] == round(930 / 52961, 4)


def test_diversity(lacq_orthez):
    assert lacq_orthez["diversity"]["categories"] == 3
    # Shannon over (2, 1, 1): −(½ ln ½ + 2 × ¼ ln ¼) = 1.0397.
    assert lacq_orthez["diversity"]["shannon"] == 1.0397


def test_the_commune_and_the_departement_add_up(demo_figures):
    orthez = portrait("com:64430")
    assert orthez["all"]["count"] == 2
    assert orthez["all"]["commune_share"] == 1
    assert orthez["all"]["per_10k"] == round(2 / 10881 * 10_000, 3)
    pyrenees = portrait("dep:64")
    counted = Initiative.objects.public().filter(commune__departement_id="dep:64").count()
    assert pyrenees["all"]["count"] == counted


def _km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine: the test's own distance, independent of the projections the code uses."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def test_population_within_reach_is_measured_from_distances(lacq_orthez):
    places = Initiative.objects.public().filter(category_id="covoiturage")
    points = [(i.lon, i.lat) for i in places if i.lon is not None]
    communes = Territory.objects.filter(level="com", epci_id=EPCI)
    within = 0
    for commune in communes:
        nearest = min(_km(commune.point_lon, commune.point_lat, lon, lat) for lon, lat in points)
        if nearest <= 10.0:
            within += commune.population or 0
    expected = round(within / 52961, 4)
    assert lacq_orthez["categories"]["covoiturage"]["reach_share"] == expected
    # More people live within 10 km of a carpool place than in a commune that has one.
    assert expected > lacq_orthez["categories"]["covoiturage"]["commune_share"]


def test_statuses_and_emergence_from_known_dates(demo_figures):
    # Statuses and dates as a project officer would enter them on the four real records.
    fablab = Initiative.objects.get(name="mini Fablab de Pardies")
    update_initiative(fablab, created_on=datetime.date(2024, 3, 1))
    coworking = Initiative.objects.get(name="Espace de travail partagé et de coworking")
    update_initiative(coworking, opened_on=datetime.date(2016, 9, 1))
    closed = Initiative.objects.get(name="Aire de covoiturage Sortie 8 Orthez")
    update_initiative(
        closed,
        status="ferme",
        created_on=datetime.date(2010, 5, 1),
        closed_on=datetime.date(2020, 1, 1),
    )
    project = Initiative.objects.get(name="Rond Point François Mitterand")
    update_initiative(project, status="projet")
    recompute(today=REFERENCE_DATE)
    data = portrait(EPCI)
    # Counted: the active ones only, the fab lab and the coworking space.
    assert data["all"]["count"] == 2
    assert data["families"]["mobilite"]["count"] == 0
    assert data["all"]["commune_share"] == 0.223  # Orthez + Pardies: 11,811 / 52,961
    assert data["all"]["projects"] == 1
    assert data["families"]["mobilite"]["projects"] == 1
    # Created: the closed one was created too; the project was not (yet).
    assert data["emergence"]["creations_per_year"] == {
        "all": {"2010": 1, "2016": 1, "2024": 1},
        "mobilite": {"2010": 1},
        "lieux": {"2016": 1, "2024": 1},
    }
    assert data["all"]["created_3y"] == 1  # 2024 is in 2023–2025
    assert data["all"]["growth_3y"] == 0.5  # one created in the window, two dated before
    assert data["all"]["dated"] == 2  # both active ones have a date
    assert data["completeness"]["dated_share"] == 1.0


def test_share_with_recent_activity_data(demo_figures):
    fablab = Initiative.objects.get(name="mini Fablab de Pardies")
    ActivityReport.objects.create(initiative=fablab, year=2025, metric="participants", value=120)
    ActivityReport.objects.create(initiative=fablab, year=2025, metric="volunteers", value=8)
    coworking = Initiative.objects.get(name="Espace de travail partagé et de coworking")
    ActivityReport.objects.create(initiative=coworking, year=2019, metric="participants", value=40)
    recompute(today=REFERENCE_DATE)
    data = portrait(EPCI)
    # One of the four active initiatives reported for 2025 or 2026; 2019 is too old.
    assert data["all"]["with_activity"] == 1
    assert data["completeness"]["activity_data_share"] == 0.25
    assert data["families"]["lieux"]["with_activity"] == 1
