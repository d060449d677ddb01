"""The municipal arrondissements of Paris, Lyon and Marseille: parts of a commune, never
territories of their own (`com:69384` designates Lyon). A figure located by its point can
still be broken down inside the commune: `SubdivisionLocator` finds the arrondissement of a
point already placed in its commune (same "covers" rule as the commune locator: a point on
a boundary goes to the lowest code).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import shapely

from .models import ReferentialLoad, TerritoryAlias


@dataclass(frozen=True)
class Subdivision:
    code: str  # INSEE code of the arrondissement (69384)
    name: str
    commune_id: str  # the commune it is part of (com:69123)
    population: int | None


class SubdivisionLocator:
    """Arrondissement of points whose commune is known; immutable once built."""

    def __init__(self, parts: list[Subdivision], geometries: list[bytes | None]) -> None:
        self.parts = {p.code: p for p in parts}
        with_outline = [(p, g) for p, g in zip(parts, geometries, strict=True) if g is not None]
        with_outline.sort(key=lambda pair: pair[0].code)
        self._codes = np.array([p.code for p, _g in with_outline], dtype=object)
        self._communes = np.array([p.commune_id for p, _g in with_outline], dtype=object)
        self._geoms = shapely.from_wkb([g for _p, g in with_outline])
        shapely.prepare(self._geoms)
        self._tree = shapely.STRtree(self._geoms)
        self.communes = frozenset(p.commune_id for p in parts)

    def of_commune(self, commune_id: str) -> list[Subdivision]:
        return sorted(
            (p for p in self.parts.values() if p.commune_id == commune_id), key=lambda p: p.code
        )

    def locate(
        self, commune_ids: list[str | None], lons: list[float], lats: list[float]
    ) -> list[str | None]:
        """The arrondissement code of each point whose commune has arrondissements (None
        otherwise, or when no arrondissement of that commune covers the point)."""
        found: list[str | None] = [None] * len(commune_ids)
        wanted = [i for i, c in enumerate(commune_ids) if c in self.communes]
        if not wanted or not len(self._geoms):
            return found
        points = shapely.points(
            np.asarray([lons[i] for i in wanted], float),
            np.asarray([lats[i] for i in wanted], float),
        )
        point_index, geom_index = self._tree.query(points, predicate="intersects")
        # Lowest code first: the geometries are sorted by code, so the smallest index wins.
        order = np.lexsort((geom_index, point_index))
        for p, g in zip(point_index[order], geom_index[order], strict=True):
            row = wanted[int(p)]
            if found[row] is None and self._communes[g] == commune_ids[row]:
                found[row] = str(self._codes[g])
        return found


def load_subdivisions() -> SubdivisionLocator:
    rows = TerritoryAlias.objects.filter(kind=TerritoryAlias.Kind.ARRONDISSEMENT).values_list(
        "code", "name", "territory_id", "population", "geometry"
    )
    parts, geometries = [], []
    for code, name, commune_id, population, geometry in rows:
        parts.append(Subdivision(code, name, commune_id, population))
        geometries.append(bytes(geometry) if geometry is not None else None)
    return SubdivisionLocator(parts, geometries)


_cache: dict[str, tuple[int | None, SubdivisionLocator]] = {}
_lock = threading.Lock()


def get_subdivisions() -> SubdivisionLocator:
    """The process-wide arrondissements, rebuilt when a new referential load is recorded."""
    latest = ReferentialLoad.objects.order_by("-id").values_list("id", flat=True).first()
    with _lock:
        cached = _cache.get("subdivisions")
        if cached is None or cached[0] != latest:
            cached = (latest, load_subdivisions())
            _cache["subdivisions"] = cached
    return cached[1]
