"""The data of kmp's extensive form, labelled the way a linopy or Pyomo modeller holds it.

:mod:`benchmarks.invest_peers` writes ``oreline invest``'s extensive form in linopy and in
Pyomo. Both start from the same *data*, gathered here from an
:class:`oreline.invest.InvestProblem`, never from our extensive-form matrix:

* the plan's labelled sets (:func:`peers.sets_of`, plus open orders and stock targets);
* per scenario, every column's bounds and cost and every row's bounds, as one
  ``(scenario, entity, period)`` array per family: the scenario's events applied exactly
  as ``oreline stress`` applies them (the model's parameters, like a PyPSA user's
  per-scenario ``p_max_pu``);
* what one module of each decision type adds, per period, from the option data: capacity
  of each process (``capacity x ramp``), the supply window of each option-supplied
  contract (upper and minimum quantities, take-or-pay, ``x ramp``) and the strategic stock
  a buffer brings to its node in its commissioning period;
* the decision columns of the scenario tree (one per decision type and history node:
  non-anticipativity by construction), their bounds and expected cost, which column each
  scenario's path takes for each type, and the first-stage rows (modules, requires,
  excludes, budget) as sparse entries.

Only the buffer's node is read from our expansion (the origin class of a buffer's
stock comes from the class fixed point, which the peers do not re-implement), and the
first-stage rows are taken from the tree's deduplicated row list (a few rows per history
node, under 0.1 % of the rows); everything else is written by each peer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from peers import Sets, sets_of

from oreline.invest import InvestProblem

__all__ = ["InvestData", "invest_data"]


@dataclass
class InvestData:
    """Everything both peers build from (see the module docstring)."""

    sets: Sets
    scenario: pd.Index
    order: pd.Index
    target: pd.Index
    probability: np.ndarray  # (S,)
    col: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # family -> (lo, up, cost) S,n,T
    row: dict[str, tuple[np.ndarray, np.ndarray]]  # family -> (lo, up) S,n,T
    decision: pd.Index  # first-stage columns
    dec_upper: np.ndarray
    dec_cost: np.ndarray  # expected discounted cost of each decision column
    dtype: pd.Index  # decision types (option@month)
    type_cost: np.ndarray  # discounted cost of one module of each type
    path: np.ndarray  # (S, J): decision column of type j on scenario s's path
    cap_add: np.ndarray  # (J, P, T) capacity one module adds
    supplied: pd.Index  # option-supplied contracts (purchase rows)
    supplied_k: np.ndarray  # their purchase index
    sup_up: np.ndarray  # (J, K', T) supply ceiling one module opens
    sup_lo: np.ndarray  # (J, K', T) supply minimum one module obliges
    top_lo: np.ndarray  # (J, K', T) take-or-pay one module obliges
    stock: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # (type, node, period, t)
    frows: tuple[np.ndarray, np.ndarray, np.ndarray]  # (row, column, coefficient)
    frow: pd.Index
    frow_lower: np.ndarray
    frow_upper: np.ndarray
    risk_weight: float
    alpha: float
    net: Any

    @property
    def T(self) -> int:
        """Number of periods."""
        return self.sets.T


def _stacked(problem: InvestProblem) -> tuple[np.ndarray, ...]:
    """``(col_lower, col_upper, cost, row_lower, row_upper)``, one row per scenario."""
    lp = problem.lp
    S = problem.n_scenarios
    out = [np.tile(v, (S, 1)) for v in (lp.col_lower, lp.col_upper, lp.cost, lp.row_lower,
                                        lp.row_upper)]
    for s, d in enumerate(problem.deltas):
        out[0][s, d.cols], out[1][s, d.cols] = d.col_lower, d.col_upper
        out[2][s, d.cost_cols] = d.cost
        out[3][s, d.rows], out[4][s, d.rows] = d.row_lower, d.row_upper
    return tuple(out)


def _links(problem: InvestProblem, k_of: dict[str, int], supplied: list[str]
           ) -> tuple[np.ndarray, ...]:
    """Capacity, supply and take-or-pay one module of each type adds, from option data."""
    net = problem.lp.net
    sc = problem.scenario
    J, T = len(problem.types), net.n_periods
    procs = {p: i for i, p in enumerate(net.processes)}
    cap = np.zeros((J, len(net.processes), T))
    up = np.zeros((J, len(supplied), T))
    lo = np.zeros((J, len(supplied), T))
    top = np.zeros((J, len(supplied), T))
    where = {c: i for i, c in enumerate(supplied)}
    for j, dt in enumerate(problem.types):
        o = sc.options[dt.option]
        ramp = problem.expansion.profile[j]
        for add in o.adds:
            cap[j, procs[add.process]] += add.capacity.per_period(net.months) * ramp
        for cid in o.supply:
            k, i = k_of[cid], where[cid]
            up[j, i] = net.purchases.upper[k] * ramp
            lo[j, i] = net.purchases.lower[k] * ramp
            top[j, i] = net.purchases.take_or_pay[k] * ramp
    return cap, up, lo, top


def invest_data(problem: InvestProblem, risk_weight: float = 0.0, alpha: float = 0.95
                ) -> InvestData:
    """Gather the labelled data of ``problem``'s extensive form."""
    lp, f, exp = problem.lp, problem.first, problem.expansion
    net = lp.net
    sc = net.scenario
    T, S = net.n_periods, problem.n_scenarios
    cl, cu, c, rl, ru = _stacked(problem)
    col = {}
    for name, b in lp.variables.blocks.items():
        sl = slice(b.offset, b.offset + b.size)
        col[name] = tuple(v[:, sl].reshape(S, b.n, T) for v in (cl, cu, c))
    row = {}
    for name, b in lp.rows.items():
        sl = lp.row_slice(name)
        row[name] = tuple(v[:, sl].reshape(S, b.n, T) for v in (rl, ru))
    supplied = list(lp.rows["Invest-supply"].entities or [])
    k_of = {sc.contracts[int(ci)].id: k for k, ci in enumerate(net.purchases.contract)}
    cap, up, lo, top = _links(problem, k_of, supplied)
    labels = [problem.label(j) for j in range(len(problem.types))]
    dec = [f"{labels[j]}/n{node}" if j >= 0 else f"built#{i}/n{node}"
           for i, (j, node) in enumerate(zip(f.col_type.tolist(), f.col_node.tolist(),
                                             strict=True))]
    index = {(int(j), int(n)): i for i, (j, n) in enumerate(zip(f.col_type, f.col_node,
                                                                 strict=True)) if j >= 0}
    path = np.array([[index[j, int(problem.nodes[s, dt.stage])]
                      for j, dt in enumerate(problem.types)] for s in range(S)],
                    dtype=np.int64).reshape(S, len(problem.types))
    p = problem.probability
    on_path = np.zeros(f.n)
    np.add.at(on_path, path.ravel(), np.repeat(p, len(problem.types)))
    build = f.col_type >= 0
    dec_cost = np.where(build, exp.cost[np.where(build, f.col_type, 0)] * on_path, 0.0)
    # the buffer's stock: its node's balance row in the commissioning period
    bal = lp.row_slice("Node-balance")
    link = exp.link_upper[bal].tocoo()
    node, period = np.divmod(link.row, T)
    fr = f.rows.tocoo()
    return InvestData(
        sets=sets_of(net),
        scenario=pd.Index(problem.names, name="scenario"),
        order=pd.Index([o.id for o in sc.open_orders], name="order"),
        target=pd.Index([x.id for x in sc.stock_targets], name="target"),
        probability=p, col=col, row=row,
        decision=pd.Index(dec, name="decision"), dec_upper=f.upper.astype(float),
        dec_cost=dec_cost, dtype=pd.Index(labels, name="type"), type_cost=exp.cost.copy(),
        path=path, cap_add=cap, supplied=pd.Index(supplied, name="supplied"),
        supplied_k=np.array([k_of[x] for x in supplied], dtype=np.int64),
        sup_up=up, sup_lo=lo, top_lo=top,
        stock=(link.col.astype(np.int64), node.astype(np.int64), period.astype(np.int64),
               -link.data),
        frows=(fr.row.astype(np.int64), fr.col.astype(np.int64), fr.data.astype(float)),
        frow=pd.Index([f"{n}#{i}" for i, n in enumerate(f.row_names)], name="frow"),
        frow_lower=f.row_lower.astype(float), frow_upper=f.row_upper.astype(float),
        risk_weight=float(risk_weight), alpha=float(alpha), net=net,
    )
