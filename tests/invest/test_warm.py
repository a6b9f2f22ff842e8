"""Warm Benders subproblems: each scenario from its own last basis, known points recalled.

The answers must not change: a warm run and a cold one (every solve from the base
basis, nothing remembered: how Benders ran before) give the same value and decision,
and both the extensive form's value to 1e-6."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from oreline.invest import build_problem
from oreline.invest.benders import BendersSolution, solve_benders
from oreline.invest.executors import SubproblemData, SubproblemSolver, make_evaluator
from oreline.invest.extensive import solve_extensive
from oreline.invest.problem import InvestProblem
from oreline.invest.warm import WarmStore, read_basis
from oreline.scenario import load_scenario
from oreline.solve import LiveModel
from oreline.stress.files import load_stress
from tests.invest.test_executors import _problem as tiny_problem


@pytest.fixture(scope="module")
def kmp() -> InvestProblem:
    """Six kmp scenarios of its own stress set (each its own history at the wait stage)."""
    return build_problem(load_scenario("kmp"), load_stress("kmp")[0], 6, None)


@pytest.fixture(scope="module")
def tiny() -> InvestProblem:
    return tiny_problem()


def _benders(problem: InvestProblem, warm: bool) -> BendersSolution:
    ev = make_evaluator(SubproblemData.of(problem), warm=warm)
    try:
        return solve_benders(problem, evaluator=ev)
    finally:
        ev.close()


@pytest.mark.parametrize("name", ["tiny", "kmp"])
def test_warm_and_cold_benders_give_the_same_answer(name: str, request: pytest.FixtureRequest
                                                    ) -> None:
    """Same decision and value warm and cold, both the extensive form's to 1e-6; warm
    needs fewer simplex iterations and never more solves."""
    problem: InvestProblem = request.getfixturevalue(name)
    warm, cold = _benders(problem, True), _benders(problem, False)
    exact = solve_extensive(problem).objective
    assert warm.objective == pytest.approx(exact, rel=1e-6)
    assert cold.objective == pytest.approx(exact, rel=1e-6)
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    assert warm.y.tolist() == cold.y.tolist()
    assert warm.solves <= cold.solves == cold.iterations * problem.n_scenarios
    assert warm.simplex_iterations < cold.simplex_iterations


def test_read_basis_equals_highs_own_basis(kmp: InvestProblem) -> None:
    """The basis rebuilt from the basic variables and the solution is HiGHS's, status by
    status (fixed columns and rows included), for a scenario with a decision's shifts."""
    z = np.ones(len(kmp.types))
    lp = copy.copy(kmp.lp)
    cl, cu, c, rl, ru = kmp.deltas[1].vectors(lp)
    lo, up = kmp.expansion.shift(z)
    lp.col_lower, lp.col_upper, lp.cost, lp.row_lower, lp.row_upper = cl, cu, c, rl + lo, \
        ru + up
    live = LiveModel(lp)
    sol = live.solve()
    mine = read_basis(live.highs, sol, (lp.col_lower, lp.col_upper, lp.row_lower,
                                        lp.row_upper))
    theirs = live.highs.getBasis()
    assert mine.col.tolist() == [int(x) for x in theirs.col_status]
    assert mine.row.tolist() == [int(x) for x in theirs.row_status]


def test_a_scenario_restarts_from_its_own_basis(kmp: InvestProblem) -> None:
    """Solved again at the same point from the basis it ended at, a scenario takes no
    simplex iteration and gives the same value and subgradient."""
    solver = SubproblemSolver(SubproblemData.of(kmp))
    z = np.zeros(len(kmp.types))
    z[0] = 1.0
    first = solver.solve(2, z)
    solver.solve(3, np.zeros(len(kmp.types)))  # another scenario in between
    again = solver.solve(2, z, first.basis)
    assert first.iterations > 0
    assert again.iterations == 0
    assert again.value == pytest.approx(first.value, rel=1e-12)
    assert np.allclose(again.grad, first.grad, rtol=1e-9, atol=1e-9)


def test_a_known_point_is_recalled_not_solved_again(tiny: InvestProblem) -> None:
    ev = make_evaluator(SubproblemData.of(tiny))
    idx = np.arange(tiny.n_scenarios)
    Z = np.zeros((len(idx), len(tiny.types)))
    v1, g1 = ev.evaluate(idx, Z)
    assert ev.solves == len(idx)
    v2, g2 = ev.evaluate(idx[::-1], Z)
    assert ev.solves == len(idx)  # all recalled
    assert v2.tolist() == v1[::-1].tolist()
    assert g2.tolist() == g1[::-1].tolist()
    Z2 = Z.copy()
    Z2[1, 0] = 1.0
    ev.evaluate(idx, Z2)
    assert ev.solves == len(idx) + 1  # only the scenario whose point moved


def test_the_store_starts_unknown_scenarios_from_the_base_basis() -> None:
    store = WarmStore()
    assert store.starts(np.array([0, 5])) == [None, None]
    assert not store.known(np.array([0]), np.zeros((1, 2))).any()
    assert store.nbytes == 0
