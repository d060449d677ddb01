"""One engine for every formula: activity + coefficients → ranges, with their basis.

`evaluate(formula, reported, resolve)` gives each dimension of a formula for one initiative:
its range (interval arithmetic, see ranges.py), its basis (`reported` when every input came
from the activity reports, `estimated` when a default was used), the inputs with their origin
and the coefficients with their source (and override). A dimension whose input is neither
reported nor given a default is not estimated: it carries no number, and says why.

`vary` serves the sensitivity analysis: every coefficient at its central value but one, at
its low or high end.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from django.utils.translation import gettext as _

from maillage.core.errors import MaillageError

from .coefficients import CoefficientValue
from .formulas import (
    CoefficientRef,
    Constant,
    Expression,
    Formula,
    InputRef,
    InputSpec,
    Product,
    Sum,
)
from .ranges import ONE, ZERO, Range

REPORTED: Final = "reported"
ESTIMATED: Final = "estimated"
MIXED: Final = "mixed"

Origin = Literal["reported", "default"]
Resolver = Callable[[str], CoefficientValue]
Vary = tuple[str, Literal["low", "high"]] | None


class FormulaError(MaillageError):
    """A formula cannot be evaluated with the coefficients as they are (e.g. an administrator
    set a divisor's range across zero)."""

    code = "formula-invalid"


@dataclass(frozen=True)
class Report:
    """The latest reported value of one metric."""

    value: float
    year: int


@dataclass(frozen=True)
class InputValue:
    spec: InputSpec
    value: Range
    origin: Origin
    year: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.spec.name,
            "label": self.spec.label,
            "unit": self.spec.unit,
            "metric": self.spec.metric,
            "origin": self.origin,
            "year": self.year,
            "default": self.spec.default_label if self.origin == "default" else "",
            **self.value.as_dict(),
        }


@dataclass
class DimensionResult:
    formula: str
    dimension: str
    description: str
    value: Range | None  # None: not estimated (see `missing`)
    basis: str | None
    inputs: list[InputValue] = field(default_factory=list)
    coefficients: list[CoefficientValue] = field(default_factory=list)
    missing: list[InputSpec] = field(default_factory=list)

    @property
    def estimated(self) -> bool:
        return self.value is not None

    def missing_text(self) -> str:
        labels = ", ".join(spec.label for spec in self.missing)
        return _("impact non estimé : donnée d'activité manquante (%(inputs)s)") % {
            "inputs": labels
        }


class _Missing(Exception):
    def __init__(self, specs: list[InputSpec]) -> None:
        self.specs = specs  # the input, then those its default lacked


class _Evaluation:
    def __init__(
        self,
        formula: Formula,
        reported: Mapping[str, Report],
        resolve: Resolver,
        vary: Vary,
    ) -> None:
        self.formula = formula
        self.reported = reported
        self.resolve = resolve
        self.vary = vary
        self.inputs: dict[str, InputValue | list[InputSpec]] = {}  # a list: what is missing

    def input(self, name: str, used: dict[str, InputValue]) -> Range:
        if name not in self.inputs:
            self.inputs[name] = self._input(self.formula.input(name))
        found = self.inputs[name]
        if isinstance(found, list):
            raise _Missing(found)
        used[name] = found
        return found.value

    def _input(self, spec: InputSpec) -> InputValue | list[InputSpec]:
        report = self.reported.get(spec.metric) if spec.metric else None
        if report is not None:
            return InputValue(spec, Range.point(report.value), REPORTED, report.year)
        if spec.default is None:
            return [spec]
        try:
            # The inputs a default reads are part of the default: not listed on their own.
            value = self.expression(spec.default, {})
        except _Missing as exc:
            return [spec, *exc.specs]
        return InputValue(spec, value, "default")

    def coefficient(self, ref: CoefficientRef) -> Range:
        value = self.resolve(ref.key).value
        if self.vary is not None:
            key, end = self.vary
            value = Range.point(getattr(value, end) if key == ref.key else value.central)
        if not ref.inverse:
            return value
        try:
            return value.inverse()
        except ZeroDivisionError as exc:
            raise FormulaError(
                _(
                    "La formule « %(formula)s » divise par « %(key)s », dont la fourchette contient zéro."
                )
                % {"formula": self.formula.code, "key": ref.key}
            ) from exc

    def keys_of(self, expr: Expression) -> set[str]:
        """The coefficients a figure rests on: those of its expression, and those of the
        defaults its inputs took."""
        if isinstance(expr, CoefficientRef):
            return {expr.key}
        if isinstance(expr, InputRef):
            found = self.inputs.get(expr.name)
            if isinstance(found, InputValue) and found.origin == "default" and found.spec.default:
                return self.keys_of(found.spec.default)
            return set()
        keys: set[str] = set()
        if isinstance(expr, Product | Sum):
            for part in expr.factors if isinstance(expr, Product) else expr.terms:
                keys |= self.keys_of(part)
        return keys

    def expression(self, expr: Expression, used: dict[str, InputValue]) -> Range:
        if isinstance(expr, InputRef):
            return self.input(expr.name, used)
        if isinstance(expr, CoefficientRef):
            return self.coefficient(expr)
        if isinstance(expr, Constant):
            return Range.point(expr.value)
        if isinstance(expr, Product):
            result = ONE
            for factor in expr.factors:
                result = result * self.expression(factor, used)
            return result
        total = ZERO
        for term in expr.terms:
            total = total + self.expression(term, used)
        return total


def evaluate(
    formula: Formula,
    reported: Mapping[str, Report],
    resolve: Resolver,
    vary: Vary = None,
) -> list[DimensionResult]:
    """Every dimension of `formula` for one initiative's latest reports (metric → Report)."""
    evaluation = _Evaluation(formula, reported, resolve, vary)
    results = []
    for dimension in formula.dimensions:
        used: dict[str, InputValue] = {}
        try:
            value: Range | None = evaluation.expression(dimension.expression, used)
            missing: list[InputSpec] = []
        except _Missing as exc:
            value, missing = None, exc.specs
        all_reported = bool(used) and all(i.origin == REPORTED for i in used.values())
        keys = sorted(evaluation.keys_of(dimension.expression))
        results.append(
            DimensionResult(
                formula=formula.code,
                dimension=dimension.dimension,
                description=dimension.description,
                value=value,
                basis=(REPORTED if all_reported else ESTIMATED) if value is not None else None,
                inputs=list(used.values()),
                coefficients=[resolve(key) for key in keys] if value is not None else [],
                missing=missing,
            )
        )
    return results
