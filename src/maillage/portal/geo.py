"""Outlines for the public map: one territory's outline and a light layer of its children.

Outlines are stored as simplified GeoJSON geometry text by the referential loader; the
children layer is simplified again here, in proportion to the parent's extent, so that a
département's 900 communes stay a light download.
"""

import hashlib
import json
from typing import Any

import shapely
from django.db.models import QuerySet

from maillage.territories.models import Territory

# Coordinates kept to about 10 m; the children layer is a background, not a measurement.
PRECISION = 0.0001
# Simplification tolerance as a share of the parent's largest bbox side.
CHILD_TOLERANCE_SHARE = 1 / 800


def outline_feature(territory: Territory) -> dict[str, Any]:
    """The territory's outline as a GeoJSON Feature (its geometry is stored, not recomputed)."""
    return {
        "type": "Feature",
        "id": territory.id,
        "properties": {"id": territory.id, "name": territory.name, "level": territory.level},
        "geometry": json.loads(territory.outline),
    }


def children_with_outline(children: QuerySet[Territory]) -> QuerySet[Territory]:
    return children.exclude(outline="")


def children_etag(children: QuerySet[Territory]) -> str:
    """Changes whenever one child is reloaded with a different content (its checksum)."""
    digest = hashlib.md5(usedforsecurity=False)
    for tid, checksum in children.order_by("id").values_list("id", "checksum"):
        digest.update(f"{tid}:{checksum};".encode())
    return digest.hexdigest()


def children_collection(parent: Territory, children: QuerySet[Territory]) -> dict[str, Any]:
    """Children outlines, simplified, as a GeoJSON FeatureCollection."""
    rows = list(
        children_with_outline(children).order_by("id").values_list("id", "name", "level", "outline")
    )
    if not rows:
        return {"type": "FeatureCollection", "features": []}
    tolerance = 0.0
    if parent.bbox:
        west, south, east, north = parent.bbox
        tolerance = max(east - west, north - south) * CHILD_TOLERANCE_SHARE
    geometries = shapely.from_geojson([row[3] for row in rows])
    if tolerance > 0:
        geometries = shapely.simplify(geometries, tolerance, preserve_topology=True)
    geometries = shapely.set_precision(geometries, PRECISION)
    features = []
    for (tid, name, level, _outline), text in zip(
        rows, shapely.to_geojson(geometries), strict=True
    ):
        features.append(
            {
                "type": "Feature",
                "id": tid,
                "properties": {"id": tid, "name": name, "level": level},
                "geometry": json.loads(text),
            }
        )
    return {"type": "FeatureCollection", "features": features}
