"""Indicator endpoints: thin handlers over maillage.indicators.selectors (the same JSON as
`maillage indicators TERRITORY --json` and the portrait page's JSON twin)."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from maillage.indicators import selectors
from maillage.territories.selectors import resolve_territory

from .schemas import errors

router = Router(tags=["indicateurs"])


@router.get(
    "/territories/{territory_id}/indicators",
    response={200: dict[str, Any], **errors(400, 404, 503)},
    summary="Indicateurs d'un territoire, comparés à ses pairs",
    description=(
        "Nombre d'initiatives publiées et actives, pour 10 000 habitants, part des habitants "
        "dans une commune qui en a une et à portée d'une, émergence, diversité, complétude, "
        "sources, séries publiées, et comparaison avec les pairs (médiane, rang centile, "
        "rapport, manques, points forts), pour toutes les pratiques, chaque famille et chaque "
        "catégorie. Schéma des champs : README, « maillage indicators »."
    ),
)
def get_indicators(
    request: HttpRequest,
    territory_id: str,
    peers: str = Query(
        "",
        description=(
            "Pairs choisis, du même niveau, séparés par des virgules (dep:29,dep:22) ; un "
            "identifiant inconnu ou d'un autre niveau est une erreur 400 invalid-peers"
        ),
    ),
) -> dict[str, Any]:
    territory = resolve_territory(territory_id).territory
    chosen = [p.strip() for p in peers.split(",") if p.strip()]
    return selectors.portrait(territory.id, chosen or None, strict=True)
