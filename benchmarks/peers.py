"""The Oreline planning LP written idiomatically in linopy and in Pyomo.

Both peers start from the compiled :class:`oreline.network.Network` (its sets and
arc tables), not from our matrix, and write every variable family and every
constraint family of :mod:`oreline.model` the way a user of that library would:

* **linopy**: variables over labelled pandas coordinates (``contract``, ``mode``,
  ``arc``, ``node``, ``sale``, ``customer`` x ``period``), flows onto nodes with
  ``shift`` (lead times) and ``groupby(...).sum()`` (incidence), ``reindex`` to
  the full node set, one ``add_constraints`` per family. v1 arithmetic semantics
  and the CSR (``sparse=True``) build path, linopy's fastest, are used.
* **Pyomo**: a ``ConcreteModel`` with indexed ``Set``/``Var``/``Constraint``
  components and rules that sum over incidence lists with ``quicksum``, passed
  to HiGHS through the persistent ``appsi_highs`` interface.

The families mirror ours one to one, including rows and columns that are present
but inert: purchases, lane flows, sales and runs whose upper bound is 0 (past the
horizon, not admitted by a policy, no capacity), take-or-pay rows with a zero
right-hand side, storage rows without a cap (free rows) and CRMA share rows. So
the LP HiGHS receives has the same row and column counts and the same optimum;
:mod:`benchmarks.run` and ``benchmarks/test_peers_agree.py`` check both.

Each peer exposes ``build(net)``, ``load(model)``, ``solve(handle)``,
``read(handle)`` and ``counts(handle)`` so the driver can time the phases apart.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from oreline.network import Network

__all__ = [
    "HIGHS_OPTIONS", "PEERS", "LinopyDensePeer", "LinopyPeer", "OursPeer", "PyomoPeer", "Sets",
    "sets_of",
]

#: Solver options given to every tool (ours uses the same through Settings defaults).
HIGHS_OPTIONS: dict[str, Any] = {"threads": 1, "output_flag": False}


@dataclass
class Sets:
    """Labelled sets and per-element data of a network, shared by both peers.

    Everything here is read off the network's arrays; labels are what a modeller
    would use (contract ids, ``process#k`` modes, ``lane:node`` arcs,
    ``site/commodity/class`` nodes, ``customer:class`` sales).
    """

    T: int
    period: pd.Index
    contract: pd.Index
    mode: pd.Index
    process: pd.Index
    arc: pd.Index
    node: pd.Index
    site: pd.Index
    sale: pd.Index
    customer: pd.Index
    crma_pair: pd.Index
    crma_entries: tuple[np.ndarray, np.ndarray, np.ndarray]  # (pair, sale, coefficient)


def sets_of(net: Network) -> Sets:
    """Label the network's sets (cheap: one string per entity, never per period)."""
    sc = net.scenario
    sites, coms, procs = list(net.sites), list(net.commodities), list(net.processes)
    custs, classes = list(net.customers), [c.label for c in net.classes]
    node_cls = net.nodes.cls.tolist()
    nodes = [f"{sites[s]}/{coms[c]}/{classes[k]}" for s, c, k in
             zip(net.nodes.site.tolist(), net.nodes.commodity.tolist(), node_cls, strict=True)]
    node = pd.Index(nodes, name="node")
    contract = pd.Index([sc.contracts[i].id for i in net.purchases.contract.tolist()],
                        name="contract")
    mode = pd.Index([f"{procs[p]}#{j}" for j, p in enumerate(net.modes.process.tolist())],
                    name="mode")
    lanes = [lane.id for lane in sc.lanes]
    arc = pd.Index([f"{lanes[li]}:{nodes[n]}" for li, n in
                    zip(net.arcs.lane.tolist(), net.arcs.source.tolist(), strict=True)], name="arc")
    sale = pd.Index([f"{custs[c]}:{classes[node_cls[n]]}" for c, n in
                     zip(net.sales.customer.tolist(), net.sales.node.tolist(), strict=True)],
                    name="sale")
    pairs: list[str] = []
    e_pair: list[np.ndarray] = []
    e_sale: list[np.ndarray] = []
    e_coef: list[np.ndarray] = []
    for ci, share, by_country in net.sales.crma:
        mine = np.flatnonzero(net.sales.customer == ci)
        for country, sales in by_country.items():
            e_pair.append(np.full(len(mine), len(pairs)))
            e_sale.append(mine)
            e_coef.append(np.where(np.isin(mine, sales), 1.0 - share, -share))
            pairs.append(f"{custs[ci]}:{country}")

    def cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    return Sets(
        T=net.n_periods, period=pd.Index(net.periods, name="period"), contract=contract,
        mode=mode, process=pd.Index(net.processes, name="process"), arc=arc, node=node,
        site=pd.Index(net.sites, name="site"), sale=sale,
        customer=pd.Index(net.customers, name="customer"),
        crma_pair=pd.Index(pairs, name="pair"),
        crma_entries=(cat(e_pair, np.int64), cat(e_sale, np.int64), cat(e_coef, float)),
    )


# --------------------------------------------------------------------------- ours


class OursPeer:
    """Oreline itself: ``build_model`` then ``LiveModel`` (one ``passModel``)."""

    name = "oreline"

    def build(self, net: Network) -> Any:
        """Build the CSC model."""
        from oreline.model import build_model

        return build_model(net)

    def load(self, lp: Any) -> Any:
        """Pass the model to HiGHS (returns when ``passModel`` has returned)."""
        from oreline.settings import Settings
        from oreline.solve import LiveModel

        return LiveModel(lp, Settings(solver_threads=1))

    def solve(self, live: Any) -> float:
        """Run HiGHS; return the objective."""
        import highspy

        h = live.highs
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"oreline: HiGHS status {h.modelStatusToString(h.getModelStatus())}")
        return float(h.getInfo().objective_function_value)

    def read(self, live: Any) -> dict[str, np.ndarray]:
        """Solution as one ``(entities, periods)`` array per variable family."""
        x = np.asarray(live.highs.getSolution().col_value)
        return {name: x[b.offset:b.offset + b.size].reshape(b.n, b.T)
                for name, b in live.lp.variables.blocks.items()}

    def counts(self, live: Any) -> tuple[int, int, int]:
        """(columns, rows, nonzeros) as HiGHS holds them."""
        lp = live.highs.getLp()
        return int(lp.num_col_), int(lp.num_row_), int(live.highs.getNumNz())

    def clear(self, live: Any) -> None:
        """Forget the solution so the next solve starts cold."""
        live.highs.clearSolver()


# -------------------------------------------------------------------------- linopy


class LinopyPeer:
    """The LP in linopy (v1 semantics, ``Model(sparse=True)``), loaded with ``io_api='direct'``."""

    name = "linopy"

    def __init__(self, sparse: bool = True) -> None:
        import linopy

        linopy.options(semantics="v1")
        self.sparse = sparse

    def build(self, net: Network) -> Any:
        """Build the linopy model from the network's sets."""
        import linopy
        import xarray as xr

        S = sets_of(net)
        T = S.T
        per = S.period
        m = linopy.Model(sparse=self.sparse)

        def grid(values: Any, ent: pd.Index) -> xr.DataArray:
            return xr.DataArray(np.broadcast_to(values, (len(ent), T)).astype(float),
                                coords=[ent, per])

        def label(values: np.ndarray, dim: pd.Index, index: pd.Index) -> xr.DataArray:
            """Group labels along ``dim`` (for ``groupby``), named after the target set."""
            return xr.DataArray(np.asarray(index)[values], coords=[dim], name=index.name)

        # ---- variables
        buy = m.add_variables(lower=grid(net.purchases.lower, S.contract),
                              upper=grid(net.purchases.upper, S.contract), name="Contract-buy")
        deficit = m.add_variables(lower=0, upper=grid(net.purchases.take_or_pay, S.contract),
                                  name="Contract-deficit")
        run_ub = np.where(net.modes.capacity[net.modes.process] > 0, np.inf, 0.0)
        run = m.add_variables(lower=0, upper=grid(run_ub, S.mode), name="Process-run")
        in_horizon = (np.arange(T)[None, :] + net.arcs.lead[:, None]) < T
        flow = m.add_variables(lower=0, upper=grid(np.where(in_horizon, np.inf, 0.0), S.arc),
                               name="Lane-flow")
        stock = m.add_variables(lower=0, coords=[S.node, per], name="Stock-level")
        sale = m.add_variables(lower=0,
                               upper=grid(np.where(net.sales.allowed, np.inf, 0.0), S.sale),
                               name="Customer-sale")
        short = m.add_variables(lower=0, upper=grid(net.sales.demand, S.customer),
                                name="Customer-shortfall")

        # ---- node balance: arrivals + production - consumption + inflow - outflow - sales
        #      + stock[t-1] - stock[t] = -initial (t = 0)
        # v1 semantics: slots created by shift/reindex are *absent* and absence
        # propagates through `+`, so each term is filled with 0 ("no term here").
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
        terms.append((1 * stock.shift(period=1)).fillna(0) - stock)
        rhs = np.zeros((len(S.node), T))
        rhs[:, 0] = -net.nodes.initial
        m.add_constraints(sum(terms[1:], terms[0]) == xr.DataArray(rhs, coords=[S.node, per]),
                          name="Node-balance")

        # ---- process capacity
        cap_lhs = run.groupby(label(net.modes.process, S.mode, S.process)).sum()
        m.add_constraints(cap_lhs.reindex(process=S.process).fillna(0)
                          <= xr.DataArray(net.modes.capacity, coords=[S.process, per]),
                          name="Process-capacity")
        # ---- demand: sales of admitted classes + shortfall = demand
        sold = sale.groupby(label(net.sales.customer, S.sale, S.customer)).sum()
        m.add_constraints(sold.reindex(customer=S.customer).fillna(0) + short
                          == xr.DataArray(net.sales.demand, coords=[S.customer, per]),
                          name="Customer-demand")
        # ---- take-or-pay: purchases + paid deficit >= take-or-pay quantity
        m.add_constraints(buy + deficit >= grid(net.purchases.take_or_pay, S.contract),
                          name="Contract-takeorpay")
        # ---- site storage (rows without a cap are kept, as ours: rhs +inf)
        held = stock.groupby(label(net.nodes.site, S.node, S.site)).sum()
        m.add_constraints(held.reindex(site=S.site).fillna(0)
                          <= grid(net.nodes.storage[:, None], S.site), name="Site-storage")
        # ---- CRMA: sales touching a third country <= share x all sales of the customer
        if len(S.crma_pair):
            pair, s_idx, coef = S.crma_entries
            entry = pd.RangeIndex(len(pair), name="entry")
            terms_c = xr.DataArray(coef, coords=[entry]) * sale.isel(
                sale=xr.DataArray(s_idx, coords=[entry]))
            m.add_constraints(terms_c.groupby(label(pair, entry, S.crma_pair)).sum() <= 0,
                              name="Customer-crma")

        # ---- objective: discounted cost - revenue
        disc = xr.DataArray(net.discount, coords=[per])

        def per_unit(values: np.ndarray, ent: pd.Index) -> xr.DataArray:
            arr = np.asarray(values, dtype=float)  # per entity, or per entity and period
            return xr.DataArray(arr, coords=[ent] if arr.ndim == 1 else [ent, per]) * disc

        m.add_objective(
            (per_unit(net.purchases.price, S.contract) * buy).sum()
            + (per_unit(net.purchases.price, S.contract) * deficit).sum()
            + (per_unit(net.modes.cost[net.modes.process], S.mode) * run).sum()
            + (per_unit(net.arcs.cost, S.arc) * flow).sum()
            + (per_unit(net.nodes.hold_cost, S.node) * stock).sum()
            + (per_unit(-net.sales.price[net.sales.customer], S.sale) * sale).sum()
            + (per_unit(net.sales.penalty, S.customer) * short).sum()
        )
        return m

    def load(self, m: Any) -> Any:
        """Build linopy's HiGHS instance (``Highs.from_model(io_api='direct')``)."""
        from linopy import solvers

        return solvers.Highs.from_model(m, io_api="direct", options=dict(HIGHS_OPTIONS))

    def solve(self, solver: Any) -> float:
        """Run HiGHS through linopy's solver object; return the objective."""
        self._result = solver.solve()
        if self._result.status.termination_condition.value != "optimal":
            raise RuntimeError(f"linopy: {self._result.status}")
        return float(self._result.solution.objective)

    def read(self, solver: Any) -> Any:
        """Assign the solution to the labelled linopy variables (``Model.assign_result``)."""
        solver.model.assign_result(self._result, solver=solver)
        return solver.model.solution

    def counts(self, solver: Any) -> tuple[int, int, int]:
        """(columns, rows, nonzeros) as HiGHS holds them."""
        h = solver.solver_model
        lp = h.getLp()
        return int(lp.num_col_), int(lp.num_row_), int(h.getNumNz())

    def clear(self, solver: Any) -> None:
        """Forget the solution so the next solve starts cold."""
        solver.solver_model.clearSolver()


# --------------------------------------------------------------------------- Pyomo


class PyomoPeer:
    """The LP in Pyomo (indexed components, ``quicksum`` rules), loaded with ``appsi_highs``."""

    name = "pyomo"

    def build(self, net: Network) -> Any:
        """Build the Pyomo ``ConcreteModel`` from the network's sets."""
        import pyomo.environ as pyo
        from pyomo.core.util import quicksum

        S = sets_of(net)
        T = S.T
        m = pyo.ConcreteModel(name=net.scenario.name)
        m.T = pyo.RangeSet(0, T - 1)
        m.K = pyo.Set(initialize=range(len(S.contract)))
        m.J = pyo.Set(initialize=range(len(S.mode)))
        m.P = pyo.Set(initialize=range(len(S.process)))
        m.A = pyo.Set(initialize=range(len(S.arc)))
        m.N = pyo.Set(initialize=range(len(S.node)))
        m.S = pyo.Set(initialize=range(len(S.site)))
        m.L = pyo.Set(initialize=range(len(S.sale)))
        m.C = pyo.Set(initialize=range(len(S.customer)))
        m.R = pyo.Set(initialize=range(len(S.crma_pair)))

        buy = net.purchases
        buy_lb, buy_ub, top = buy.lower.tolist(), buy.upper.tolist(), buy.take_or_pay.tolist()
        cap_on = (net.modes.capacity > 0).tolist()
        lead = net.arcs.lead.tolist()
        allowed = net.sales.allowed.tolist()
        demand = net.sales.demand.tolist()
        mode_process = net.modes.process.tolist()
        m.buy = pyo.Var(m.K, m.T, bounds=lambda m, k, t: (buy_lb[k][t], buy_ub[k][t]))
        m.deficit = pyo.Var(m.K, m.T, bounds=lambda m, k, t: (0.0, top[k][t]))
        m.run = pyo.Var(m.J, m.T,
                        bounds=lambda m, j, t: (0.0, None if cap_on[mode_process[j]][t] else 0.0))
        m.flow = pyo.Var(m.A, m.T, bounds=lambda m, a, t: (0.0, None if t + lead[a] < T else 0.0))
        m.stock = pyo.Var(m.N, m.T, bounds=(0.0, None))
        m.sale = pyo.Var(m.L, m.T, bounds=lambda m, s, t: (0.0, None if allowed[s][t] else 0.0))
        m.short = pyo.Var(m.C, m.T, bounds=lambda m, c, t: (0.0, demand[c][t]))

        # incidence lists, node -> entries
        buys_at: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for k, (n, ld) in enumerate(zip(net.purchases.node.tolist(), net.purchases.lead.tolist(),
                                        strict=True)):
            buys_at[n].append((k, ld))
        used_at: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for (mode, node, coef), sign in ((net.modes.inputs, -1.0), (net.modes.outputs, 1.0)):
            for j, n, a in zip(mode.tolist(), node.tolist(), coef.tolist(), strict=True):
                used_at[n].append((j, sign * a))
        out_at: dict[int, list[int]] = defaultdict(list)
        in_at: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for a, (fr, to, ld) in enumerate(zip(net.arcs.source.tolist(), net.arcs.target.tolist(),
                                             lead, strict=True)):
            out_at[fr].append(a)
            in_at[to].append((a, ld))
        sales_at: dict[int, list[int]] = defaultdict(list)
        sales_of: dict[int, list[int]] = defaultdict(list)
        for s, (n, c) in enumerate(zip(net.sales.node.tolist(), net.sales.customer.tolist(),
                                       strict=True)):
            sales_at[n].append(s)
            sales_of[c].append(s)
        initial = net.nodes.initial.tolist()

        def balance(m: Any, n: int, t: int) -> Any:
            return quicksum(
                [m.buy[k, t - ld] for k, ld in buys_at[n] if t - ld >= 0]
                + [a * m.run[j, t] for j, a in used_at[n]]
                + [-m.flow[a, t] for a in out_at[n]]
                + [m.flow[a, t - ld] for a, ld in in_at[n] if t - ld >= 0]
                + [-m.sale[s, t] for s in sales_at[n]]
                + ([m.stock[n, t - 1]] if t > 0 else [])
                + [-m.stock[n, t]]
            ) == (-initial[n] if t == 0 else 0.0)

        m.balance = pyo.Constraint(m.N, m.T, rule=balance)

        modes_of: dict[int, list[int]] = defaultdict(list)
        for j, p in enumerate(mode_process):
            modes_of[p].append(j)
        cap = net.modes.capacity.tolist()
        m.capacity = pyo.Constraint(
            m.P, m.T, rule=lambda m, p, t: quicksum(m.run[j, t] for j in modes_of[p]) <= cap[p][t])
        m.demand = pyo.Constraint(
            m.C, m.T,
            rule=lambda m, c, t: quicksum(m.sale[s, t] for s in sales_of[c]) + m.short[c, t]
            == demand[c][t])
        m.takeorpay = pyo.Constraint(
            m.K, m.T, rule=lambda m, k, t: m.buy[k, t] + m.deficit[k, t] >= top[k][t])
        nodes_of: dict[int, list[int]] = defaultdict(list)
        for n, s in enumerate(net.nodes.site.tolist()):
            nodes_of[s].append(n)
        storage = net.nodes.storage.tolist()
        # a site without a cap keeps a free row (`<= inf`), as ours does
        m.storage = pyo.Constraint(
            m.S, m.T,
            rule=lambda m, s, t: quicksum(m.stock[n, t] for n in nodes_of[s]) <= storage[s])
        pair, s_idx, coef = S.crma_entries
        crma_of: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for r, s, a in zip(pair.tolist(), s_idx.tolist(), coef.tolist(), strict=True):
            crma_of[r].append((s, a))
        m.crma = pyo.Constraint(
            m.R, m.T, rule=lambda m, r, t: quicksum(a * m.sale[s, t] for s, a in crma_of[r]) <= 0)

        disc = net.discount.tolist()
        buy_price = net.purchases.price.tolist()
        run_cost = net.modes.cost[net.modes.process].tolist()
        arc_cost = net.arcs.cost.tolist()
        hold = net.nodes.hold_cost.tolist()
        revenue = net.sales.price[net.sales.customer].tolist()
        penalty = net.sales.penalty.tolist()
        m.obj = pyo.Objective(sense=pyo.minimize, expr=quicksum(
            [buy_price[k][t] * disc[t] * (m.buy[k, t] + m.deficit[k, t])
             for k in m.K for t in m.T]
            + [run_cost[j] * disc[t] * m.run[j, t] for j in m.J for t in m.T]
            + [arc_cost[a] * disc[t] * m.flow[a, t] for a in m.A for t in m.T]
            + [hold[n] * disc[t] * m.stock[n, t] for n in m.N for t in m.T]
            + [-revenue[s][t] * disc[t] * m.sale[s, t] for s in m.L for t in m.T]
            + [penalty[c] * disc[t] * m.short[c, t] for c in m.C for t in m.T]
        ))
        return m

    def load(self, m: Any) -> Any:
        """Hand the model to HiGHS with ``appsi_highs``'s ``set_instance``."""
        from pyomo.contrib.appsi.solvers.highs import Highs

        opt = Highs()
        opt.highs_options = {"threads": 1}
        opt.config.stream_solver = False
        opt.config.load_solution = False
        opt.set_instance(m)
        # the model is loaded; tell the persistent interface not to re-scan it on solve
        uc = opt.update_config
        uc.check_for_new_or_removed_constraints = False
        uc.check_for_new_or_removed_vars = False
        uc.check_for_new_or_removed_params = False
        uc.check_for_new_objective = False
        uc.update_constraints = False
        uc.update_vars = False
        uc.update_params = False
        uc.update_named_expressions = False
        uc.update_objective = False
        self._model = m
        return opt

    def solve(self, opt: Any) -> float:
        """Run HiGHS through the persistent interface; return the objective."""
        from pyomo.contrib.appsi.base import TerminationCondition

        self._results = opt.solve(self._model)
        if self._results.termination_condition != TerminationCondition.optimal:
            raise RuntimeError(f"pyomo: {self._results.termination_condition}")
        return float(self._results.best_feasible_objective)

    def read(self, opt: Any) -> Any:
        """Load primal values into the Pyomo variables."""
        self._results.solution_loader.load_vars()
        return self._model

    def counts(self, opt: Any) -> tuple[int, int, int]:
        """(columns, rows, nonzeros) as HiGHS holds them."""
        h = opt._solver_model
        lp = h.getLp()
        return int(lp.num_col_), int(lp.num_row_), int(h.getNumNz())

    def clear(self, opt: Any) -> None:
        """Forget the solution so the next solve starts cold."""
        opt._solver_model.clearSolver()


class LinopyDensePeer(LinopyPeer):
    """The same linopy model on linopy's default (xarray, non-CSR) build path."""

    name = "linopy-dense"

    def __init__(self) -> None:
        super().__init__(sparse=False)


PEERS: dict[str, type] = {"oreline": OursPeer, "linopy": LinopyPeer, "pyomo": PyomoPeer,
                          "linopy-dense": LinopyDensePeer}
