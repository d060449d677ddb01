"""Population within reach: how far a person goes for each practice, and who lives that close.

The share of inhabitants « within N km » of a practice is computed from distances: a commune's
inhabitants are placed at its representative point (inside its outline), and they count as
within reach when an initiative of the category lies within the category's N km — wherever it
is, across any border. N is a travel habit, not a law: a book box is used on foot, a fablab
is worth a drive. A family is within reach when one of its categories is.

Distances are planar in a conformal projection per part of France (Lambert-93 for the
metropole and Corsica, a local azimuthal equidistant projection for each overseas
département): errors stay well under 1 % at these ranges.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from pyproj import Transformer
from shapely import STRtree, points

DEFAULT_KM = 10.0
KM_BY_CATEGORY = {
    # On foot, in the neighbourhood.
    "boites-a-livres": 2.0,
    "jardin-partage": 2.0,
    "don-objets": 3.0,
    "troc": 3.0,
    "velos-partages": 2.0,
    "autopartage": 3.0,
    "objetheque": 5.0,
    "location-pret-objets": 5.0,
    "echange-savoirs": 5.0,
    "services-entre-particuliers": 5.0,
    "repair-cafe": 5.0,
    # A short drive or a bus ride.
    "covoiturage": 10.0,
    "autostop-organise": 10.0,
    "transport-solidaire": 10.0,
    "seconde-main": 10.0,
    "ressourcerie": 10.0,
    "amap": 10.0,
    "circuit-court-plateforme": 10.0,
    "supermarche-cooperatif": 10.0,
    "anti-gaspillage": 10.0,
    "coworking": 10.0,
    "tiers-lieu": 10.0,
    "sel-banque-temps": 10.0,
    # Worth a longer trip, or working at the scale of a bassin de vie.
    "fablab": 20.0,
    "habitat-participatif": 20.0,
    "energie-citoyenne": 20.0,
    "monnaie-locale": 20.0,
    "financement-participatif": 20.0,
    "cooperative-territoriale": 20.0,
    "budget-participatif": 20.0,
}
METROPOLE = "metro"
LAMBERT_93 = "EPSG:2154"


def reach_km(category: str) -> float:
    return KM_BY_CATEGORY.get(category, DEFAULT_KM)


def _transformer(group: str, lon: np.ndarray, lat: np.ndarray) -> Transformer:
    if group == METROPOLE:
        return Transformer.from_crs("EPSG:4326", LAMBERT_93, always_xy=True)
    centre = f"+proj=aeqd +lat_0={np.nanmean(lat):.4f} +lon_0={np.nanmean(lon):.4f} +units=m"
    return Transformer.from_crs("EPSG:4326", centre, always_xy=True)


def within_reach(
    commune_group: np.ndarray,
    commune_lon: np.ndarray,
    commune_lat: np.ndarray,
    initiative_commune: np.ndarray,
    initiative_category: np.ndarray,
    initiative_lon: np.ndarray,
    initiative_lat: np.ndarray,
    categories: list[str],
) -> np.ndarray:
    """Boolean matrix (communes × categories): an initiative of the category lies within the
    category's reach of the commune's point. Initiatives without a point stand at their
    commune's point. Communes and initiatives are matched within their projection group."""
    n_communes = len(commune_group)
    result = np.zeros((n_communes, len(categories)), dtype=bool)
    lon = np.where(np.isnan(initiative_lon), commune_lon[initiative_commune], initiative_lon)
    lat = np.where(np.isnan(initiative_lat), commune_lat[initiative_commune], initiative_lat)
    initiative_group = commune_group[initiative_commune]
    tasks = []
    for group in np.unique(commune_group):
        in_group = np.flatnonzero((commune_group == group) & ~np.isnan(commune_lon))
        mine = np.flatnonzero(initiative_group == group)
        if not len(in_group) or not len(mine):
            continue
        transform = _transformer(str(group), commune_lon[in_group], commune_lat[in_group])
        cx, cy = transform.transform(commune_lon[in_group], commune_lat[in_group])
        commune_points = points(cx, cy)
        ix, iy = transform.transform(lon[mine], lat[mine])
        for k, code in enumerate(categories):
            chosen = initiative_category[mine] == k
            if chosen.any():
                tasks.append((in_group, commune_points, ix[chosen], iy[chosen], k, code))

    def covered(task: tuple) -> tuple[np.ndarray, int]:
        in_group, commune_points, x, y, k, code = task
        tree = STRtree(points(x, y))
        hits = tree.query_nearest(
            commune_points, max_distance=reach_km(code) * 1000.0, all_matches=False
        )
        return in_group[np.unique(hits[0])], k

    # Shapely releases the GIL while it searches: one thread per core halves the time.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        for communes, k in pool.map(covered, tasks):
            result[communes, k] = True
    return result
