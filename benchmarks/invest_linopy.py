"""kmp's extensive form (``oreline invest``) written idiomatically in linopy.

Every variable family of the plan gets a ``scenario`` dimension in front of its entity and
period (``Contract-buy[scenario, contract, period]``); bounds and costs are the scenario's
labelled arrays (:mod:`benchmarks.invest_data`). Constraint families are the plan's, as
:class:`peers.LinopyPeer` writes them (``shift`` for lead times, ``groupby(...).sum()`` for
incidence, ``reindex`` to the full set), now over all scenarios at once, plus:

* the decisions ``Invest-build[decision]`` (integer), one per decision type and history
  node; ``z[scenario, type] = Invest-build.isel(decision=path)`` is what applies to a
  scenario, so scenarios sharing a history share a decision (non-anticipativity);
* ``Process-capacity``: runs ``<= capacity + (capacity added x z).sum("type")``;
* ``Node-balance``: the buffer's stock ``x z`` arrives at its node when commissioned;
* ``Invest-supply``: an option-supplied contract buys at most ``(ceiling x z).sum``, and,
  where an option opens it, at least ``(minimum x z).sum`` (a masked second family, as
  ours writes a second row only where the two sides differ); take-or-pay likewise;
* the first-stage rows (modules, requires, excludes, budget) from their entries;
* with a risk weight, CVaR's ``eta`` and ``excess[scenario] >= eta - NPV[scenario]``.

The objective is ``(1 - w) E[cost] - w (eta - E[excess] / (1 - alpha))``, minimised.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from invest_data import InvestData
from peers import HIGHS_OPTIONS

__all__ = ["LinopyInvestPeer"]


class LinopyInvestPeer:
    """The extensive form in linopy (v1 semantics), loaded with ``io_api='direct'``."""

    name = "linopy"

    def __init__(self, sparse: bool = True, mip_rel_gap: float = 0.0) -> None:
        import linopy

        linopy.options(semantics="v1")
        self.sparse = sparse
        self.mip_rel_gap = mip_rel_gap

    def build(self, d: InvestData) -> Any:
        """Build the linopy model from the labelled data."""
        import linopy
        import xarray as xr

        S, net = d.sets, d.net
        sc, per = d.scenario, S.period
        w = d.risk_weight
        m = linopy.Model(sparse=self.sparse)

        def cube(values: np.ndarray, ent: pd.Index) -> xr.DataArray:
            return xr.DataArray(values, coords=[sc, ent, per])

        def label(values: np.ndarray, dim: pd.Index, index: pd.Index) -> xr.DataArray:
            return xr.DataArray(np.asarray(index)[values], coords=[dim], name=index.name)

        ents = {"Contract-buy": S.contract, "Contract-deficit": S.contract,
                "Process-run": S.mode, "Lane-flow": S.arc, "Stock-level": S.node,
                "Customer-sale": S.sale, "Customer-shortfall": S.customer,
                "Order-delivery": d.order, "Target-gap": d.target}
        x: dict[str, Any] = {}
        cost: dict[str, xr.DataArray] = {}
        for name, ent in ents.items():
            lo, up, c = d.col[name]
            x[name] = m.add_variables(lower=cube(lo, ent), upper=cube(up, ent), name=name)
            cost[name] = cube(c, ent)

        # ---- decisions: one column per (type, history node); z applies them to scenarios
        y = m.add_variables(lower=0, upper=xr.DataArray(d.dec_upper, coords=[d.decision]),
                            integer=True, name="Invest-build")
        z = y.isel(decision=xr.DataArray(d.path, coords=[sc, d.dtype]))

        def added(coef: np.ndarray, ent: pd.Index) -> Any:
            """``(coef x z).sum("type")`` over the types that add anything here."""
            used = np.flatnonzero(np.abs(coef).reshape(len(coef), -1).sum(axis=1) > 0)
            k = xr.DataArray(coef[used], coords=[d.dtype[used], ent, per])
            return (k * z.isel(type=used)).sum("type")

        def rhs(name: str, side: int) -> xr.DataArray:
            ent = {"Node-balance": S.node, "Process-capacity": S.process,
                   "Customer-demand": S.customer, "Contract-takeorpay": S.contract,
                   "Site-storage": S.site, "Customer-crma": S.crma_pair,
                   "Target-stock": d.target, "Invest-supply": d.supplied}[name]
            return cube(d.row[name][side], ent)

        buy, run, flow, stock, sale = (x[k] for k in ("Contract-buy", "Process-run",
                                                       "Lane-flow", "Stock-level",
                                                       "Customer-sale"))

        # ---- node balance
        def onto_nodes(expr: Any, group: xr.DataArray) -> Any:
            return expr.groupby(group).sum().reindex(node=S.node).fillna(0)

        terms = []
        for lead in np.unique(net.purchases.lead):
            sel = np.flatnonzero(net.purchases.lead == lead)
            arriving = (1 * buy.isel(contract=sel).shift(period=int(lead))).fillna(0)
            terms.append(onto_nodes(arriving, label(net.purchases.node[sel], S.contract[sel],
                                                    S.node)))
        for (mode, node, coef), sign in ((net.modes.inputs, -1.0), (net.modes.outputs, 1.0)):
            entry = pd.RangeIndex(len(mode), name="entry")
            used = run.isel(mode=xr.DataArray(mode, coords=[entry]))
            terms.append(onto_nodes(xr.DataArray(sign * coef, coords=[entry]) * used,
                                    label(node, entry, S.node)))
        terms.append(onto_nodes(-1 * flow, label(net.arcs.source, S.arc, S.node)))
        for lead in np.unique(net.arcs.lead):
            sel = np.flatnonzero(net.arcs.lead == lead)
            arriving = (1 * flow.isel(arc=sel).shift(period=int(lead))).fillna(0)
            terms.append(onto_nodes(arriving, label(net.arcs.target[sel], S.arc[sel], S.node)))
        terms.append(onto_nodes(-1 * sale, label(net.sales.node, S.sale, S.node)))
        if "Order-delivery" in x:
            terms.append(onto_nodes(1 * x["Order-delivery"],
                                    label(net.opening.order_node, d.order, S.node)))
        terms.append((1 * stock.shift(period=1)).fillna(0) - stock)
        b_type, b_node, b_t, b_q = d.stock
        if len(b_type):
            bufs = np.unique(b_node)
            q = np.zeros((len(d.dtype), len(bufs), d.T))
            q[b_type, np.searchsorted(bufs, b_node), b_t] = b_q
            terms.append(added(q, S.node[bufs]).reindex(node=S.node).fillna(0))
        m.add_constraints(sum(terms[1:], terms[0]) == rhs("Node-balance", 0),
                          name="Node-balance")

        # ---- process capacity, grown by the options built
        cap_lhs = run.groupby(label(net.modes.process, S.mode, S.process)).sum()
        m.add_constraints(cap_lhs.reindex(process=S.process).fillna(0)
                          - added(d.cap_add, S.process).reindex(process=S.process).fillna(0)
                          <= rhs("Process-capacity", 1), name="Process-capacity")
        # ---- demand (every row of kmp is an equality: no contract ceiling above demand)
        lo, up = d.row["Customer-demand"]
        if not np.array_equal(lo, up):
            raise NotImplementedError("a contract ceiling above demand (ranged rows)")
        sold = sale.groupby(label(net.sales.customer, S.sale, S.customer)).sum()
        m.add_constraints(sold.reindex(customer=S.customer).fillna(0)
                          + x["Customer-shortfall"] == rhs("Customer-demand", 0),
                          name="Customer-demand")
        # ---- take-or-pay
        paid = buy + x["Contract-deficit"]
        m.add_constraints(paid >= rhs("Contract-takeorpay", 0), name="Contract-takeorpay")
        # ---- storage, CRMA
        held = stock.groupby(label(net.nodes.site, S.node, S.site)).sum()
        m.add_constraints(held.reindex(site=S.site).fillna(0) <= rhs("Site-storage", 1),
                          name="Site-storage")
        if len(S.crma_pair):
            pair, s_idx, coef = S.crma_entries
            entry = pd.RangeIndex(len(pair), name="entry")
            terms_c = xr.DataArray(coef, coords=[entry]) * sale.isel(
                sale=xr.DataArray(s_idx, coords=[entry]))
            m.add_constraints(terms_c.groupby(label(pair, entry, S.crma_pair)).sum()
                              <= rhs("Customer-crma", 1), name="Customer-crma")
        # ---- stock targets: stock of the target's classes + gap >= level
        if len(d.target):
            pair_t, pair_n = net.opening.target_nodes
            entry = pd.RangeIndex(len(pair_t), name="entry")
            counted = stock.isel(node=xr.DataArray(pair_n, coords=[entry]))
            lhs = (1 * counted).groupby(label(pair_t, entry, d.target)).sum()
            m.add_constraints(lhs.reindex(target=d.target).fillna(0) + x["Target-gap"]
                              >= rhs("Target-stock", 0), name="Target-stock")

        # ---- option-supplied contracts: within what the options built open
        bought = buy.isel(contract=d.supplied_k).rename(contract="supplied")
        bought = bought.assign_coords(supplied=d.supplied)
        m.add_constraints(bought - added(d.sup_up, d.supplied) <= rhs("Invest-supply", 1),
                          name="Invest-supply")
        opens = xr.DataArray((np.abs(d.sup_up - d.sup_lo).sum(axis=0) > 0),
                             coords=[d.supplied, per])
        if opens.any():
            m.add_constraints(bought - added(d.sup_lo, d.supplied) >= rhs("Invest-supply", 0),
                              name="Invest-supply-min", mask=opens)
        obliged = xr.DataArray(d.top_lo.sum(axis=0) > 0, coords=[d.supplied, per])
        if obliged.any():
            paid_s = paid.isel(contract=d.supplied_k).rename(contract="supplied")
            m.add_constraints(paid_s.assign_coords(supplied=d.supplied)
                              - added(d.top_lo, d.supplied) >= 0,
                              name="Invest-takeorpay", mask=obliged)

        # ---- first-stage rows
        if len(d.frow):
            r, col, v = d.frows
            entry = pd.RangeIndex(len(r), name="entry")
            lhs = (xr.DataArray(v, coords=[entry])
                   * y.isel(decision=xr.DataArray(col, coords=[entry])))
            lhs = lhs.groupby(label(r, entry, d.frow)).sum().reindex(frow=d.frow)
            m.add_constraints(lhs <= xr.DataArray(d.frow_upper, coords=[d.frow]),
                              name="Invest-first")

        # ---- objective (and CVaR)
        p = xr.DataArray(d.probability, coords=[sc])
        plan_cost = sum((cost[k] * x[k]).sum(["period", cost[k].dims[1]]) for k in x)
        build_cost = (xr.DataArray(d.type_cost, coords=[d.dtype]) * z).sum("type")
        objective = (1.0 - w) * ((p * plan_cost).sum()
                                 + (xr.DataArray(d.dec_cost, coords=[d.decision]) * y).sum())
        if w > 0:
            eta = m.add_variables(name="Risk-eta")
            excess = m.add_variables(lower=0, coords=[sc], name="Risk-excess")
            m.add_constraints(excess - eta - plan_cost - build_cost >= 0, name="Risk-cvar")
            objective = objective - w * eta + (w / (1.0 - d.alpha) * p * excess).sum()
        m.add_objective(objective)
        return m

    def load(self, m: Any) -> Any:
        """Build linopy's HiGHS instance (``Highs.from_model(io_api='direct')``)."""
        from linopy import solvers

        options = {**HIGHS_OPTIONS, "mip_rel_gap": self.mip_rel_gap}
        return solvers.Highs.from_model(m, io_api="direct", options=options)

    def solve(self, solver: Any) -> float:
        """Run HiGHS through linopy's solver object; return the objective."""
        result = solver.solve()
        if result.status.termination_condition.value != "optimal":
            raise RuntimeError(f"linopy: {result.status}")
        return float(result.solution.objective)
