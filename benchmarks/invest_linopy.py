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


class _Model:
    """One linopy model under construction: one method per family (as ``define_*``)."""

    def __init__(self, d: InvestData, sparse: bool) -> None:
        import linopy
        import xarray as xr

        self.xr = xr
        self.d, self.S, self.net = d, d.sets, d.net
        self.m = linopy.Model(sparse=sparse)
        self.x: dict[str, Any] = {}
        self.cost: dict[str, Any] = {}

    def cube(self, values: np.ndarray, ent: pd.Index) -> Any:
        """A ``(scenario, ent, period)`` array."""
        return self.xr.DataArray(values, coords=[self.d.scenario, ent, self.S.period])

    def label(self, values: np.ndarray, dim: pd.Index, index: pd.Index) -> Any:
        """Group labels along ``dim`` (for ``groupby``), named after the target set."""
        return self.xr.DataArray(np.asarray(index)[values], coords=[dim], name=index.name)

    def rhs(self, name: str, side: int) -> Any:
        """Row bounds of family ``name`` per scenario (0 lower, 1 upper)."""
        S, d = self.S, self.d
        ent = {"Node-balance": S.node, "Process-capacity": S.process,
               "Customer-demand": S.customer, "Contract-takeorpay": S.contract,
               "Site-storage": S.site, "Customer-crma": S.crma_pair,
               "Target-stock": d.target, "Invest-supply": d.supplied}[name]
        return self.cube(d.row[name][side], ent)

    def variables(self) -> None:
        """The plan's families over (scenario, entity, period); the decisions; ``z``."""
        S, d, xr = self.S, self.d, self.xr
        ents = {"Contract-buy": S.contract, "Contract-deficit": S.contract,
                "Process-run": S.mode, "Lane-flow": S.arc, "Stock-level": S.node,
                "Customer-sale": S.sale, "Customer-shortfall": S.customer,
                "Order-delivery": d.order, "Target-gap": d.target}
        for name, ent in ents.items():
            lo, up, c = d.col[name]
            self.x[name] = self.m.add_variables(lower=self.cube(lo, ent),
                                                upper=self.cube(up, ent), name=name)
            self.cost[name] = self.cube(c, ent)
        # one column per (type, history node); z applies them to scenarios
        self.y = self.m.add_variables(lower=0, integer=True, name="Invest-build",
                                      upper=xr.DataArray(d.dec_upper, coords=[d.decision]))
        self.z = self.y.isel(decision=xr.DataArray(d.path, coords=[d.scenario, d.dtype]))

    def added(self, coef: np.ndarray, ent: pd.Index) -> Any:
        """``(coef x z).sum("type")`` over the types that add anything here."""
        used = np.flatnonzero(np.abs(coef).reshape(len(coef), -1).sum(axis=1) > 0)
        k = self.xr.DataArray(coef[used], coords=[self.d.dtype[used], ent, self.S.period])
        return (k * self.z.isel(type=used)).sum("type")

    def onto_nodes(self, expr: Any, group: Any) -> Any:
        """Terms summed onto their node, every node present."""
        return expr.groupby(group).sum().reindex(node=self.S.node).fillna(0)

    def node_balance(self) -> None:
        """Arrivals + orders + production - use + in - out - sales + buffer + carried = rhs."""
        S, net, d, xr, x = self.S, self.net, self.d, self.xr, self.x
        buy, run, flow, stock = (x[k] for k in ("Contract-buy", "Process-run", "Lane-flow",
                                                "Stock-level"))
        terms = []
        for lead in np.unique(net.purchases.lead):
            sel = np.flatnonzero(net.purchases.lead == lead)
            arriving = (1 * buy.isel(contract=sel).shift(period=int(lead))).fillna(0)
            terms.append(self.onto_nodes(arriving, self.label(net.purchases.node[sel],
                                                              S.contract[sel], S.node)))
        for (mode, node, coef), sign in ((net.modes.inputs, -1.0), (net.modes.outputs, 1.0)):
            entry = pd.RangeIndex(len(mode), name="entry")
            used = run.isel(mode=xr.DataArray(mode, coords=[entry]))
            terms.append(self.onto_nodes(xr.DataArray(sign * coef, coords=[entry]) * used,
                                         self.label(node, entry, S.node)))
        terms.append(self.onto_nodes(-1 * flow, self.label(net.arcs.source, S.arc, S.node)))
        for lead in np.unique(net.arcs.lead):
            sel = np.flatnonzero(net.arcs.lead == lead)
            arriving = (1 * flow.isel(arc=sel).shift(period=int(lead))).fillna(0)
            terms.append(self.onto_nodes(arriving, self.label(net.arcs.target[sel], S.arc[sel],
                                                              S.node)))
        terms.append(self.onto_nodes(-1 * x["Customer-sale"],
                                     self.label(net.sales.node, S.sale, S.node)))
        terms.append(self.onto_nodes(1 * x["Order-delivery"],
                                     self.label(net.opening.order_node, d.order, S.node)))
        terms.append((1 * stock.shift(period=1)).fillna(0) - stock)
        b_type, b_node, b_t, b_q = d.stock
        if len(b_type):  # a strategic buffer arrives at its node when commissioned
            bufs = np.unique(b_node)
            q = np.zeros((len(d.dtype), len(bufs), d.T))
            q[b_type, np.searchsorted(bufs, b_node), b_t] = b_q
            terms.append(self.added(q, S.node[bufs]).reindex(node=S.node).fillna(0))
        self.m.add_constraints(sum(terms[1:], terms[0]) == self.rhs("Node-balance", 0),
                               name="Node-balance")

    def plan_rows(self) -> None:
        """Capacity (grown by the options built), demand, take-or-pay, storage, CRMA, targets."""
        S, net, d, xr, x, m = self.S, self.net, self.d, self.xr, self.x, self.m
        run, stock, sale = x["Process-run"], x["Stock-level"], x["Customer-sale"]
        cap_lhs = run.groupby(self.label(net.modes.process, S.mode, S.process)).sum()
        m.add_constraints(cap_lhs.reindex(process=S.process).fillna(0)
                          - self.added(d.cap_add, S.process).reindex(process=S.process)
                          .fillna(0) <= self.rhs("Process-capacity", 1), name="Process-capacity")
        lo, up = d.row["Customer-demand"]
        if not np.array_equal(lo, up):  # kmp has none: no contract ceiling above demand
            raise NotImplementedError("a contract ceiling above demand (ranged rows)")
        sold = sale.groupby(self.label(net.sales.customer, S.sale, S.customer)).sum()
        m.add_constraints(sold.reindex(customer=S.customer).fillna(0)
                          + x["Customer-shortfall"] == self.rhs("Customer-demand", 0),
                          name="Customer-demand")
        m.add_constraints(x["Contract-buy"] + x["Contract-deficit"]
                          >= self.rhs("Contract-takeorpay", 0), name="Contract-takeorpay")
        held = stock.groupby(self.label(net.nodes.site, S.node, S.site)).sum()
        m.add_constraints(held.reindex(site=S.site).fillna(0) <= self.rhs("Site-storage", 1),
                          name="Site-storage")
        if len(S.crma_pair):
            pair, s_idx, coef = S.crma_entries
            entry = pd.RangeIndex(len(pair), name="entry")
            terms = xr.DataArray(coef, coords=[entry]) * sale.isel(
                sale=xr.DataArray(s_idx, coords=[entry]))
            m.add_constraints(terms.groupby(self.label(pair, entry, S.crma_pair)).sum()
                              <= self.rhs("Customer-crma", 1), name="Customer-crma")
        if len(d.target):  # stock of the target's classes + gap >= level
            pair_t, pair_n = net.opening.target_nodes
            entry = pd.RangeIndex(len(pair_t), name="entry")
            counted = 1 * stock.isel(node=xr.DataArray(pair_n, coords=[entry]))
            lhs = counted.groupby(self.label(pair_t, entry, d.target)).sum()
            m.add_constraints(lhs.reindex(target=d.target).fillna(0) + x["Target-gap"]
                              >= self.rhs("Target-stock", 0), name="Target-stock")

    def invest_rows(self) -> None:
        """Option-supplied contracts within what the options open; the first-stage rows."""
        d, xr, x, m, per = self.d, self.xr, self.x, self.m, self.S.period

        def supplied(expr: Any) -> Any:
            out = expr.isel(contract=d.supplied_k).rename(contract="supplied")
            return out.assign_coords(supplied=d.supplied)

        bought = supplied(x["Contract-buy"])
        m.add_constraints(bought - self.added(d.sup_up, d.supplied)
                          <= self.rhs("Invest-supply", 1), name="Invest-supply")
        # a minimum only where an option opens the contract (as ours writes a second row)
        opens = xr.DataArray(np.abs(d.sup_up - d.sup_lo).sum(axis=0) > 0,
                             coords=[d.supplied, per])
        if opens.any():
            m.add_constraints(bought - self.added(d.sup_lo, d.supplied)
                              >= self.rhs("Invest-supply", 0), name="Invest-supply-min",
                              mask=opens)
        obliged = xr.DataArray(d.top_lo.sum(axis=0) > 0, coords=[d.supplied, per])
        if obliged.any():
            paid = supplied(x["Contract-buy"] + x["Contract-deficit"])
            m.add_constraints(paid - self.added(d.top_lo, d.supplied) >= 0,
                              name="Invest-takeorpay", mask=obliged)
        if len(d.frow):
            r, col, v = d.frows
            entry = pd.RangeIndex(len(r), name="entry")
            lhs = (xr.DataArray(v, coords=[entry])
                   * self.y.isel(decision=xr.DataArray(col, coords=[entry])))
            lhs = lhs.groupby(self.label(r, entry, d.frow)).sum().reindex(frow=d.frow)
            m.add_constraints(lhs <= xr.DataArray(d.frow_upper, coords=[d.frow]),
                              name="Invest-first")

    def objective(self) -> None:
        """``(1 - w) E[cost] - w (eta - E[excess] / (1 - alpha))``, CVaR rows when w > 0."""
        d, xr, x, m, w = self.d, self.xr, self.x, self.m, self.d.risk_weight
        p = xr.DataArray(d.probability, coords=[d.scenario])
        plan_cost = sum((self.cost[k] * x[k]).sum(["period", self.cost[k].dims[1]])
                        for k in x)
        build_cost = (xr.DataArray(d.type_cost, coords=[d.dtype]) * self.z).sum("type")
        objective = (1.0 - w) * ((p * plan_cost).sum()
                                 + (xr.DataArray(d.dec_cost, coords=[d.decision])
                                    * self.y).sum())
        if w > 0:
            eta = m.add_variables(name="Risk-eta")
            excess = m.add_variables(lower=0, coords=[d.scenario], name="Risk-excess")
            m.add_constraints(excess - eta - plan_cost - build_cost >= 0, name="Risk-cvar")
            objective = objective - w * eta + (w / (1.0 - d.alpha) * p * excess).sum()
        m.add_objective(objective)


class LinopyInvestPeer:
    """The extensive form in linopy (v1 semantics), loaded with ``io_api='direct'``."""

    name = "linopy"

    def __init__(self, sparse: bool = True, mip_rel_gap: float = 0.0) -> None:
        import linopy

        linopy.options(semantics="v1")
        self.sparse = sparse
        self.mip_rel_gap = mip_rel_gap

    def build(self, d: InvestData) -> Any:
        """Build the linopy model from the labelled data, family by family."""
        b = _Model(d, self.sparse)
        b.variables()
        b.node_balance()
        b.plan_rows()
        b.invest_rows()
        b.objective()
        return b.m

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
