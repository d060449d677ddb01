"""Impacts of one initiative and of a territory, by dimension, with their sensitivity.

An initiative's inputs are its latest reported value of each metric (the most recent year
reported for that metric). Its coefficients are those that apply where it is (its commune's
overrides, else its EPCI's, département's, région's, else the national value). A territory's
figure of a dimension is the sum of its initiatives' ranges for that dimension (never a sum
across dimensions), with how many initiatives reported and how many are estimated; so a
territory's figure is exactly the sum of its communes'. Participants are summed as reported:
a person taking part in two initiatives counts twice.

What is counted: published, live, active initiatives placed in a commune of the territory
(as the indicators count them).

Sensitivity: for a territory figure, each coefficient it rests on is moved alone from its
low to its high end (every other at its central value); the three that move the total most
are the ones a local measurement would narrow best.
"""

import logging
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db.models import Q, QuerySet

from maillage.catalog.activity import ActivityReport
from maillage.catalog.models import Initiative
from maillage.catalog.vocabularies import Status
from maillage.territories.models import Level, Territory

from .coefficients import CoefficientTable, CoefficientValue, UnknownCoefficient
from .dimensions import DIMENSIONS, NO_BASIS
from .engine import ESTIMATED, MIXED, REPORTED, DimensionResult, Report, evaluate
from .formulas import Formula, FormulaSet, project_formulas
from .presenters import sensitivity_sentence
from .ranges import ZERO, Range
from .swings import Moves, swings

logger = logging.getLogger(__name__)

TOP_SENSITIVITY = 3


@dataclass(frozen=True)
class Place:
    """An initiative as the computation needs it: what it is and where."""

    initiative_id: int
    name: str
    category_id: str | None
    carrier: str
    chain: tuple[str, ...]  # its commune, EPCI, département, région (overrides, nearest first)


@dataclass
class InitiativeImpact:
    place: Place
    reports: dict[str, Report]
    formulas: list[Formula]
    results: list[DimensionResult]

    @property
    def has_basis(self) -> bool:
        """Whether its category has a sourced formula (a carrier's formula alone does not say
        anything of the practice)."""
        return any(f.categories for f in self.formulas)

    def as_dict(self) -> dict[str, Any]:
        return {
            "initiative": self.place.initiative_id,
            "name": self.place.name,
            "category": self.place.category_id,
            "formulas": [f.code for f in self.formulas],
            "message": "" if self.has_basis else str(NO_BASIS),
            "figures": [figure_of(r) for r in self.results if r.value is not None],
            "not_estimated": [
                {"indicator": r.dimension, "reason": r.missing_text()}
                for r in self.results
                if r.value is None
            ],
        }


def figure_of(result: DimensionResult) -> dict[str, Any]:
    assert result.value is not None
    dimension = DIMENSIONS[result.dimension]
    return {
        "indicator": result.dimension,
        "label": str(dimension.label),
        "unit": str(dimension.unit),
        **result.value.as_dict(),
        "basis": result.basis,
        "formula": result.formula,
        "description": result.description,
        "inputs": [i.as_dict() for i in result.inputs],
        "coefficients": [c.as_dict() for c in result.coefficients],
    }


# --- reading -----------------------------------------------------------------------------


def territory_filter(territory: Territory) -> Q:
    """The initiatives placed in a commune of the territory."""
    match territory.level:
        case Level.COUNTRY:
            return Q(commune__isnull=False)
        case Level.REGION:
            return Q(commune__region_id=territory.id)
        case Level.DEPARTEMENT:
            return Q(commune__departement_id=territory.id)
        case Level.EPCI:
            return Q(commune__epci_id=territory.id)
    return Q(commune_id=territory.id)


def counted() -> QuerySet[Initiative]:
    return Initiative.objects.public().filter(status=Status.ACTIF)


def places(initiatives: QuerySet[Initiative]) -> list[Place]:
    rows = initiatives.values_list(
        "id",
        "name",
        "category_id",
        "carrier",
        "commune_id",
        "commune__epci_id",
        "commune__departement_id",
        "commune__region_id",
    ).order_by("id")
    return [
        Place(pk, name, category, carrier, tuple(i for i in chain if i))
        for pk, name, category, carrier, *chain in rows
    ]


def latest_reports(initiatives: QuerySet[Initiative]) -> dict[int, dict[str, Report]]:
    """initiative id → metric → its latest reported value (one query)."""
    rows = (
        ActivityReport.objects.filter(initiative__in=initiatives.values("id"))
        .order_by("initiative_id", "metric", "year")
        .values_list("initiative_id", "metric", "value", "year")
    )
    found: dict[int, dict[str, Report]] = defaultdict(dict)
    for initiative_id, metric, value, year in rows:
        found[initiative_id][metric] = Report(value, year)  # the latest year comes last
    return found


# --- one initiative ----------------------------------------------------------------------


Signature = tuple[str | None, str, tuple[str, ...], tuple[tuple[str, Report], ...]]


def signature(place: Place, reports: dict[str, Report], table: CoefficientTable) -> Signature:
    """What an estimate depends on: initiatives alike in these get the same figures."""
    return (
        place.category_id,
        place.carrier,
        table.override_chain(place.chain),
        tuple(sorted(reports.items())),
    )


def estimate(
    place: Place,
    reports: dict[str, Report],
    table: CoefficientTable,
    formulas: FormulaSet,
    memo: dict[Signature, list[DimensionResult]] | None = None,
) -> InitiativeImpact:
    """One initiative's figures. With `memo`, initiatives alike (same category, carrier,
    reports and overrides: most of those with no report) are evaluated once."""
    applying = formulas.applying(place.category_id, place.carrier)
    key = signature(place, reports, table) if memo is not None else None
    if memo is not None and key in memo:
        return InitiativeImpact(place, reports, applying, memo[key])
    results: list[DimensionResult] = []
    for formula in list(applying):
        try:
            results.extend(evaluate(formula, reports, partial(table.resolve, chain=place.chain)))
        except UnknownCoefficient as error:
            # A coefficient deleted, or not loaded (a flushed database): this formula
            # estimates nothing, and every other figure of every territory is still computed.
            logger.warning("formule %s ignorée : %s", formula.code, error.message)
            applying.remove(formula)
    if memo is not None and key is not None:
        memo[key] = results
    return InitiativeImpact(place, reports, applying, results)


def initiative_impacts(
    initiative: Initiative,
    table: CoefficientTable | None = None,
    formulas: FormulaSet | None = None,
) -> InitiativeImpact:
    one = Initiative.objects.filter(pk=initiative.pk)
    found = places(one)
    place = found[0] if found else Place(initiative.pk, initiative.name, None, "", ())
    return estimate(
        place,
        latest_reports(one).get(initiative.pk, {}),
        table or CoefficientTable.load(),
        formulas or project_formulas(),
    )


# --- a territory -------------------------------------------------------------------------


@dataclass
class Total:
    """One dimension of a territory: the sum of its initiatives' ranges, and what it rests on."""

    dimension: str
    value: Range = ZERO
    reported: int = 0
    estimated: int = 0
    missing: int = 0
    coefficients: dict[str, CoefficientValue] = field(default_factory=dict)
    overrides: dict[tuple[str, str], CoefficientValue] = field(default_factory=dict)
    # Initiatives alike (one signature) counted once with how many they are: the sensitivity
    # evaluates each group once, not each initiative (France holds every initiative).
    groups: dict[Hashable, tuple[InitiativeImpact, int]] = field(default_factory=dict)
    # (group, dimension) → its central value and moves: see `_moves`.
    cache: dict[tuple[Hashable, str], tuple[float, Moves]] = field(default_factory=dict)

    @property
    def basis(self) -> str:
        if self.reported and self.estimated:
            return MIXED
        return REPORTED if self.reported else ESTIMATED

    def add(
        self,
        impact: InitiativeImpact,
        result: DimensionResult,
        table: CoefficientTable,
        key: Hashable | None = None,
        count: int = 1,
    ) -> None:
        """Add `count` initiatives alike (`key`: their signature, or any id standing for it)."""
        if result.value is None:
            self.missing += count
            return
        value = result.value if count == 1 else result.value * Range.point(float(count))
        self.value = self.value + value
        if result.basis == REPORTED:
            self.reported += count
        else:
            self.estimated += count
        for used in result.coefficients:
            self.coefficients.setdefault(used.key, table.national[used.key])
            if used.override_territory:
                self.overrides[(used.key, used.override_territory)] = used
        key = key if key is not None else signature(impact.place, impact.reports, table)
        first, before = self.groups.get(key, (impact, 0))
        self.groups[key] = (first, before + count)

    def swing(self, key: str, table: CoefficientTable) -> tuple[float, float]:
        """The total with `key` at its low end, then at its high end, every other coefficient
        at its central value."""
        low = high = 0.0
        for group, (impact, count) in self.groups.items():
            central, moves = self._moves(group, impact, table)
            at_low, at_high = moves.get(key, (central, central))
            low += at_low * count
            high += at_high * count
        return low, high

    def _moves(
        self, group: Hashable, impact: InitiativeImpact, table: CoefficientTable
    ) -> tuple[float, Moves]:
        """A group's central value and its moves (see swings.py), remembered in `cache`,
        which precompute shares between every territory: a group's moves do not depend on
        the territory summed."""
        found = self.cache.get((group, self.dimension))
        if found is None:
            formula = next(f for f in impact.formulas if self._gives(f))
            resolve = partial(table.resolve, chain=impact.place.chain)
            found = swings(formula, self.dimension, impact.reports, resolve) or (0.0, {})
            self.cache[(group, self.dimension)] = found
        return found

    def _gives(self, formula: Formula) -> bool:
        return any(d.dimension == self.dimension for d in formula.dimensions)

    def sensitivity(self, table: CoefficientTable) -> list[dict[str, Any]]:
        moves: list[dict[str, Any]] = []
        for key, national in self.coefficients.items():
            at_low, at_high = self.swing(key, table)
            swing = abs(at_high - at_low)
            if swing > 0:
                moves.append(
                    {
                        "key": key,
                        "quantity": national.quantity,
                        "unit": national.unit,
                        "total_at_low": at_low,
                        "total_at_high": at_high,
                        "swing": swing,
                    }
                )
        moves.sort(key=lambda m: (-m["swing"], m["key"]))
        return moves[:TOP_SENSITIVITY]

    def explained(self) -> list[dict[str, Any]]:
        """The formulas behind the figure, in words, with each input's origin: how many
        initiatives reported it (and of which years) and how many took its default. Read from
        the groups of alike initiatives, so it costs nothing per initiative."""
        formulas: dict[str, dict[str, Any]] = {}
        for impact, count in self.groups.values():
            for result in impact.results:
                if result.dimension != self.dimension or result.value is None:
                    continue
                entry = formulas.setdefault(
                    result.formula,
                    {
                        "formula": result.formula,
                        "description": result.description,
                        "initiatives": 0,
                        "inputs": {},
                    },
                )
                entry["initiatives"] += count
                for used in result.inputs:
                    spec = used.spec
                    line = entry["inputs"].setdefault(
                        spec.name,
                        {
                            "name": spec.name,
                            "label": spec.label,
                            "unit": spec.unit,
                            "metric": spec.metric,
                            "default": spec.default_label,
                            "reported": 0,
                            "defaulted": 0,
                            "years": [],
                        },
                    )
                    if used.origin == "default":
                        line["defaulted"] += count
                    else:
                        line["reported"] += count
                        if used.year is not None and used.year not in line["years"]:
                            line["years"].append(used.year)
        for entry in formulas.values():
            entry["inputs"] = list(entry["inputs"].values())
            for line in entry["inputs"]:
                line["years"].sort()
        return [formulas[code] for code in sorted(formulas)]

    def as_dict(self, table: CoefficientTable) -> dict[str, Any]:
        dimension = DIMENSIONS[self.dimension]
        sensitivity = self.sensitivity(table)
        coefficients = []
        for key in sorted(self.coefficients):
            entry = self.coefficients[key].as_dict()
            entry["overrides"] = [
                value.as_dict() for (k, _t), value in sorted(self.overrides.items()) if k == key
            ]
            coefficients.append(entry)
        return {
            "indicator": self.dimension,
            "label": str(dimension.label),
            "unit": str(dimension.unit),
            **self.value.as_dict(),
            "basis": self.basis,
            "reported_initiatives": self.reported,
            "estimated_initiatives": self.estimated,
            "missing_data_initiatives": self.missing,
            "coefficients": coefficients,
            "formulas": self.explained(),
            "sensitivity": sensitivity,
            "sensitivity_text": sensitivity_sentence(
                sensitivity, str(dimension.unit), bool(coefficients)
            ),
        }


@dataclass
class Sums:
    """A territory's initiatives added one at a time: how many, those without a sourced basis
    (by category), and each dimension's total."""

    initiatives: int = 0
    without_basis: dict[str, int] = field(default_factory=dict)  # category (or "") → count
    totals: dict[str, Total] = field(default_factory=dict)
    cache: dict[tuple[Hashable, str], tuple[float, Moves]] = field(default_factory=dict)

    def add(
        self,
        impact: InitiativeImpact,
        table: CoefficientTable,
        key: Hashable | None = None,
        count: int = 1,
    ) -> None:
        self.initiatives += count
        if not impact.has_basis:
            category = impact.place.category_id or ""
            self.without_basis[category] = self.without_basis.get(category, 0) + count
        for result in impact.results:
            total = self.totals.get(result.dimension)
            if total is None:
                total = self.totals[result.dimension] = Total(result.dimension, cache=self.cache)
            total.add(impact, result, table, key, count)

    def ordered(self) -> dict[str, Total]:
        return {code: self.totals[code] for code in DIMENSIONS if code in self.totals}


@dataclass
class TerritoryImpacts:
    territory: Territory
    sums: Sums
    table: CoefficientTable
    version: str

    @property
    def initiatives(self) -> int:
        return self.sums.initiatives

    @property
    def without_basis(self) -> int:
        return sum(self.sums.without_basis.values())

    @property
    def totals(self) -> dict[str, Total]:
        return self.sums.ordered()

    def estimated(self) -> list[Total]:
        return [t for t in self.totals.values() if t.reported or t.estimated]

    def as_dict(self) -> dict[str, Any]:
        return {
            "territory": self.territory.id,
            "name": self.territory.name,
            "formulas_version": self.version,
            "initiatives": self.initiatives,
            "initiatives_without_basis": self.without_basis,
            "without_basis_message": str(NO_BASIS),
            # The categories no sourced formula covers: said, never given a number.
            "categories_without_basis": [
                {"category": category or None, "initiatives": count, "message": str(NO_BASIS)}
                for category, count in sorted(self.sums.without_basis.items())
            ],
            "figures": [t.as_dict(self.table) for t in self.estimated()],
            "not_estimated": [
                {
                    "indicator": t.dimension,
                    "missing_data_initiatives": t.missing,
                }
                for t in self.totals.values()
                if not (t.reported or t.estimated)
            ],
        }


def aggregate(impacts: Iterable[InitiativeImpact], table: CoefficientTable) -> Sums:
    """Sum initiatives' figures per dimension."""
    sums = Sums()
    for impact in impacts:
        sums.add(impact, table)
    return sums


def territory_impacts(
    territory: Territory,
    table: CoefficientTable | None = None,
    formulas: FormulaSet | None = None,
) -> TerritoryImpacts:
    table = table or CoefficientTable.load()
    formulas = formulas or project_formulas()
    initiatives = counted().filter(territory_filter(territory))
    reports = latest_reports(initiatives)
    memo: dict[Signature, list[DimensionResult]] = {}
    impacts = (
        estimate(place, reports.get(place.initiative_id, {}), table, formulas, memo)
        for place in places(initiatives)
    )
    return TerritoryImpacts(territory, aggregate(impacts, table), table, formulas.version)
