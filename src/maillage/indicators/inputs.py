"""What the indicators are computed from, read once into arrays: the referential (every
territory, and for each commune its EPCI, département, région) and the public inventory (one
row per live, published, unmerged initiative placed in a commune)."""

import datetime
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, Substr

from maillage.catalog.models import ActivityReport, Category, Family, Initiative
from maillage.sources.models import HarvestJob, Source
from maillage.territories.models import Level, Territory

from .reach import METROPOLE

SOURCE_SEPARATOR = "\x1f"  # between a source's name and its licence, in one column


@dataclass
class Referential:
    ids: list[str]  # every territory; the arrays below follow this order
    level: np.ndarray  # str
    name: list[str]
    population: np.ndarray  # float, NaN when unknown
    area_km2: np.ndarray  # float, NaN when unknown
    communes: np.ndarray  # territory index of each commune, in commune order
    # (communes × 5): territory index of the commune itself, its EPCI, département, région
    # and France; -1 where it has none.
    ancestors: np.ndarray
    commune_lon: np.ndarray
    commune_lat: np.ndarray
    commune_group: np.ndarray  # projection group: "metro" or the overseas département's code
    commune_index: dict[str, int]  # commune id → commune order

    @property
    def size(self) -> int:
        return len(self.ids)


@dataclass
class Typology:
    categories: list[str]
    families: list[str]
    family_of: np.ndarray  # category index → family index


@dataclass
class Inventory:
    commune: np.ndarray  # commune order (int32)
    category: np.ndarray  # category index, -1 « à classer »
    lon: np.ndarray
    lat: np.ndarray
    active: np.ndarray  # bool: status « actif » (what the counts count)
    projet: np.ndarray  # bool: status « projet »
    created_year: np.ndarray  # int16: year of creation or opening, 0 when unknown
    appeared: np.ndarray  # bool: appeared in a source's later harvest, in the last 12 months
    first_imported: np.ndarray  # bool: came with the first harvest of its source
    verified: np.ndarray  # bool: verified in the last 12 months
    with_activity: np.ndarray  # bool: activity reported for this year or the last
    source: np.ndarray  # index into sources
    sources: list[tuple[str, str]]  # (source name, licence)

    @property
    def size(self) -> int:
        return len(self.commune)


def load_referential() -> Referential:
    rows: list[Any] = list(
        Territory.objects.order_by("level", "code").values_list(
            "id", "level", "name", "population", "area_km2", "epci_id", "departement_id",
            "region_id", "point_lon", "point_lat", "zone", named=True,
        )
    )  # fmt: skip
    ids = [r.id for r in rows]
    index = {tid: i for i, tid in enumerate(ids)}
    country = index.get("fr", -1)
    communes = [i for i, r in enumerate(rows) if r.level == Level.COMMUNE]
    ancestors = np.full((len(communes), 5), -1, dtype=np.int64)
    lon = np.full(len(communes), np.nan)
    lat = np.full(len(communes), np.nan)
    group = np.empty(len(communes), dtype=object)
    for n, i in enumerate(communes):
        commune = rows[i]
        ancestors[n] = [
            i,
            index.get(commune.epci_id, -1),
            index.get(commune.departement_id, -1),
            index.get(commune.region_id, -1),
            country,
        ]
        lon[n] = np.nan if commune.point_lon is None else commune.point_lon
        lat[n] = np.nan if commune.point_lat is None else commune.point_lat
        in_metropole = commune.zone in ("", "metro")
        group[n] = METROPOLE if in_metropole else (commune.departement_id or commune.id)
    return Referential(
        ids=ids,
        level=np.array([r.level for r in rows], dtype=object),
        name=[r.name for r in rows],
        population=np.array([np.nan if r.population is None else r.population for r in rows]),
        area_km2=np.array([np.nan if r.area_km2 is None else r.area_km2 for r in rows]),
        communes=np.array(communes, dtype=np.int64),
        ancestors=ancestors,
        commune_lon=lon,
        commune_lat=lat,
        commune_group=group,
        commune_index={ids[i]: n for n, i in enumerate(communes)},
    )


def load_typology() -> Typology:
    families = list(Family.objects.order_by("position", "code").values_list("code", flat=True))
    categories = list(
        Category.objects.filter(retired=False)
        .order_by("family__position", "position", "code")
        .values_list("code", "family_id")
    )
    family_index = {code: i for i, code in enumerate(families)}
    return Typology(
        categories=[c for c, _f in categories],
        families=families,
        family_of=np.array([family_index[f] for _c, f in categories], dtype=np.int64),
    )


def _public_rows(today: datetime.date) -> tuple[str, tuple]:
    """The SQL of the inventory query: the ORM writes it for both databases, and a plain cursor
    runs it (a million model rows would cost more than every figure)."""
    year_ago = today - datetime.timedelta(days=365)
    text: CharField = CharField()
    number: IntegerField = IntegerField()
    query = (
        Initiative.objects.public()
        .filter(commune__isnull=False)
        .annotate(
            active=ExpressionWrapper(Q(status="actif"), output_field=BooleanField()),
            projet=ExpressionWrapper(Q(status="projet"), output_field=BooleanField()),
            # The year of creation, else of opening, else 0: the dates as ISO text, cut.
            year=Coalesce(
                Cast(Substr(Cast("created_on", text), 1, 4), number),
                Cast(Substr(Cast("opened_on", text), 1, 4), number),
                Value(0),
            ),
            appeared=ExpressionWrapper(Q(appeared_on__gte=year_ago), output_field=BooleanField()),
            # From a source (its name is kept), and not brought by a later harvest of it.
            first_imported=ExpressionWrapper(
                Q(appeared_on__isnull=True) & ~Q(source_name=""), output_field=BooleanField()
            ),
            verified=ExpressionWrapper(
                Q(last_verified_on__gte=year_ago), output_field=BooleanField()
            ),
            with_activity=Exists(
                ActivityReport.objects.filter(initiative=OuterRef("pk"), year__gte=today.year - 1)
            ),
            source=Concat("source_name", Value(SOURCE_SEPARATOR), "source_licence"),
        )
        .order_by()
        .values_list(
            "commune_id", "category_id", "lon", "lat", "active", "projet", "year", "appeared",
            "verified", "source", "with_activity", "first_imported",
        )
    )  # fmt: skip
    sql, params = query.query.sql_with_params()
    return sql, params


def load_inventory(referential: Referential, typology: Typology, today: datetime.date) -> Inventory:
    sql, params = _public_rows(today)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        empty = np.zeros(0)
        return Inventory(
            commune=empty.astype(np.int64), category=empty.astype(np.int64), lon=empty,
            lat=empty, active=empty.astype(bool), projet=empty.astype(bool), created_year=empty.astype(np.int16),
            appeared=empty.astype(bool), first_imported=empty.astype(bool),
            verified=empty.astype(bool),
            with_activity=empty.astype(bool),
            source=empty.astype(np.int64), sources=[],
        )  # fmt: skip
    (commune, category, lon, lat, active, projet, year, appeared, verified, source,
     with_activity, first_imported) = zip(*rows, strict=True)  # fmt: skip
    n = len(rows)
    category_index = {code: i for i, code in enumerate(typology.categories)}
    sources: dict[str, int] = {}
    for key in set(source):
        sources[key] = len(sources)

    def indexes(values: tuple, index: dict[str, int]) -> np.ndarray:
        return np.fromiter(map(index.get, values, repeat(-1)), dtype=np.int64, count=n)

    return Inventory(
        commune=indexes(commune, referential.commune_index),
        category=indexes(category, category_index),
        lon=np.array(lon, dtype=float),
        lat=np.array(lat, dtype=float),
        active=np.array(active, dtype=bool),
        projet=np.array(projet, dtype=bool),
        created_year=np.array(year, dtype=np.int16),
        appeared=np.array(appeared, dtype=bool),  # None (no date) is False
        first_imported=np.array(first_imported, dtype=bool),
        verified=np.array(verified, dtype=bool),
        source=indexes(source, sources),
        with_activity=np.array(with_activity, dtype=bool),
        sources=[tuple(key.split(SOURCE_SEPARATOR, 1)) for key in sources],  # type: ignore[misc]
    )


@dataclass
class CoveringSource:
    name: str
    categories: list[str]
    area: list[str]
    vintage: datetime.date | None = None
    proposed: bool = False
    licence: str = ""


def covering_sources() -> list[CoveringSource]:
    """The sources that looked: a declared (or proposed) coverage and one real import done at
    least (a source declared but never read covers nothing)."""
    done = HarvestJob.objects.filter(
        dry_run=False, status__in=[HarvestJob.Status.DONE, HarvestJob.Status.DONE_WITH_ERRORS]
    )
    sources = Source.objects.filter(pk__in=done.values("source_id")).order_by("name")
    return [
        CoveringSource(
            s.label or s.name,
            list(s.coverage_categories),
            list(s.coverage_area),
            s.data_vintage,
            s.coverage_proposed,
            s.licence,
        )
        for s in sources
        if s.coverage_categories and s.coverage_area
    ]


def load_coverage(
    referential: Referential, typology: Typology, sources: list[CoveringSource] | None = None
) -> np.ndarray:
    """communes × categories, True where some source inventories the category in the
    commune. A family code in a source's categories stands for each of its categories; an
    area is any territory id (France, a région, a commune…); unknown codes are ignored."""
    n_communes, n_cat = len(referential.communes), len(typology.categories)
    covered = np.zeros((n_communes, n_cat), dtype=bool)
    category_index = {code: i for i, code in enumerate(typology.categories)}
    family_index = {code: f for f, code in enumerate(typology.families)}
    territory_index = {tid: i for i, tid in enumerate(referential.ids)}
    for source in covering_sources() if sources is None else sources:
        categories = np.zeros(n_cat, dtype=bool)
        for code in source.categories:
            if code in category_index:
                categories[category_index[code]] = True
            elif code in family_index:
                categories |= typology.family_of == family_index[code]
        area = np.zeros(n_communes, dtype=bool)
        for tid in source.area:
            if tid in territory_index:
                area |= (referential.ancestors == territory_index[tid]).any(axis=1)
        covered |= area[:, None] & categories[None, :]
    return covered
