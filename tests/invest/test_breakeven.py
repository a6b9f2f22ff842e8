"""Break-even capex against the hand table and against re-solves at nearby capex."""

from __future__ import annotations

import numpy as np
import pytest

from oreline.invest import build_problem
from oreline.invest.breakeven import break_even, break_evens
from oreline.invest.extensive import solve_extensive
from oreline.invest.problem import InvestProblem
from oreline.scenario.investment import InvestmentSettings
from tests.invest.test_values import _case


def _solve_all(p: InvestProblem) -> list[float | None]:
    sol = solve_extensive(p)
    return [b.break_even for b in break_evens(p, sol.y, sol.npv, sol.objective)]


def test_break_even_by_hand() -> None:
    """test_values' table. cell2's cost is 10,000 opex + capex / 12 (the 11 months of 120
    it uses, no discounting). Without cell2 the best is au2 alone (502,658.33); with it,
    both: 943,908.33 - (capex - 150,000) / 12, equal at capex = 150,000 + 441,250 x 12
    = 5,445,000. au2 costs capex x 11/60; without it the best is cell2 alone (265,900):
    943,908.33 - (capex - 20,000) x 11/60 = 265,900 at 3,718,227.27."""
    p = _case(150, 4.0, 8.0, [0.0, 1.0], False)
    cell, au2 = _solve_all(p)
    assert cell == pytest.approx(5_445_000.0, rel=1e-7)
    assert au2 == pytest.approx(20_000 + 678_008.333 * 60 / 11, rel=1e-7)


def test_break_even_does_not_depend_on_the_capex_given() -> None:
    """At 6 M cell2 is not chosen; it starts being chosen below the same 5,445,000."""
    p = _case(6000, 4.0, 8.0, [0.0, 1.0], False)
    sol = solve_extensive(p)
    assert sol.y.tolist() == [0.0, 1.0]
    b = break_even(p, 0, sol.y, sol.npv, sol.objective)
    assert not b.chosen and b.break_even == pytest.approx(5_445_000.0, rel=1e-7)
    assert b.describe() == "starts being chosen below 5.45 M USD"


def test_an_option_that_never_pays_is_not_chosen_at_any_capex() -> None:
    """Plenty of Australian oxide and no ban: au2 adds nothing, even free."""
    p = _case(150, 4.0, 20.0, [0.0, 0.0], False)
    sol = solve_extensive(p)
    b = break_even(p, 1, sol.y, sol.npv, sol.objective)
    assert b.scale is None and b.describe() == "not chosen at any capex >= 0"


def _with_capex(p: InvestProblem, oi: int, capex: float) -> InvestProblem:
    sc = p.scenario
    opts = list(sc.options)
    opts[oi] = opts[oi].model_copy(update={"capex": opts[oi].capex.__class__(capex, "USD")})
    return build_problem(sc.model_copy(update={"options": opts}), samples=p.samples)


@pytest.mark.parametrize("case", [(300, 3.0, 6.0, [0.0, 0.5, 1.0], True),
                                  (900, 6.0, 10.0, [0.5, 1.0], False)])
def test_decision_flips_at_the_break_even(case: tuple) -> None:  # type: ignore[type-arg]
    """Re-solving the whole problem 1 % either side of each break-even flips the choice
    (an independent check: no Newton steps, just two MILPs)."""
    p = _case(*case)
    sol = solve_extensive(p)
    for oi in range(2):
        b = break_even(p, oi, sol.y, sol.npv, sol.objective)
        if b.break_even is None:
            continue
        for factor, built in ((0.99, True), (1.01, False)):
            q = _with_capex(p, oi, b.break_even * factor)
            y = solve_extensive(q).y
            cols = np.array([j >= 0 and q.types[j].option == oi for j in q.first.col_type])
            assert bool(np.any(y[cols] > 0.5)) == built, (oi, factor, b)


def test_a_budget_ends_the_search() -> None:
    """Budget 200 k: both options fit while cell2 costs at most 180 k, beyond which au2
    alone is best (502,658.33 > cell2 alone), so cell2's break-even is the budget's."""
    p = _case(150, 4.0, 8.0, [0.0, 1.0], False)
    inv = InvestmentSettings.model_validate({"budget_total": "200 k USD"})
    sc = p.scenario.model_copy(update={"investment": inv})
    q = build_problem(sc, samples=p.samples)
    sol = solve_extensive(q)
    b = break_even(q, 0, sol.y, sol.npv, sol.objective)
    assert b.break_even == pytest.approx(180_000.0, rel=1e-9) and b.by_budget
    assert b.describe() == ("stops being chosen above 0.18 M USD (where it stops fitting the "
                            "budget)")
