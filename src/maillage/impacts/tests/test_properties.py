"""Properties of the arithmetic and of every formula (hypothesis): ranges stay ordered,
negative factors are handled, and more activity never lowers an impact."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.catalog.activity import Metric
from maillage.impacts.compute import Place, estimate
from maillage.impacts.engine import Report
from maillage.impacts.formulas import project_formulas
from maillage.impacts.ranges import Range

from .conftest import RENNES, file_table

PROPERTIES = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
TABLE = file_table()
FORMULAS = project_formulas()
# Every (category, carrier) pair that some formula applies to.
TARGETS = [(c, "") for f in FORMULAS.formulas for c in f.categories] + [
    (None, c) for f in FORMULAS.formulas for c in f.carriers
]

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
activity = st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False)


@st.composite
def ranges(draw, values=finite):
    low, central, high = sorted(draw(st.lists(values, min_size=3, max_size=3)))
    return Range(low, central, high)


@PROPERTIES
@given(a=ranges(), b=ranges())
def test_sums_and_products_stay_ordered_and_contain_every_pick(a, b):
    for result, op in ((a + b, lambda x, y: x + y), (a * b, lambda x, y: x * y)):
        assert result.low <= result.central <= result.high
        # Any value picked in each operand lands in the result (what interval arithmetic owes).
        for x in (a.low, a.central, a.high):
            for y in (b.low, b.central, b.high):
                value = op(x, y)
                assert result.low - 1e-9 * abs(value) <= value <= result.high + 1e-9 * abs(value)


def test_a_negative_factor_swaps_the_ends():
    # [2, 3, 4] × [−1, −1, −1] = [−4, −3, −2]: the low end comes from the high one.
    assert Range(2, 3, 4) * Range.point(-1) == Range(-4, -3, -2)
    # Across zero: [−1, 0, 2] × [3, 4, 5] = [−5, 0, 10].
    assert Range(-1, 0, 2) * Range(3, 4, 5) == Range(-5, 0, 10)
    with pytest.raises(ZeroDivisionError):
        Range(-1, 0, 1).inverse()
    with pytest.raises(ValueError, match="mal ordonné"):
        Range(2, 1, 3)


@st.composite
def activity_reports(draw):
    metrics = draw(st.sets(st.sampled_from(Metric.values)))
    return {m: Report(draw(activity), 2025) for m in metrics}


def results_of(target, reports):
    category, carrier = target
    impact = estimate(Place(1, "x", category, carrier, (RENNES,)), reports, TABLE, FORMULAS)
    return {r.dimension: r for r in impact.results}


@PROPERTIES
@given(target=st.sampled_from(TARGETS), reports=activity_reports())
def test_every_figure_is_ordered_and_not_negative(target, reports):
    for result in results_of(target, reports).values():
        if result.value is not None:
            assert 0 <= result.value.low <= result.value.central <= result.value.high
            assert result.basis in {"reported", "estimated"}


@PROPERTIES
@given(
    target=st.sampled_from(TARGETS),
    reports=activity_reports(),
    metric=st.sampled_from(Metric.values),
    more=st.floats(min_value=0, max_value=1e6, allow_nan=False),
)
def test_more_activity_never_lowers_an_impact(target, reports, metric, more):
    # From a reported value (0 when the metric was not reported) to a larger one.
    before_reports = {**reports, metric: reports.get(metric, Report(0.0, 2025))}
    grown = {**before_reports, metric: Report(before_reports[metric].value + more, 2025)}
    before, after = results_of(target, before_reports), results_of(target, grown)
    for dimension, result in before.items():
        assert (result.value is None) == (after[dimension].value is None)
        if result.value is None:
            continue
        for end in ("low", "central", "high"):
            assert getattr(after[dimension].value, end) >= getattr(result.value, end) * (1 - 1e-12)


@PROPERTIES
@given(target=st.sampled_from(TARGETS), reports=activity_reports())
def test_a_reported_figure_rests_only_on_reported_inputs(target, reports):
    for result in results_of(target, reports).values():
        if result.basis == "reported":
            assert result.inputs
            assert all(i.origin == "reported" for i in result.inputs)
        if result.basis == "estimated":
            assert not result.inputs or any(i.origin == "default" for i in result.inputs)
