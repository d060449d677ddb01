"""Response schemas of the public API (they are the documented OpenAPI contract)."""

from ninja import Schema


class Error(Schema):
    code: str
    message: str


class TerritoryRef(Schema):
    id: str
    name: str
    level: str


class ResolvedFrom(Schema):
    code: str
    name: str
    kind: str
    note: str


class TerritoryOut(Schema):
    id: str
    name: str
    level: str
    code: str
    siren: str | None
    kind: str | None
    population: int | None
    population_year: int | None
    area_km2: float | None
    point: list[float] | None
    bbox: list[float] | None
    parents: list[TerritoryRef]
    children_count: int
    resolved_from: ResolvedFrom | None = None


class TerritorySummary(Schema):
    id: str
    name: str
    level: str
    code: str
    population: int | None
    departement_id: str | None


class PlaceRef(Schema):
    id: str
    code: str
    name: str


class LocationOut(Schema):
    """Either the four territories containing the point, or outside_france = true."""

    outside_france: bool = False
    commune: PlaceRef | None = None
    epci: PlaceRef | None = None
    departement: PlaceRef | None = None
    region: PlaceRef | None = None
