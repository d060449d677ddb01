"""Response schemas of the public API (they are the documented OpenAPI contract)."""

from typing import Any

from ninja import Schema
from pydantic import Field


class Error(Schema):
    """Every API error (maillage.core.errors.MaillageError): a stable code for programs, a
    message for people in the request's language (French by default, English with
    `Accept-Language: en`), and sometimes details."""

    code: str = Field(description="Code stable (ex. territory-not-found, invalid-parameters)")
    message: str = Field(description="Message en français, ou en anglais (Accept-Language: en)")
    details: dict[str, Any] | None = Field(
        None, description="Précisions (paramètres invalides, pairs refusés…)"
    )


def errors(*statuses: int) -> dict[int, type[Error]]:
    """The error responses of an operation, for its `response=` (documented in OpenAPI)."""
    return dict.fromkeys(statuses, Error)


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
