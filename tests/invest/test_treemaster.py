"""The tree master (dynamic programming over the scenario tree) against the MILP master.

Both are handed the same cuts on generated trees (up to three decision months, shared
and split histories, an option of several modules that another excludes, so indicator
columns exist, and a budget); the tree's optimum must equal HiGHS's at a zero MIP gap,
and its decisions must satisfy the first-stage rows and reach that optimum, risk-neutral
and with a CVaR weight.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oreline.errors import SolverError
from oreline.invest import build_problem
from oreline.invest.benders import Master, make_master, solve_benders
from oreline.invest.evaluate import bounded, objective_value
from oreline.invest.extensive import select_matrices
from oreline.invest.problem import InvestProblem
from oreline.invest.tree import build_first_stage
from oreline.invest.treemaster import DecisionSpace, TreeMaster
from oreline.scenario import load_scenario
from oreline.scenario.investment import Money


def _base(months: list[str], budget_k: float | None) -> InvestProblem:
    """tiny-invest with cell2 of three modules excluding au2, over ``months``."""
    sc = load_scenario("tiny-invest")
    cell, au2 = sc.options
    cell = cell.model_copy(update={"modules": 3, "excludes": ["au2"]})
    inv = sc.investment.model_copy(update={
        "decision_months": months,
        "budget_total": None if budget_k is None else Money(budget_k * 1000.0, "USD")})
    sc = sc.model_copy(update={"options": [cell, au2], "investment": inv})
    return build_problem(sc)


def _with_tree(p: InvestProblem, nodes: np.ndarray, prob: np.ndarray) -> InvestProblem:
    first = build_first_stage(p.scenario, p.types, p.expansion.capex, nodes,
                              p.lp.net.periods)
    S = len(nodes)
    return replace(p, first=first, nodes=nodes, probability=prob,
                   deltas=[p.deltas[0]] * S, samples=[()] * S,
                   names=[f"s{i}" for i in range(S)])


def _nested(labels: list[list[int]]) -> np.ndarray:
    """Node ids per stage from each scenario's labels (stage k refines stage k - 1)."""
    S, K = len(labels), len(labels[0]) + 1
    out = np.zeros((S, K), dtype=np.int64)
    for k in range(1, K):
        ids: dict[tuple[int, ...], int] = {}
        for s in range(S):
            out[s, k] = ids.setdefault(tuple(labels[s][:k]), len(ids))
    return out


def _value(p: InvestProblem, y: np.ndarray, const: np.ndarray, slope: np.ndarray,
           who: np.ndarray, w: float, alpha: float) -> float:
    """The master's objective at ``y``: each scenario's least cut less its cost, as
    ``(1 - w) E + w CVaR_alpha`` (:func:`objective_value`, written independently)."""
    k = p.expansion.cost
    npv = np.zeros(p.n_scenarios)
    for s in range(p.n_scenarios):
        z = p.first.types_of(s, y, len(p.types))
        mine = who == s
        npv[s] = float(np.min(const[mine] - slope[mine] @ z)) - k @ z
    return objective_value(npv, p.probability, w, alpha)


TREES = st.integers(1, 3).flatmap(lambda stages: st.lists(
    st.lists(st.integers(0, 1), min_size=stages - 1, max_size=stages - 1),
    min_size=1, max_size=6))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TREES, st.sampled_from([None, 200.0, 330.0, 1e7]), st.integers(0, 2**31 - 1),
       st.sampled_from([(0.0, 0.95), (0.3, 0.5), (0.5, 0.9), (0.9, 0.75)]))
def test_the_tree_master_equals_the_milp_master(labels: list[list[int]],
                                                budget_k: float | None, seed: int,
                                                risk: tuple[float, float]) -> None:
    months = ["2027-01", "2027-03", "2027-05"][:len(labels[0]) + 1]
    base = _base(months, budget_k)
    rng = np.random.default_rng(seed)
    S = len(labels)
    p = _with_tree(base, _nested(labels), rng.dirichlet(np.ones(S)))
    J = len(p.types)
    who = np.repeat(np.arange(S), 3)
    const = rng.uniform(-1e5, 4e5, len(who))
    slope = rng.uniform(-2e5, 1e5, (len(who), J))
    space = DecisionSpace.of(p)
    assert space is not None
    w, alpha = risk
    tree = TreeMaster(p, space, w, alpha)
    milp = Master(p, select_matrices(p), w, alpha, mip_gap=0.0)
    for m in (tree, milp):
        m.add_cuts(who, const, slope)
    y_tree, v_tree = tree.solve()
    _y_milp, v_milp = milp.solve()
    tol = 1e-7 * max(1.0, abs(v_milp))
    assert v_tree == pytest.approx(v_milp, abs=tol)
    f = p.first
    act = f.rows @ y_tree
    assert np.all(act <= f.row_upper + 1e-6) and np.all(act >= f.row_lower - 1e-6)
    assert np.all(y_tree <= f.upper) and np.all(y_tree >= 0)
    assert _value(p, y_tree, const, slope, who, w, alpha) == pytest.approx(v_tree, abs=tol)


def test_the_space_honours_modules_exclusion_and_budget() -> None:
    """One decision month: cell2 of 3 modules (150 k each) excludes au2 (20 k); a 330 k
    budget allows 0, 1 or 2 cells, or au2 alone: four vectors."""
    p = _base([], 330.0)
    space = DecisionSpace.of(p)
    assert space is not None
    assert sorted(map(tuple, space.z.tolist())) == [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0),
                                                    (2.0, 0.0)]


def test_rows_that_tie_nodes_leave_it_to_the_milp() -> None:
    """"Build cell2 somewhere" spans every node of the wait stage: no path holds it, so
    the tree does not apply; a column held at one node only makes the paths differ."""
    base = _base(["2027-01", "2027-03"], None)
    p = _with_tree(base, _nested([[0], [1]]), np.full(2, 0.5))
    f = p.first
    later = np.flatnonzero((f.col_type >= 0) & (f.col_node >= 0)
                           & np.isin(f.col_type, [j for j, t in enumerate(p.types)
                                                  if t.stage == 1 and t.option == 0]))
    assert len(later) == 2
    assert DecisionSpace.of(bounded(p, at_least=[(later, 1.0)])) is None
    assert DecisionSpace.of(bounded(p, equal={int(later[0]): 1.0})) is None
    assert DecisionSpace.of(bounded(p, equal={0: 1.0})) is not None  # the root: every path
    M = select_matrices(p)
    assert isinstance(make_master(bounded(p, at_least=[(later, 1.0)]), M), Master)
    assert isinstance(make_master(p, M, w=0.3), TreeMaster)
    assert isinstance(make_master(p, M, w=0.3, kind="milp"), Master)
    with pytest.raises(SolverError, match="same first-stage rows on every path"):
        make_master(bounded(p, at_least=[(later, 1.0)]), M, kind="tree")


def test_a_scenario_without_cuts_is_unbounded() -> None:
    p = _base([], None)
    space = DecisionSpace.of(p)
    assert space is not None
    with pytest.raises(SolverError, match="unbounded"):
        TreeMaster(p, space).solve()


def test_benders_gives_the_same_answer_with_either_master() -> None:
    """kmp with tiny-invest's wait stage: the whole Benders run, tree or MILP master."""
    base = _base(["2027-01", "2027-04"], 330.0)
    from oreline.stress.apply import Occurrence
    from oreline.stress.events import SupplierOutage

    ban = SupplierOutage(type="supplier_outage", id="ban", contract="cn", start="2027-02")
    samples = [(), (Occurrence(ban, 1, 12, {"fraction": 1.0}),),
               (Occurrence(ban, 1, 12, {"fraction": 0.5}),)]
    p = build_problem(base.scenario, samples=samples)
    tree = solve_benders(p, master_kind="tree")
    milp = solve_benders(p, master_kind="milp")
    assert tree.objective == pytest.approx(milp.objective, rel=1e-7)
    assert tree.bound == pytest.approx(milp.bound, rel=1e-6)


def test_no_decision_type_leaves_one_empty_vector() -> None:
    """Both options open only after the one decision month: nothing can be decided, the
    space is the empty vector and the master's value is the plan's, at no cost."""
    p = _base([], None)
    sc = p.scenario.model_copy(update={"options": [
        o.model_copy(update={"earliest": "2027-06", "excludes": []})
        for o in p.scenario.options]})
    q = build_problem(sc)
    assert q.types == []
    space = DecisionSpace.of(q)
    assert space is not None and space.z.shape == (1, 0)
    tree = TreeMaster(q, space)
    tree.add_cuts(np.array([0, 0]), np.array([5.0, 3.0]), np.zeros((2, 0)))
    y, bound = tree.solve()
    assert y.shape == (0,) and bound == pytest.approx(3.0)


def test_histories_split_before_the_first_decision_month_decide_apart() -> None:
    """An event that started before the horizon (a drawn start below 0) makes its own
    history at the first decision month: two first-stage nodes, each with its own
    columns; the tree master adds their bests, as the MILP does."""
    from oreline.stress.apply import Occurrence
    from oreline.stress.events import SupplierOutage

    ban = SupplierOutage(type="supplier_outage", id="ban", contract="cn", start="2027-01")
    p = build_problem(_base([], None).scenario,
                      samples=[(), (Occurrence(ban, -1, 4, {"fraction": 1.0}),)])
    assert p.nodes[:, 0].tolist() == [0, 1]
    J = len(p.types)
    who, const = np.array([0, 1]), np.array([1e6, 2e6])
    slope = np.array([np.full(J, -1e5), np.full(J, 4e6)])  # building pays in one only
    space = DecisionSpace.of(p)
    assert space is not None
    tree, milp = TreeMaster(p, space), Master(p, select_matrices(p), mip_gap=0.0)
    for m in (tree, milp):
        m.add_cuts(who, const, slope)
    (y, v), (y_milp, v_milp) = tree.solve(), milp.solve()
    assert v == pytest.approx(v_milp, rel=1e-9)
    assert y.tolist() == y_milp.tolist()
    assert y.sum() > 0 and y[p.first.col_node == 1].sum() == 0


def test_a_large_budget_does_not_loosen_the_module_rows() -> None:
    """A 10 bn USD budget (a yen-sized figure) next to a modules row of 3: each row is
    checked at its own tolerance, so no vector with a fourth cell module is allowed."""
    space = DecisionSpace.of(_base(["2027-01", "2027-03"], 1e7))
    assert space is not None
    cell = [j for j, t in enumerate(_base(["2027-01", "2027-03"], 1e7).types)
            if t.option == 0]
    assert space.z[:, cell].sum(axis=1).max() == 3
