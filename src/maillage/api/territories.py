"""Territory endpoints: thin handlers over maillage.territories.selectors."""

from django.http import HttpRequest
from ninja import Query, Router

from maillage.territories import selectors
from maillage.territories.locate_csv import describe_point
from maillage.territories.models import Territory

from .schemas import LocationOut, TerritoryOut, TerritorySummary, errors

router = Router(tags=["territoires"])


def _summary(t: Territory) -> dict:
    return {
        "id": t.id,
        "name": t.name,
        "level": t.level,
        "code": t.code,
        "population": t.population,
        "departement_id": t.departement_id,
    }


@router.get(
    "/territories",
    response={200: list[TerritorySummary], **errors(422)},
    summary="Chercher un territoire",
)
def search_territories(
    request: HttpRequest, q: str = Query(..., description="Nom, code INSEE, code postal, SIREN")
) -> list[dict]:
    return [_summary(t) for t in selectors.search(q)]


@router.get(
    "/territories/{territory_id}",
    response={200: TerritoryOut, **errors(400, 404)},
    summary="Décrire un territoire (les anciens codes de communes sont acceptés)",
)
def get_territory(request: HttpRequest, territory_id: str) -> dict:
    resolved = selectors.resolve_territory(territory_id)
    t = resolved.territory
    data = selectors.describe(t, selectors.parents(t), selectors.children(t).count())
    if resolved.alias is not None:
        data["resolved_from"] = {
            "code": resolved.alias.code,
            "name": resolved.alias.name,
            "kind": resolved.alias.kind,
            "note": resolved.note,
        }
    return data


@router.get(
    "/territories/{territory_id}/children",
    response={200: list[TerritorySummary], **errors(400, 404)},
    summary="Subdivisions d'un territoire",
)
def get_children(request: HttpRequest, territory_id: str) -> list[dict]:
    t = selectors.resolve_territory(territory_id).territory
    return [_summary(c) for c in selectors.children(t)]


@router.get(
    "/locate",
    response={200: LocationOut, **errors(422)},
    summary="Commune, EPCI, département et région d'un point (WGS84)",
)
def locate(
    request: HttpRequest,
    lon: float = Query(..., ge=-180, le=180, description="Longitude, ex. 2.3522"),
    lat: float = Query(..., ge=-90, le=90, description="Latitude, ex. 48.8566"),
) -> dict:
    return describe_point(lon, lat)
