"""The sensitivity's arithmetic in one walk of a formula: a figure's central value, and the
same value with each coefficient alone at its low end and at its high end.

`engine.evaluate(..., vary=(key, end))` gives the same numbers one coefficient at a time;
evaluating it twice per coefficient for every group of alike initiatives was most of the
precompute's time. Here each node carries its central value and, for each coefficient below
it, its central value with that coefficient moved: a product or a sum recombines them in the
engine's order, so the results are those of `evaluate` with `vary`.
"""

from collections.abc import Callable, Mapping

from .coefficients import CoefficientValue
from .engine import Report
from .formulas import CoefficientRef, Constant, Expression, Formula, InputRef, Product

Resolver = Callable[[str], CoefficientValue]
# key → (the value with that coefficient at its low end, at its high end)
Moves = dict[str, tuple[float, float]]


class Missing(Exception):
    """An input neither reported nor given a default: no figure, no sensitivity."""


def swings(
    formula: Formula, dimension: str, reported: Mapping[str, Report], resolve: Resolver
) -> tuple[float, Moves] | None:
    """The central value of `formula`'s `dimension` and its moves, None when not estimated."""
    for part in formula.dimensions:
        if part.dimension == dimension:
            try:
                return _walk(part.expression, formula, reported, resolve)
            except Missing:
                return None
    return None


def _walk(
    expr: Expression, formula: Formula, reported: Mapping[str, Report], resolve: Resolver
) -> tuple[float, Moves]:
    if isinstance(expr, Constant):
        return expr.value, {}
    if isinstance(expr, CoefficientRef):
        value = resolve(expr.key).value
        if expr.inverse:
            return 1 / value.central, {expr.key: (1 / value.low, 1 / value.high)}
        return value.central, {expr.key: (value.low, value.high)}
    if isinstance(expr, InputRef):
        spec = formula.input(expr.name)
        report = reported.get(spec.metric) if spec.metric else None
        if report is not None:
            return report.value, {}
        if spec.default is None:
            raise Missing
        return _walk(spec.default, formula, reported, resolve)
    parts = [
        _walk(p, formula, reported, resolve)
        for p in (expr.factors if isinstance(expr, Product) else expr.terms)
    ]
    keys = {key for _central, moves in parts for key in moves}
    if isinstance(expr, Product):
        return _product([c for c, _m in parts]), {
            key: (
                _product([m[key][0] if key in m else c for c, m in parts]),
                _product([m[key][1] if key in m else c for c, m in parts]),
            )
            for key in keys
        }
    return _sum([c for c, _m in parts]), {
        key: (
            _sum([m[key][0] if key in m else c for c, m in parts]),
            _sum([m[key][1] if key in m else c for c, m in parts]),
        )
        for key in keys
    }


def _product(values: list[float]) -> float:
    result = 1.0
    for value in values:
        result = result * value
    return result


def _sum(values: list[float]) -> float:
    result = 0.0
    for value in values:
        result = result + value
    return result
