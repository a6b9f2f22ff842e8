"""Every option fixed in turn, regret and the value of flexibility, on the hand case."""

from __future__ import annotations

import numpy as np
import pytest

from oreline.invest import build_problem
from oreline.invest.alternatives import alternatives, scenario_best
from oreline.invest.extensive import solve_extensive
from tests.invest.test_extensive import _npv
from tests.invest.test_values import _case

#: test_values' hand table: NPV per decision (cell2, au2) in scenarios A (no event), B (ban).
TABLE = {"nothing": (606_000.0, -499_200.0), "au2": (602_333.333, 402_983.333),
         "cell2": (1_053_500.0, -521_700.0), "recommended": (1_049_833.333, 837_983.333)}


def test_fixed_options_match_the_hand_table_and_regret() -> None:
    """Best knowing the scenario: 1,053,500 in A (cell2 alone), 837,983.33 in B (both), so
    the regret of au2 alone is (1,053,500 - 602,333.33, 837,983.33 - 402,983.33) =
    (451,166.67, 435,000): mean 443,083.33, max 451,166.67. One decision month: waiting
    is worth nothing."""
    p = _case(150, 4.0, 8.0, [0.0, 1.0], False)
    rp = solve_extensive(p)
    best = scenario_best(p)
    assert best == pytest.approx([1_053_500.0, 837_983.333], abs=0.01)
    alts, flex = alternatives(p, rp.y, best)
    by_key = {a.key: a for a in alts}
    assert set(by_key) == set(TABLE)
    for key, npv in TABLE.items():
        assert by_key[key].npv == pytest.approx(npv, abs=0.01)
    au2 = by_key["au2"]
    assert au2.regret == pytest.approx([451_166.667, 435_000.0], abs=0.01)
    assert au2.distribution.mean == pytest.approx(502_658.333, abs=0.01)
    assert flex.value == 0.0 and flex.wait == pytest.approx(943_908.333, abs=0.01)


def test_alternatives_agree_with_each_scenario_solved_alone() -> None:
    """The evaluator's NPVs equal each scenario's LP solved from scratch (test_extensive)."""
    p = _case(400, 3.0, 6.0, [0.0, 0.5, 1.0], False)
    rp = solve_extensive(p)
    alts, _ = alternatives(p, rp.y, scenario_best(p))
    for a in alts:
        direct = [_npv(p, s, a.y) for s in range(p.n_scenarios)]
        assert a.npv == pytest.approx(direct, rel=1e-9, abs=1e-6)
        assert np.all(a.regret >= 0)


def test_flexibility_is_rp_with_waiting_less_rp_committing_now() -> None:
    """With a wait stage in 2027-04 (after the ban is known), committing now is the
    one-stage problem; its RP equals the one-stage solve, and waiting is worth >= 0."""
    flexible = _case(150, 4.0, 8.0, [0.0, 1.0], True)
    once = build_problem(flexible.scenario.model_copy(update={
        "investment": flexible.scenario.investment.model_copy(
            update={"decision_months": []})}), samples=flexible.samples)
    rp = solve_extensive(flexible)
    alts, flex = alternatives(flexible, rp.y, scenario_best(flexible))
    assert flex.wait == pytest.approx(rp.objective, rel=1e-9)
    assert flex.now == pytest.approx(solve_extensive(once).objective, rel=1e-7)
    assert flex.value >= -1e-6 * abs(flex.wait)
    keys = [a.key for a in alts]
    assert keys[-2:] == ["now", "wait"]
    wait = alts[-1]
    root = [j >= 0 and flexible.types[j].stage == 0 for j in flexible.first.col_type]
    assert not wait.y[np.array(root)].any()
