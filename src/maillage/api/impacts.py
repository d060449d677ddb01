"""Impact endpoint: a thin handler over maillage.impacts.selectors (the stored figures, the
same JSON as `maillage impacts TERRITORY --json` plus when they were computed)."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from maillage.impacts import selectors
from maillage.territories.selectors import resolve_territory

from .schemas import errors

router = Router(tags=["impacts"])


class ImpactOverride(Schema):
    key: str
    low: float
    central: float
    high: float
    source: str
    source_url: str | None
    override: str | None = Field(description="Territoire dont c'est la valeur locale")


class ImpactCoefficient(Schema):
    key: str = Field(description="Code stable du coefficient (ex. repair.kgco2e_per_repair)")
    low: float
    central: float
    high: float
    quantity: str
    unit: str
    source: str = Field(description="Source du coefficient (texte)")
    source_url: str | None = Field(description="Adresse de la source")
    checked_on: str | None = Field(description="Date de vérification de la source")
    contested: bool = Field(description="Valeur discutée par d'autres sources")
    contested_note: str
    version: int
    overrides: list[ImpactOverride] = Field(
        description="Valeurs locales utilisées pour une partie du territoire"
    )


class ImpactInput(Schema):
    name: str
    label: str
    unit: str
    metric: str | None = Field(description="Mesure du rapport d'activité qui la donne")
    default: str = Field(description="Valeur par défaut, en mots")
    reported: int = Field(description="Initiatives qui l'ont déclarée")
    defaulted: int = Field(description="Initiatives estimées avec la valeur par défaut")
    years: list[int] = Field(description="Années des valeurs déclarées")


class ImpactFormula(Schema):
    formula: str
    description: str = Field(description="La formule en mots")
    initiatives: int
    inputs: list[ImpactInput]


class ImpactSensitivity(Schema):
    key: str
    quantity: str
    unit: str
    total_at_low: float = Field(description="Le chiffre avec ce coefficient à sa valeur basse")
    total_at_high: float = Field(description="Le chiffre avec ce coefficient à sa valeur haute")
    swing: float


class ImpactFigure(Schema):
    indicator: str = Field(description="Dimension (ex. co2e_avoided_t)")
    label: str
    unit: str
    low: float
    central: float
    high: float
    basis: str = Field(description="reported (déclaré), estimated (estimé) ou mixed (mixte)")
    reported_initiatives: int
    estimated_initiatives: int
    missing_data_initiatives: int
    coefficients: list[ImpactCoefficient]
    formulas: list[ImpactFormula]
    sensitivity: list[ImpactSensitivity] = Field(
        description="Les 3 coefficients qui pèsent le plus"
    )
    sensitivity_text: str


class ImpactWithoutBasis(Schema):
    category: str | None
    initiatives: int
    message: str = Field(description="« impact non estimé : pas de référence sourcée »")


class ImpactNotEstimated(Schema):
    indicator: str
    missing_data_initiatives: int


class ImpactsOut(Schema):
    territory: str
    name: str
    formulas_version: str
    computed_at: str
    stale: bool = Field(description="L'inventaire a changé depuis : un recalcul est en attente")
    initiatives: int
    initiatives_without_basis: int
    without_basis_message: str
    categories_without_basis: list[ImpactWithoutBasis]
    figures: list[ImpactFigure]
    not_estimated: list[ImpactNotEstimated]


@router.get(
    "/territories/{territory_id}/impacts",
    response={200: ImpactsOut, **errors(400, 404, 503)},
    summary="Impacts des pratiques collaboratives d'un territoire, avec fourchettes et sources",
    description=(
        "Par dimension (CO₂e évité, déchets évités, emplois, bénévolat, participants, argent "
        "des ménages, retombées locales), jamais un score global : valeurs basse, centrale et "
        "haute, base (déclarée, estimée ou mixte), initiatives déclarées et estimées, "
        "coefficients avec leurs sources et valeurs locales, formules en mots, et les "
        "coefficients qui font le plus varier le chiffre. Chiffres précalculés avec les "
        "indicateurs ; les catégories sans référence sourcée sont listées sans chiffre."
    ),
)
def get_impacts(request: HttpRequest, territory_id: str) -> dict[str, Any]:
    territory = resolve_territory(territory_id).territory
    return selectors.stored_impacts(territory)
