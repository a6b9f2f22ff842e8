"""The analyses' shared tools: evaluator, bounds, the objective of a distribution."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oreline.invest.evaluate import Evaluator, bounded, distribution, objective_value, resolve
from oreline.invest.extensive import solve_extensive
from tests.invest.test_values import _case


def test_evaluator_equals_the_extensive_form_with_the_decision_fixed() -> None:
    p = _case(300, 3.0, 6.0, [0.0, 0.5, 1.0], True)
    ev = Evaluator(p)
    some = (np.arange(p.first.n) % 2).astype(float)  # a decision along some paths only
    for y in (np.zeros(p.first.n), solve_extensive(p).y, some):
        assert ev.npv(y) == pytest.approx(solve_extensive(p, fixed=y).npv, rel=1e-9,
                                          abs=1e-6)


def test_bounds_force_and_forbid_columns() -> None:
    """Hand case: forcing au2 out leaves cell2 alone (265,900); forcing 'cell2 or au2
    built' changes nothing; holding cell2 at 0 and au2 at 1 gives au2 alone."""
    p = _case(150, 4.0, 8.0, [0.0, 1.0], False)
    assert resolve(bounded(p, upper=np.array([np.inf, 0.0]))).objective == \
        pytest.approx(265_900.0, abs=0.01)
    assert resolve(bounded(p, at_least=[(np.array([0, 1]), 1.0)])).y.tolist() == [1.0, 1.0]
    assert resolve(bounded(p, equal={0: 0.0, 1: 1.0})).objective == \
        pytest.approx(502_658.333, abs=0.01)


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30), st.floats(0.0, 1.0))
def test_objective_value_is_between_cvar_and_mean(npv: list[float], w: float) -> None:
    """With equal weights and alpha such that the tail is whole scenarios, CVaR is the
    mean of the worst ones and the objective mixes it with the mean."""
    v = np.array(npv)
    p = np.full(len(v), 1.0 / len(v))
    alpha = 1.0 - 1.0 / len(v)  # the worst scenario alone
    d = distribution(v, p, alpha)
    assert d.cvar == pytest.approx(v.min())
    assert objective_value(v, p, w, alpha) == pytest.approx((1 - w) * v.mean() + w * v.min(),
                                                            rel=1e-9, abs=1e-6)
