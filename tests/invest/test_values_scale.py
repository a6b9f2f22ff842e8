"""The cheap WS and EEV (lockstep Benders warm from the RP cuts, one subproblem pass) equal
the direct ones (one extensive form per scenario, the extensive form at a fixed decision),
in-process and on a process pool."""

from __future__ import annotations

import numpy as np
import pytest

from oreline.invest.benders import solve_benders
from oreline.invest.executors import SubproblemData, make_evaluator
from oreline.invest.extensive import solve_extensive
from oreline.invest.values import _spread, mean_problem, single_scenario, stochastic_values
from tests.invest.test_executors import _problem


def _direct(problem):  # type: ignore[no-untyped-def]
    ws = np.mean([solve_extensive(single_scenario(problem, s)).objective
                  for s in range(problem.n_scenarios)])
    ev = mean_problem(problem)
    y = _spread(problem, ev, solve_extensive(ev).y)
    return solve_extensive(problem).objective, ws, solve_extensive(problem, fixed=y).objective


@pytest.mark.parametrize("executor", ["in-process", "pool"])
def test_values_from_cuts_equal_the_direct_values(executor: str) -> None:
    problem = _problem()
    rp, ws, eev = _direct(problem)
    assert ws > rp + 1.0  # the case has a real value of information
    ev = make_evaluator(SubproblemData.of(problem), executor, workers=2)
    try:
        ben = solve_benders(problem, evaluator=ev)
        warm = stochastic_values(problem, (ben.objective, ben.y), ben.pool, ev)
        cold = stochastic_values(problem, evaluator=ev)
        bare = stochastic_values(problem, (rp, ben.y), None, ev)  # an extensive run's RP
    finally:
        ev.close()
    for v in (warm, cold, bare):
        assert v.rp == pytest.approx(rp, rel=1e-7)
        assert v.ws == pytest.approx(ws, rel=1e-9)
        assert v.eev == pytest.approx(eev, rel=1e-9)
