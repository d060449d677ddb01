"""Platform footprint endpoint: a thin handler over maillage.indicators.footprints (the
`footprints` of `maillage indicators`, with its documented schema)."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from maillage.indicators import footprints, selectors
from maillage.territories.models import Territory
from maillage.territories.selectors import resolve_territory

from .schemas import TerritoryRef, errors

router = Router(tags=["empreinte des plateformes"])


class FootprintPeer(Schema):
    id: str
    name: str
    value: float
    date: str = Field(description="Date du chiffre du pair (au plus un an d'écart)")


class FootprintComparison(Schema):
    peers_with_data: int = Field(description="Pairs qui ont ce chiffre")
    peers: int = Field(description="Pairs du territoire")
    median: float
    percentile: float = Field(description="Rang centile parmi les pairs qui ont ce chiffre")
    ratio: float | None = Field(description="Valeur rapportée à la médiane des pairs")
    members: list[FootprintPeer]


class FootprintValue(Schema):
    metric: str = Field(description="Code stable (annonces, part-avec-numero…)")
    label: str
    value: float = Field(description="Une part est entre 0 et 1")
    unit: str
    format: str = Field(description="count, share (part entre 0 et 1), rate ou number")
    derived: bool = Field(description="Calculé à la lecture à partir des comptes du groupe")
    peers: FootprintComparison | None


class FootprintColumn(Schema):
    metric: str
    label: str
    format: str


class FootprintPart(Schema):
    code: str = Field(description="Code INSEE de l'arrondissement municipal")
    id: str
    name: str
    population: int | None
    figures: dict[str, float]


class FootprintSource(Schema):
    name: str
    licence: str | None
    url: str | None


class FootprintGroup(Schema):
    platform: str
    kind: str | None = Field(description="Catégorie de la typologie (nature de la plateforme)")
    kind_label: str | None
    date: str
    scope: str = Field(
        description="territory : chiffres du territoire ; communes : somme de ses communes"
    )
    communes_with_data: int | None
    communes_total: int | None
    population: int | None = Field(description="Population des communes couvertes")
    sources: list[FootprintSource]
    notes: list[str]
    figures: list[FootprintValue]
    breakdown_columns: list[FootprintColumn]
    breakdown: list[FootprintPart] = Field(description="Par arrondissement municipal")
    breakdown_unplaced: dict[str, float]


class FootprintsOut(Schema):
    territory: TerritoryRef
    peers: list[TerritoryRef]
    footprints: list[FootprintGroup]


@router.get(
    "/territories/{territory_id}/footprints",
    response={200: FootprintsOut, **errors(400, 404)},
    summary="Empreinte des plateformes sur un territoire, comparée à ses pairs",
    description=(
        "Un groupe par plateforme et par date (jamais de somme entre plateformes) : chiffres "
        "du territoire, ou somme de ses communes qui en ont (avec combien de communes elle "
        "couvre), parts et chiffres pour 1 000 habitants, détail par arrondissement à Paris, "
        "Lyon et Marseille, comparaison avec les pairs qui ont des chiffres. Les pairs sont "
        "ceux des indicateurs calculés, ou ceux donnés (peers)."
    ),
)
def get_footprints(
    request: HttpRequest,
    territory_id: str,
    peers: str = Query(
        "",
        description=(
            "Pairs choisis, du même niveau, séparés par des virgules ; un identifiant inconnu "
            "ou d'un autre niveau est une erreur 400 invalid-peers"
        ),
    ),
) -> dict[str, Any]:
    territory = resolve_territory(territory_id).territory
    chosen = [p.strip() for p in peers.split(",") if p.strip()][: selectors.MAX_CHOSEN_PEERS]
    if chosen:
        levels = dict(Territory.objects.filter(id__in=chosen).values_list("id", "level"))
        unknown = [p for p in chosen if p not in levels]
        other = [p for p in chosen if p in levels and levels[p] != territory.level]
        if unknown or other:
            raise selectors.invalid_peers(territory.id, territory.level, unknown, other)
    peer_ids = chosen or footprints.stored_peers(territory.id)
    names = dict(Territory.objects.filter(id__in=peer_ids).values_list("id", "name"))
    return {
        "territory": {"id": territory.id, "name": territory.name, "level": territory.level},
        "peers": [
            {"id": p, "name": names[p], "level": territory.level} for p in peer_ids if p in names
        ],
        "footprints": footprints.footprints(territory.id, peer_ids),
    }
