"""Register endpoints: what the official registers (SIRENE) say of a territory's emergence —
the same `registers` part as in `/territories/{id}/indicators` and the portrait."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from maillage.indicators import selectors
from maillage.territories.selectors import resolve_territory

from .schemas import errors

router = Router(tags=["registres"])


class Figures(Schema):
    creations: dict[str, int] = Field(description="Créations par année (« 2021 » : 12)")
    closures: dict[str, int] = Field(description="Fermetures par année")
    stock: dict[str, int] = Field(description="Établissements actifs au 31 décembre")


class Trend(Schema):
    window: list[int] = Field(description="Première et dernière années de la période")
    previous_window: list[int]
    creations: int
    previous_creations: int
    change: float | None = Field(description="Évolution relative ; null sans période précédente")
    direction: str | None = Field(description="hausse, baisse, stable ou null")
    share_of_all_creations: float | None = None


class CategoryFigures(Figures):
    label: str
    trend: Trend


class Part(Schema):
    code: str
    name: str


class Coverage(Schema):
    status: str = Field(description="full : tout le territoire ; partial : une partie seulement")
    communes: int
    communes_whole: int
    communes_partial: int
    parts: list[Part] = Field(description="Parties décrites d'une commune (arrondissements)")
    note: str


class PeerValue(Schema):
    id: str
    name: str
    per_10k: float


class Peers(Schema):
    members: int
    with_data: int
    without_data: int
    window: list[int]
    per_10k: float | None = Field(description="Créations de la période pour 10 000 habitants")
    median_per_10k: float | None
    percentile: float | None
    compared: list[PeerValue]
    note: str


class MappingVersion(Schema):
    version: str | None
    loaded_at: str | None
    edited_at: str | None
    added_in_admin: int
    rules: int


class RegisterSource(Schema):
    source: str
    kind: str = Field(description="Registre : sirene")
    label: str
    licence: str
    attribution: str
    vintage: str = Field(description="Date que décrit le fichier")
    imported_at: str
    last_complete_year: int
    coverage: Coverage
    mapping: MappingVersion
    practices: Figures = Field(description="Codes d'activité rattachés à une pratique")
    categories: dict[str, CategoryFigures]
    all_establishments: Figures
    old_codes_creations: dict[str, int] = Field(
        description="Créations sous d'anciens codes (NAF 1993, NAP) qu'aucune règle ne rattache"
    )
    unknown_code_creations: dict[str, int]
    trend: Trend
    peers: Peers


class RegistersOut(Schema):
    available: bool = Field(description="false : aucun fichier de registre ne décrit ce territoire")
    message: str | None = Field(
        description="« pas de données du registre » quand rien ne le décrit"
    )
    sources: list[RegisterSource]


@router.get(
    "/territories/{territory_id}/registers",
    response={200: RegistersOut, **errors(400, 404)},
    summary="Registres officiels : créations d'établissements liées aux pratiques",
    description=(
        "Pour chaque fichier de registre importé (SIRENE) qui décrit le territoire : "
        "créations, fermetures et établissements actifs par année dans les activités que la "
        "table de correspondance NAF → typologie rattache aux pratiques (au total et par "
        "catégorie), tendance sur trois ans, comparaison avec les pairs (pour 10 000 "
        "habitants, seulement là où le fichier couvre tout le territoire), couverture du "
        "fichier, source et licence. Un territoire qu'aucun fichier ne décrit répond "
        "available = false et « pas de données du registre », jamais 0."
    ),
)
def get_registers(
    request: HttpRequest,
    territory_id: str,
    peers: str = Query(
        "",
        description=(
            "Pairs choisis, séparés par des virgules ; défaut : ceux de la règle des "
            "indicateurs (aucun avant leur premier calcul)"
        ),
    ),
) -> dict[str, Any]:
    territory = resolve_territory(territory_id).territory
    chosen = [p.strip() for p in peers.split(",") if p.strip()]
    return selectors.registers(territory.id, chosen or None)
