"""Benders subproblems on every executor: the same cuts and decision in-process, on a
process pool and on a real Dask LocalCluster; a delta-only solve equals a fresh LP."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from oreline.errors import ConfigError
from oreline.invest import build_problem
from oreline.invest.benders import BendersSolution, solve_benders
from oreline.invest.executors import SubproblemData, SubproblemSolver, make_evaluator
from oreline.invest.extensive import solve_extensive
from oreline.invest.problem import InvestProblem
from oreline.scenario import load_scenario
from oreline.solve import LiveModel
from oreline.stress.apply import Occurrence
from oreline.stress.events import SupplierOutage


def _problem() -> InvestProblem:
    """tiny-invest, Australian oxide capped at 8 t/month, a wait stage in 2027-04 and four
    scenarios: no ban, the Chinese separator out from month 0, 2 (half) and 5."""
    sc = load_scenario("tiny-invest")
    au = sc.contracts[0].model_copy(update={"max": sc.contracts[0].max.__class__(
        tonnes=8.0, per="month", basis="oxide")})
    inv = sc.investment.model_copy(update={"decision_months": ["2027-01", "2027-04"]})
    sc = sc.model_copy(update={"contracts": [au, *sc.contracts[1:]], "investment": inv})
    ban = SupplierOutage(type="supplier_outage", id="ban", contract="cn", start="2027-01")
    samples = [(), (Occurrence(ban, 0, 12, {"fraction": 1.0}),),
               (Occurrence(ban, 2, 12, {"fraction": 0.5}),),
               (Occurrence(ban, 5, 12, {"fraction": 1.0}),)]
    return build_problem(sc, samples=samples)


@pytest.fixture(scope="module")
def problem() -> InvestProblem:
    return _problem()


def _run(problem: InvestProblem, executor: str, **kw: object) -> BendersSolution:
    ev = make_evaluator(SubproblemData.of(problem), executor, **kw)  # type: ignore[arg-type]
    try:
        return solve_benders(problem, evaluator=ev)
    finally:
        ev.close()


def _same(a: BendersSolution, b: BendersSolution) -> None:
    assert a.y.tolist() == b.y.tolist()
    assert a.iterations == b.iterations
    assert b.objective == pytest.approx(a.objective, rel=1e-9)
    assert b.npv == pytest.approx(a.npv, rel=1e-9)
    assert np.allclose(b.pool.const, a.pool.const, rtol=1e-9)
    assert np.allclose(np.array(b.pool.slope), np.array(a.pool.slope), rtol=1e-9, atol=1e-9)


def test_delta_only_solve_equals_a_fresh_lp(problem: InvestProblem) -> None:
    """The live solver sends only what differs and puts it back: every (scenario, z) in any
    order gives the objective of that scenario's LP built from scratch."""
    solver = SubproblemSolver(SubproblemData.of(problem))
    J = len(problem.types)
    rng = np.random.default_rng(1)
    for s in [3, 0, 2, 1, 3, 0]:
        z = rng.integers(0, 2, J).astype(float)
        v = solver.solve(s, z).value
        lp = copy.copy(problem.lp)
        cl, cu, c, rl, ru = problem.deltas[s].vectors(lp)
        lo, up = problem.expansion.shift(z)
        lp.col_lower, lp.col_upper, lp.cost, lp.row_lower, lp.row_upper = cl, cu, c, rl + lo, \
            ru + up
        assert v == pytest.approx(LiveModel(lp).solve().objective, rel=1e-9)


def test_benders_on_the_pool_equals_in_process(problem: InvestProblem) -> None:
    inproc = _run(problem, "in-process")
    assert inproc.objective == pytest.approx(solve_extensive(problem).objective, rel=1e-6)
    _same(inproc, _run(problem, "pool", workers=2))


def test_benders_on_a_dask_local_cluster_equals_in_process(problem: InvestProblem) -> None:
    pytest.importorskip("dask.distributed")
    from dask.distributed import LocalCluster

    inproc = _run(problem, "in-process")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        viadask = _run(problem, "dask", scheduler=cluster.scheduler_address)
    _same(inproc, viadask)


def test_unknown_executor_and_bad_workers_are_config_errors(problem: InvestProblem) -> None:
    data = SubproblemData.of(problem)
    with pytest.raises(ConfigError, match="unknown executor 'gpu'"):
        make_evaluator(data, "gpu")
    with pytest.raises(ConfigError, match="--workers 0"):
        make_evaluator(data, "pool", workers=0)
