"""Point → commune for the points of one area — a city's file, read batch after batch — with
the same answers as the national locator for a fraction of its start-up.

The national index takes about two seconds to build in each new process (`maillage import`
from the command line is one); a city's points only ever fall in the few dozen communes
whose bounding box meets theirs. `AreaLocator` indexes those communes only, with the same
index (`locator.build_index`, communes in code order, so a point on a shared boundary still
goes to the lowest code): every commune that covers a point of the area has a bounding box
that meets the area, so nothing else can answer. The area grows when a batch falls outside
it (the index is rebuilt for the union); past `MAX_COMMUNES`, the national index is used.
"""

from __future__ import annotations

import threading

import numpy as np
import orjson
import shapely
from django.db import connection

from .locator import Locator, build_index, get_locator
from .models import Level, ReferentialLoad, Territory

MAX_COMMUNES = 3000
MARGIN = 0.01  # degrees added around the points' box (≈ 1 km): the next batches fit in it
BBOX_SLACK = 1e-4  # stored bounding boxes are rounded to 1e-5°: never miss a commune by it

Box = tuple[float, float, float, float]


def _inside(inner: Box, outer: Box) -> bool:
    return (
        inner[0] >= outer[0]
        and inner[1] >= outer[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


class _Boxes:
    """Bounding boxes of every commune with an outline, as arrays (read once per process and
    referential load: parsing 35,000 JSON boxes costs more than the rest of a city's index)."""

    def __init__(self) -> None:
        table = connection.ops.quote_name(Territory._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT code, id, bbox FROM {table} "
                "WHERE level = %s AND geometry IS NOT NULL AND bbox IS NOT NULL",
                [Level.COMMUNE],
            )
            rows = cursor.fetchall()
        self.codes = [code for code, _tid, _box in rows]
        self.ids = [tid for _code, tid, _box in rows]
        boxes = [orjson.loads(box) if isinstance(box, str | bytes) else box for _c, _t, box in rows]
        self.boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)


_cache: dict[str, tuple[int | None, _Boxes]] = {}
_lock = threading.Lock()


def _boxes() -> _Boxes:
    latest = ReferentialLoad.objects.order_by("-id").values_list("id", flat=True).first()
    with _lock:
        cached = _cache.get("boxes")
        if cached is None or cached[0] != latest:
            cached = (latest, _Boxes())
            _cache["boxes"] = cached
    return cached[1]


class AreaLocator:
    """One per job: not shared between threads."""

    def __init__(self) -> None:
        self.box: Box | None = None
        self.communes = 0  # indexed by the current area's locator
        self._locator: Locator | None = None

    def locate(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Commune id per point (`"com:69123"`), None at sea, abroad or for NaN/inf input."""
        x = np.asarray(lons, dtype=np.float64).ravel()
        y = np.asarray(lats, dtype=np.float64).ravel()
        finite = np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90)
        if not finite.any():
            return np.full(len(x), None, dtype=object)
        box = (
            float(x[finite].min()), float(y[finite].min()),
            float(x[finite].max()), float(y[finite].max()),
        )  # fmt: skip
        if self._locator is None or self.box is None or not _inside(box, self.box):
            if self.box is not None:
                box = (
                    min(box[0], self.box[0]), min(box[1], self.box[1]),
                    max(box[2], self.box[2]), max(box[3], self.box[3]),
                )  # fmt: skip
            self.box = (box[0] - MARGIN, box[1] - MARGIN, box[2] + MARGIN, box[3] + MARGIN)
            self._locator = self._build(self.box)
        return self._locator.locate(x, y)

    def _build(self, box: Box) -> Locator:
        every = _boxes()
        b, s = every.boxes, BBOX_SLACK
        meets = (
            (b[:, 0] - s <= box[2])
            & (b[:, 2] + s >= box[0])
            & (b[:, 1] - s <= box[3])
            & (b[:, 3] + s >= box[1])
        )
        chosen = sorted((every.codes[i], every.ids[i]) for i in np.flatnonzero(meets))
        self.communes = len(chosen)
        if not chosen or len(chosen) > MAX_COMMUNES:  # at sea, or the whole country
            return get_locator()
        wkb = dict(
            Territory.objects.filter(id__in=[tid for _code, tid in chosen]).values_list(
                "id", "geometry"
            )
        )
        geoms = shapely.from_wkb([bytes(wkb[tid] or b"") for _code, tid in chosen])
        return Locator([tid for _code, tid in chosen], geoms, build_index(geoms))
