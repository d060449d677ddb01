"""The sensitivity's one-walk arithmetic gives exactly what the engine gives one coefficient
at a time, for every project formula, with reported inputs and with defaults."""

from functools import partial

import pytest

from maillage.impacts.engine import Report, evaluate
from maillage.impacts.formulas import project_formulas
from maillage.impacts.swings import swings


@pytest.mark.parametrize("reporting", [False, True])
def test_swings_equal_the_engine_with_one_coefficient_moved(table, reporting):
    formulas = project_formulas()
    checked = 0
    for formula in formulas.formulas:
        metrics = {spec.metric for spec in formula.inputs if spec.metric}
        reports = {m: Report(37.0, 2025) for m in metrics} if reporting else {}
        resolve = partial(table.resolve, chain=())
        for result in evaluate(formula, reports, resolve):
            found = swings(formula, result.dimension, reports, resolve)
            if result.value is None:
                assert found is None
                continue
            assert found is not None
            central, moves = found
            assert central == pytest.approx(result.value.central)
            assert set(moves) == {c.key for c in result.coefficients}
            for key, (at_low, at_high) in moves.items():
                for end, value in (("low", at_low), ("high", at_high)):
                    [moved] = [
                        r
                        for r in evaluate(formula, reports, resolve, vary=(key, end))
                        if r.dimension == result.dimension
                    ]
                    assert moved.value is not None
                    assert value == moved.value.central
                    checked += 1
    assert checked >= 10
