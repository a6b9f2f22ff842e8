"""Out-of-sample evaluation and the MRP gap estimate against direct computations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from oreline.invest.evaluate import bounded
from oreline.invest.extensive import solve_extensive
from oreline.invest.oos import gap_estimate, out_of_sample, root_decision, value_of_root
from oreline.invest.problem import InvestProblem
from tests.invest.test_extensive import _npv
from tests.invest.test_values import _case

FRACTIONS = [0.0, 0.5, 1.0]


def _sampler(wait: bool = False, kinds: list[float] = FRACTIONS):  # type: ignore[no-untyped-def]
    def draw(n: int, seed: int) -> InvestProblem:
        rng = np.random.default_rng(seed)
        return _case(300, 3.0, 6.0, [float(f) for f in rng.choice(kinds, n)], wait)
    return draw


def test_one_kind_of_scenario_has_no_gap() -> None:
    """Every sample is the base plan: the SAA optimum is the candidate, the gap is 0 in
    every replication and its confidence bound is 0; out of sample the NPV is constant."""
    draw = _sampler(kinds=[0.0])
    p = draw(3, 0)
    root = root_decision(p, solve_extensive(p).y)
    g = gap_estimate(draw, root, 4, 3, seed=10)
    assert g.gaps.tolist() == [0.0] * 4 and g.upper == pytest.approx(0.0, abs=1e-6)
    o = out_of_sample(draw, root, 5, seed=99)
    assert o.half_width == pytest.approx(0.0, abs=1e-6)
    assert o.mean == pytest.approx(solve_extensive(p).objective, rel=1e-9)


def test_gap_estimate_matches_enumeration() -> None:
    """Each replication's gap by brute force: every decision valued scenario by scenario
    with test_extensive's independent LP, best mean less the candidate's mean."""
    draw = _sampler()
    p = draw(2, 1)
    y_hat = solve_extensive(p).y
    root = root_decision(p, y_hat)
    g = gap_estimate(draw, root, 3, 4, seed=20)
    grid = [np.array(y, float) for y in itertools.product([0, 1], repeat=2)]
    for k in range(3):
        q = draw(4, 20 + k)
        means = [np.mean([_npv(q, s, y) for s in range(4)]) for y in grid]
        held = np.mean([_npv(q, s, y_hat) for s in range(4)])
        assert g.gaps[k] == pytest.approx(max(means) - held, abs=1e-4)
    t = stats.t.ppf(0.95, 2)
    assert g.upper == pytest.approx(g.gaps.mean() + t * g.gaps.std(ddof=1) / np.sqrt(3))


def test_out_of_sample_matches_direct_valuation() -> None:
    draw = _sampler()
    p = draw(2, 1)
    y_hat = solve_extensive(p).y
    o = out_of_sample(draw, root_decision(p, y_hat), 6, seed=7)
    q = draw(6, 7)
    direct = np.array([_npv(q, s, y_hat) for s in range(6)])
    assert o.npv == pytest.approx(direct, rel=1e-9, abs=1e-6)
    half = stats.t.ppf(0.975, 5) * direct.std(ddof=1) / np.sqrt(6)
    assert o.half_width == pytest.approx(half, rel=1e-9)


def test_held_root_with_a_wait_stage_equals_the_whole_tree_solved() -> None:
    """Histories apart after the first month are valued one by one; the same as one
    extensive form over every scenario with the first-month decision held."""
    q = _sampler(wait=True)(5, 3)
    root = {j: 1.0 for j, t in enumerate(q.types) if t.stage == 0 and t.option == 0}
    split = value_of_root(q, root)
    held = {i: root.get(int(j), 0.0) for i, j in enumerate(q.first.col_type)
            if j >= 0 and q.types[j].stage == 0}
    whole = solve_extensive(bounded(q, equal=held))
    assert split.objective == pytest.approx(whole.objective, rel=1e-7)
    assert split.npv == pytest.approx(whole.npv, rel=1e-7, abs=1e-3)
