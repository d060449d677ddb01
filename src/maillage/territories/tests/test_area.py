"""The area locator answers exactly as the national one, for the points of its area and as
the area grows batch after batch."""

import numpy as np
import pytest

from maillage.territories.area import AreaLocator
from maillage.territories.locator import get_locator

pytestmark = pytest.mark.django_db


def test_same_communes_as_the_national_locator(referential):
    rng = np.random.default_rng(14)
    national = get_locator()
    area = AreaLocator()
    # Lyon's box, then Bordeaux's (the area grows), then a Lyon batch again.
    indexed = []
    for west, south, east, north in (
        (4.77, 45.70, 4.90, 45.81),
        (4.80, 45.72, 4.88, 45.79),  # inside the area: the same index
        (4.60, 45.60, 4.95, 45.90),  # beyond it: the area grows
        (-0.83, 44.75, -0.46, 45.02),  # Bordeaux too: half of France, the national index
    ):
        lons = rng.uniform(west, east, 20000)
        lats = rng.uniform(south, north, 20000)
        assert list(area.locate(lons, lats)) == list(national.locate(lons, lats))
        indexed.append(area.communes)
    assert 20 < indexed[0] == indexed[1] < indexed[2] < 600 < 3000 < indexed[3]
    # Points on a vertex of a commune outline: the lowest code wins in both.
    outline = national.geoms[list(national.ids).index("com:69123")]
    vertices = np.asarray(
        outline.exterior.coords
        if outline.geom_type == "Polygon"
        else outline.geoms[0].exterior.coords
    )[:200]
    assert list(area.locate(vertices[:, 0], vertices[:, 1])) == list(
        national.locate(vertices[:, 0], vertices[:, 1])
    )
    sea = area.locate(np.array([-3.0, np.nan]), np.array([45.0, 45.0]))
    assert list(sea) == [None, None]
