"""Point → commune, exact against the full-resolution commune polygons.

Index: a dense grid of 1/8° cells over the communes' extent, refined 4×4 at each level down to
1/128° (≈ 0.7 km). Each cell is either outside every commune, "pure" (inside one commune: answered
with no point-in-polygon test), split into 16 children, or — at the finest level — a short list
of candidate communes tested with prepared `shapely.intersects_xy`.

A cell is pure when no commune boundary segment comes near it (segments are rasterised
conservatively, with an epsilon margin), so the whole closed cell shares the answer of its centre.

Shared boundaries: "covers" semantics (a point on a boundary belongs to every polygon touching
it) and the lowest INSEE code among them wins, so the answer never depends on input order.
Points at sea or abroad get None: there is no "nearest commune".
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely

from .models import Level, ReferentialLoad, Territory

logger = logging.getLogger(__name__)

TOP = 1 / 8  # degrees; powers of two keep cell arithmetic exact in floating point
SPLIT = 4  # children per axis
LEVELS = 2  # refinements below the top grid: 1/32°, then 1/128° (≈ 0.7 km)
EPS = 1e-9  # degrees (≈ 0.1 mm): safety margin around cells against rounding
OUTSIDE = -1


@dataclass
class _Index:
    origin: np.ndarray  # (x0, y0) of the top grid, multiples of TOP
    top: np.ndarray  # (ny, nx) int32 cell codes
    tables: list[np.ndarray]  # per level: (nodes, SPLIT²) int32 cell codes
    cand_offsets: np.ndarray  # CSR of the finest-level candidate lists
    candidates: np.ndarray


# Cell codes: >= 0 child node (next level), -1 outside, -2-c commune c, <= -2-n list -(code+2+n).


def _unique(a: np.ndarray) -> np.ndarray:
    # Sorting beats numpy's hash-based unique on tens of millions of int64 keys.
    a = np.sort(a)
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


def _isin(a: np.ndarray, sorted_b: np.ndarray) -> np.ndarray:
    if not len(sorted_b):
        return np.zeros(len(a), bool)
    i = np.minimum(np.searchsorted(sorted_b, a), len(sorted_b) - 1)
    return sorted_b[i] == a


def _segments(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every edge of every ring: start points, end points, owning commune index."""
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    same = ring_of[1:] == ring_of[:-1]
    return xy[:-1][same], xy[1:][same], part_owner[ring_part[ring_of[:-1][same]]]


def _touched(
    a: np.ndarray, b: np.ndarray, owner: np.ndarray, origin: np.ndarray, inv: float
) -> np.ndarray:
    """Sorted unique keys (cell << 16 | owner) of the cells each segment may touch."""
    span = np.abs(b - a).max(axis=1) * inv
    # Cut each edge into pieces shorter than 0.9 cell: an enlarged piece box then meets at most
    # 2×2 cells, and the boxes of the pieces cover the edge.
    n = np.maximum(np.ceil(span / 0.9), 1).astype(np.int64)
    rep = np.repeat(np.arange(len(n)), n)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
    d = (b - a)[rep]
    p = a[rep] + d * (k / n[rep])[:, None]
    q = a[rep] + d * ((k + 1) / n[rep])[:, None]
    lo = np.floor((np.minimum(p, q) - EPS - origin) * inv).astype(np.int64)
    hi = np.floor((np.maximum(p, q) + EPS - origin) * inv).astype(np.int64)
    own = owner[rep]
    keys = [(((xs[:, 0] << 24) | ys[:, 1]) << 16) | own for xs in (lo, hi) for ys in (lo, hi)]
    return _unique(np.concatenate(keys))


def _classify(
    cells: np.ndarray,
    seg: np.ndarray,
    cover_cell: np.ndarray,
    cover_com: np.ndarray,
    n: int,
    final: bool,
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Codes of `cells` (in their order), the mixed cells (sorted) and their candidate pairs.

    `seg` holds (cell << 16 | commune) keys of boundary pieces; `cover_*` the communes covering
    each cell's centre."""
    order = np.argsort(cells)
    cells = cells[order]
    # Boundary pieces also mark cells outside this level's set (children of pure cells).
    seg = seg[_isin(seg >> 16, cells)]
    seg_cells = _unique(seg >> 16)
    is_mixed = _isin(cells, seg_cells)
    mixed = cells[is_mixed]
    codes = np.full(len(cells), OUTSIDE, np.int32)
    # Pure cells: the lowest-code commune covering the centre covers the whole cell.
    pure = ~_isin(cover_cell, seg_cells)
    pc, pg = cover_cell[pure], cover_com[pure]
    o = np.lexsort((pg, pc))
    pc, pg = pc[o], pg[o]
    first = np.r_[True, pc[1:] != pc[:-1]] if len(pc) else np.zeros(0, bool)
    codes[np.searchsorted(cells, pc[first])] = -2 - pg[first]
    keys = _unique(np.concatenate([seg, (cover_cell[~pure] << 16) | cover_com[~pure]]))
    # Mixed cells point to the next level's nodes, or to candidate lists at the last level.
    codes[is_mixed] = (-2 - n - np.arange(len(mixed))) if final else np.arange(len(mixed))
    out = np.empty_like(codes)
    out[order] = codes
    return out, mixed, (keys >> 16, keys & 0xFFFF)


def build_index(geoms: np.ndarray) -> _Index:
    """Index of the commune polygons `geoms` (ordered by INSEE code); ~2 s for France."""
    if len(geoms) >= 1 << 16:
        raise ValueError("Plus de 65 535 communes : agrandir le champ commune des clés.")
    bounds = shapely.bounds(geoms)
    origin = np.floor(bounds[:, :2].min(axis=0) / TOP) * TOP
    nx, ny = (np.floor((bounds[:, 2:].max(axis=0) - origin) / TOP).astype(np.int64) + 1).tolist()
    a, b, owner = _segments(geoms)

    # Top level: the candidates of a cell are the communes whose boundary touches it plus those
    # covering its centre (found with an STRtree: at this level every commune is a candidate).
    inv = 1 / TOP
    iy, ix = np.divmod(np.arange(nx * ny, dtype=np.int64), nx)  # row-major, like `top`
    cells = (ix << 24) | iy
    centres = shapely.points(origin[0] + (ix + 0.5) / inv, origin[1] + (iy + 0.5) / inv)
    ci, gi = shapely.STRtree(geoms).query(centres, predicate="intersects")
    codes, mixed, pairs = _classify(
        cells,
        _touched(a, b, owner, origin, inv),
        cells[ci],
        gi.astype(np.int64),
        len(geoms),
        final=LEVELS == 0,
    )
    top = codes.reshape(ny, nx)

    tables: list[np.ndarray] = []
    for level in range(1, LEVELS + 1):
        inv *= SPLIT
        # Children of the mixed cells: node i owns rows i·SPLIT² … of the table, row-major.
        dy, dx = np.divmod(np.arange(SPLIT * SPLIT), SPLIT)
        cells = (
            ((mixed >> 24)[:, None] * SPLIT + dx) << 24 | ((mixed & 0xFFFFFF)[:, None] * SPLIT + dy)
        ).ravel()
        seg = _touched(a, b, owner, origin, inv)
        # A parent candidate with no boundary in a child either covers it all or misses it:
        # one test at the child's centre decides.
        child, com = _expand(mixed, *pairs)
        ch = cells[child]
        untested = ~_isin((ch << 16) | com, seg)
        ch, com = ch[untested], com[untested]
        hit = shapely.intersects_xy(
            geoms[com],
            origin[0] + ((ch >> 24) + 0.5) / inv,
            origin[1] + ((ch & 0xFFFFFF) + 0.5) / inv,
        )
        codes, mixed, pairs = _classify(
            cells, seg, ch[hit], com[hit], len(geoms), final=level == LEVELS
        )
        tables.append(codes.reshape(-1, SPLIT * SPLIT))
    cand_cell, cand_com = pairs
    offsets = np.append(np.searchsorted(cand_cell, mixed), len(cand_cell))
    return _Index(origin, top, tables, offsets, cand_com.astype(np.int32))


def _expand(
    mixed: np.ndarray, p_cell: np.ndarray, p_com: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(child position, commune) for every child of every mixed cell × that cell's candidates."""
    k = SPLIT * SPLIT
    counts = np.bincount(np.searchsorted(mixed, p_cell), minlength=len(mixed))
    starts = np.cumsum(counts) - counts
    per_child = np.repeat(counts, k)
    child = np.repeat(np.arange(len(mixed) * k), per_child)
    rank = np.arange(len(child)) - np.repeat(np.cumsum(per_child) - per_child, per_child)
    return child, p_com[starts[child // k] + rank]


class Locator:
    """Immutable once built; safe to share between threads."""

    def __init__(self, ids: list[str], geoms: np.ndarray, index: _Index) -> None:
        self.ids = np.array(ids + [None], dtype=object)  # index -1 → None
        self.geoms = geoms
        self.index = index
        shapely.prepare(geoms)

    def locate_indices(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Commune index per point (position in `self.ids`), -1 outside or invalid."""
        x = np.asarray(lons, dtype=np.float64).ravel()
        y = np.asarray(lats, dtype=np.float64).ravel()
        with np.errstate(over="ignore", invalid="ignore"):  # inf/NaN input: outside
            return self._locate(x, y)

    def _locate(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        idx = self.index
        n_com = len(self.geoms)
        dx = (x - idx.origin[0]) * (1 / TOP)
        dy = (y - idx.origin[1]) * (1 / TOP)
        ny, nx = idx.top.shape
        # NaN and inf fail these comparisons, so they stay outside.
        ok = (dx >= 0) & (dx < nx) & (dy >= 0) & (dy < ny)
        code = np.full(len(x), OUTSIDE, np.int64)
        pos = np.flatnonzero(ok)
        code[pos] = idx.top[dy[pos].astype(np.int64), dx[pos].astype(np.int64)]
        for table in idx.tables:
            pos = pos[code[pos] >= 0]
            dx[pos] *= SPLIT  # exact: SPLIT is a power of two
            dy[pos] *= SPLIT
            sub = (dy[pos].astype(np.int64) % SPLIT) * SPLIT + dx[pos].astype(np.int64) % SPLIT
            code[pos] = table[code[pos], sub]
        out = np.where(code <= -2, -2 - code, OUTSIDE)
        out[code < -1 - n_com] = OUTSIDE
        # Candidate lists: test in ascending code order; the first hit is the lowest code.
        pending = np.flatnonzero(code < -1 - n_com)
        lists = -2 - n_com - code[pending]
        start = idx.cand_offsets[lists]
        size = idx.cand_offsets[lists + 1] - start
        rank = 0
        while len(pending):
            com = idx.candidates[start + rank]
            hit = shapely.intersects_xy(self.geoms[com], x[pending], y[pending])
            out[pending[hit]] = com[hit]
            keep = ~hit & (size > rank + 1)
            pending, start, size = pending[keep], start[keep], size[keep]
            rank += 1
        return out

    def locate(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Commune id per point (`"com:75056"`), None at sea, abroad or for NaN/inf input."""
        return self.ids[self.locate_indices(lons, lats)]


def load_locator() -> Locator:
    """Build a locator from the communes of the database (those without geometry are skipped:
    they are placed by their code, never by coordinates)."""
    query = Territory.objects.filter(level=Level.COMMUNE, geometry__isnull=False)
    # Sorted in Python: the "lowest code" rule must not depend on the database's collation.
    rows = sorted(query.values_list("code", "id", "geometry"))
    geoms = shapely.from_wkb([bytes(wkb) for _, _, wkb in rows if wkb is not None])
    start = time.perf_counter()
    index = build_index(geoms)
    logger.info("Index point→commune construit en %.1f s", time.perf_counter() - start)
    return Locator([row[1] for row in rows], geoms, index)


_cache: dict[str, tuple[int | None, Locator]] = {}
_lock = threading.Lock()


def get_locator() -> Locator:
    """The process-wide locator, rebuilt when a new referential load is recorded."""
    latest = ReferentialLoad.objects.order_by("-id").values_list("id", flat=True).first()
    cached = _cache.get("locator")
    if cached is not None and cached[0] == latest:
        return cached[1]
    with _lock:
        cached = _cache.get("locator")
        if cached is None or cached[0] != latest:
            cached = (latest, load_locator())
            _cache["locator"] = cached
    return cached[1]


def locate_point(lon: float, lat: float) -> Territory | None:
    """The commune covering (lon, lat) in WGS84, or None at sea, abroad or for invalid input."""
    commune_id = get_locator().locate(np.array([lon], float), np.array([lat], float))[0]
    if commune_id is None:
        return None
    return Territory.objects.defer("geometry").get(id=commune_id)
