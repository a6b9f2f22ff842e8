"""The extensive form against a second formulation: every decision valued by plain LPs."""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest

from oreline.invest import build_problem
from oreline.invest.extensive import solve_extensive
from oreline.invest.problem import InvestProblem
from oreline.scenario import load_scenario
from oreline.solve import LiveModel
from oreline.stress.apply import Occurrence
from oreline.stress.events import SupplierOutage


def _npv(problem: InvestProblem, s: int, y: np.ndarray) -> float:
    """NPV of scenario ``s`` under ``y``: its own LP solved alone, less the decision cost."""
    lp = copy.copy(problem.lp)
    lp.col_lower, lp.col_upper, lp.cost, lp.row_lower, lp.row_upper = \
        problem.scenario_vectors(s, y)
    z = problem.first.types_of(s, y, len(problem.types))
    return -LiveModel(lp).solve().objective - float(problem.expansion.cost @ z)


def _problem() -> InvestProblem:
    """tiny-invest with a tighter Australian contract and two scenarios: no event, and the
    Chinese separator out from month 3 (then only Australian oxide is left)."""
    sc = load_scenario("tiny-invest")
    au = sc.contracts[0].model_copy(update={"max": sc.contracts[0].max.__class__(
        tonnes=8.0, per="month", basis="oxide")})
    sc = sc.model_copy(update={"contracts": [au, *sc.contracts[1:]]})
    ban = SupplierOutage(type="supplier_outage", id="ban", contract="cn", start="2027-01")
    return build_problem(sc, samples=[(), (Occurrence(ban, 0, 12, {"fraction": 1.0}),)])


def test_extensive_equals_enumeration_risk_neutral() -> None:
    p = _problem()
    grid = [np.array(y, float) for y in itertools.product([0, 1], repeat=p.first.n)]
    values = {tuple(y): np.mean([_npv(p, s, y) for s in range(2)]) for y in grid}
    best = max(values, key=values.__getitem__)
    sol = solve_extensive(p)
    assert tuple(sol.y) == best
    assert sol.objective == pytest.approx(values[best], rel=1e-9)
    assert sol.npv == pytest.approx([_npv(p, s, sol.y) for s in range(2)], rel=1e-9)


def test_extensive_cvar_equals_enumeration() -> None:
    """w = 1, alpha = 0.5 over two equally likely scenarios: CVaR is the worse NPV."""
    p = _problem()
    grid = [np.array(y, float) for y in itertools.product([0, 1], repeat=p.first.n)]
    worst = {tuple(y): min(_npv(p, s, y) for s in range(2)) for y in grid}
    best = max(worst, key=worst.__getitem__)
    sol = solve_extensive(p, risk_weight=1.0, alpha=0.5)
    assert sol.objective == pytest.approx(worst[best], rel=1e-9)


def test_fixed_decisions_are_valued_as_given() -> None:
    p = _problem()
    y = np.array([0.0, 1.0])
    sol = solve_extensive(p, fixed=y)
    assert sol.y.tolist() == [0.0, 1.0]
    assert sol.objective == pytest.approx(np.mean([_npv(p, s, y) for s in range(2)]), rel=1e-9)


def test_waiting_is_worth_at_least_nothing_and_decisions_follow_history() -> None:
    """A second stage in 2027-04: the ban is known by then, so the two scenarios get their
    own wait decisions; a flexible plan is worth at least the commit-now plan, and each
    option is still built at most once along each path."""
    now = _problem()
    sc = now.scenario.model_copy(update={"investment": now.scenario.investment.model_copy(
        update={"decision_months": ["2027-01", "2027-04"]})})
    late = build_problem(sc, samples=now.samples)
    f = late.first
    assert len(set(f.col_node[f.col_type >= 0][[late.types[j].stage == 1
                                                 for j in f.col_type[f.col_type >= 0]]])) == 2
    flexible, committed = solve_extensive(late), solve_extensive(now)
    assert flexible.objective >= committed.objective - 1e-6 * abs(committed.objective)
    for s in range(2):
        z = f.types_of(s, flexible.y, len(late.types))
        for oi in range(2):
            assert sum(z[j] for j, t in enumerate(late.types) if t.option == oi) <= 1


@pytest.mark.parametrize("weight", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("stages", [["2027-01"], ["2027-01", "2027-04"]])
def test_benders_agrees_with_the_extensive_form(weight: float, stages: list[str]) -> None:
    """Same decision value to 1e-6 relative, risk-neutral and with CVaR, with a wait stage."""
    from oreline.invest.benders import solve_benders

    base = _problem()
    sc = base.scenario.model_copy(update={"investment": base.scenario.investment.model_copy(
        update={"decision_months": stages})})
    p = build_problem(sc, samples=base.samples)
    ext = solve_extensive(p, risk_weight=weight, alpha=0.5)
    ben = solve_benders(p, risk_weight=weight, alpha=0.5)
    assert ben.objective == pytest.approx(ext.objective, rel=1e-6)
    assert ben.bound >= ben.objective - 1e-6 * abs(ben.objective)


@pytest.mark.parametrize(("cell_capex", "built"), [("150 k USD", 1.0), ("6 M USD", 0.0)])
def test_salvage_decision_survives_a_horizon_one_lifetime_longer(cell_capex: str,
                                                                  built: float) -> None:
    """Under salvage, extending the horizon by cell2's lifetime (120 months) does not flip
    the decision, whether the cell pays (150 k) or does not (6 M)."""
    from oreline.scenario.schema import Horizon

    base = _problem()
    sc = base.scenario
    cell = sc.options[0].model_validate({**sc.options[0].model_dump(), "capex": cell_capex})
    sc = sc.model_copy(update={"options": [cell, sc.options[1]]})
    short = solve_extensive(build_problem(sc)).y
    assert short.tolist() == [built, 0.0]
    longer = sc.model_copy(update={"horizon": Horizon(start="2027-01", periods=12 + 120,
                                                      period="month")})
    assert solve_extensive(build_problem(longer)).y.tolist() == short.tolist()
