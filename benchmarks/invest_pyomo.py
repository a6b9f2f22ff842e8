"""kmp's extensive form (``oreline invest``) written idiomatically in Pyomo.

A ``ConcreteModel`` whose plan variables are indexed by ``(scenario, entity, period)``
with bounds from the scenario's labelled arrays (:mod:`benchmarks.invest_data`), and one
``Constraint`` per family built by a rule that sums over incidence lists with
``quicksum``, as :class:`peers.PyomoPeer` writes the plan, plus the decisions
``build[decision]`` (integer; the column a scenario's path takes for a type is
``build[path[s][j]]``, so scenarios sharing a history share it), the capacity, buffer and
supply rows they open, the first-stage rows, and CVaR's ``eta`` and ``excess[s]`` when
the risk weight is positive. Rows another tool writes only where an option opens them
return ``Constraint.Skip`` elsewhere. Passed to HiGHS through ``appsi_highs``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from invest_data import InvestData

__all__ = ["PyomoInvestPeer"]


def _nones(a: np.ndarray) -> list[Any]:
    """Nested lists with infinite bounds as ``None`` (Pyomo's "no bound")."""
    return np.where(np.isfinite(a), a, None).tolist()  # type: ignore[no-any-return]


def _incidence(d: InvestData) -> dict[str, Any]:
    """Node -> entries lists of the plan (as :class:`peers.PyomoPeer` builds them)."""
    net = d.net
    inc: dict[str, Any] = {k: defaultdict(list) for k in (
        "buys", "used", "out", "into", "sales", "sales_of", "orders", "modes_of", "nodes_of",
        "crma", "target", "buffer", "cap")}
    for k, (n, ld) in enumerate(zip(net.purchases.node.tolist(), net.purchases.lead.tolist(),
                                    strict=True)):
        inc["buys"][n].append((k, ld))
    for (mode, node, coef), sign in ((net.modes.inputs, -1.0), (net.modes.outputs, 1.0)):
        for j, n, a in zip(mode.tolist(), node.tolist(), coef.tolist(), strict=True):
            inc["used"][n].append((j, sign * a))
    for a, (fr, to, ld) in enumerate(zip(net.arcs.source.tolist(), net.arcs.target.tolist(),
                                         net.arcs.lead.tolist(), strict=True)):
        inc["out"][fr].append(a)
        inc["into"][to].append((a, ld))
    for s, (n, c) in enumerate(zip(net.sales.node.tolist(), net.sales.customer.tolist(),
                                   strict=True)):
        inc["sales"][n].append(s)
        inc["sales_of"][c].append(s)
    for o, n in enumerate(net.opening.order_node.tolist()):
        inc["orders"][n].append(o)
    for j, p in enumerate(net.modes.process.tolist()):
        inc["modes_of"][p].append(j)
    for n, s in enumerate(net.nodes.site.tolist()):
        inc["nodes_of"][s].append(n)
    pair, s_idx, coef = d.sets.crma_entries
    for r, s, a in zip(pair.tolist(), s_idx.tolist(), coef.tolist(), strict=True):
        inc["crma"][r].append((s, a))
    for k, n in zip(*(a.tolist() for a in net.opening.target_nodes), strict=True):
        inc["target"][k].append(n)
    for j, n, t, q in zip(*(a.tolist() for a in d.stock), strict=True):
        inc["buffer"][n, t].append((j, q))
    for j, p in zip(*np.nonzero(np.abs(d.cap_add).sum(axis=2)), strict=True):
        inc["cap"][int(p)].append(int(j))
    return inc


class _Model:
    """One Pyomo model under construction: one method per family (as ``define_*``)."""

    def __init__(self, d: InvestData) -> None:
        import pyomo.environ as pyo
        from pyomo.core.util import quicksum

        self.pyo, self.sum = pyo, quicksum
        S = d.sets
        self.d, self.net, self.inc = d, d.net, _incidence(d)
        m = self.m = pyo.ConcreteModel(name=f"{d.net.scenario.name}-extensive")
        m.Sc = pyo.Set(initialize=range(len(d.scenario)))
        m.T = pyo.RangeSet(0, d.T - 1)
        sizes = {"K": S.contract, "J": S.mode, "P": S.process, "A": S.arc, "N": S.node,
                 "S": S.site, "L": S.sale, "C": S.customer, "R": S.crma_pair, "O": d.order,
                 "G": d.target, "I": d.supplied, "D": d.decision, "F": d.frow}
        for k, idx in sizes.items():
            setattr(m, k, pyo.Set(initialize=range(len(idx))))
        self.row = {k: (lo.tolist(), up.tolist()) for k, (lo, up) in d.row.items()}
        self.path = d.path.tolist()
        self.J = range(len(d.dtype))

    def z(self, s: int, j: int) -> Any:
        """The decision of type ``j`` on scenario ``s``'s path."""
        return self.m.build[self.path[s][j]]

    def variables(self) -> None:
        """The plan's families over (scenario, entity, period) and the decisions."""
        pyo, m, d = self.pyo, self.m, self.d
        self.fam = {"buy": ("Contract-buy", m.K), "deficit": ("Contract-deficit", m.K),
                    "run": ("Process-run", m.J), "flow": ("Lane-flow", m.A),
                    "stock": ("Stock-level", m.N), "sale": ("Customer-sale", m.L),
                    "short": ("Customer-shortfall", m.C), "deliver": ("Order-delivery", m.O),
                    "gap": ("Target-gap", m.G)}
        self.cost: dict[str, list[Any]] = {}
        for attr, (name, ent) in self.fam.items():
            lo, up, c = d.col[name]
            lo_l, up_l = _nones(lo), _nones(up)
            self.cost[attr] = c.tolist()
            setattr(m, attr, pyo.Var(m.Sc, ent, m.T, bounds=lambda m, s, e, t, lo_l=lo_l,
                                     up_l=up_l: (lo_l[s][e][t], up_l[s][e][t])))
        dec_up = d.dec_upper.tolist()
        m.build = pyo.Var(m.D, domain=pyo.NonNegativeIntegers,
                          bounds=lambda m, i: (0, dec_up[i]))

    def node_balance(self) -> None:
        """Arrivals + orders + production - use + in - out - sales + buffer + carried = rhs."""
        inc, rhs, z = self.inc, self.row["Node-balance"][0], self.z

        def balance(m: Any, s: int, n: int, t: int) -> Any:
            return self.sum(
                [m.buy[s, k, t - ld] for k, ld in inc["buys"][n] if t - ld >= 0]
                + [a * m.run[s, j, t] for j, a in inc["used"][n]]
                + [-m.flow[s, a, t] for a in inc["out"][n]]
                + [m.flow[s, a, t - ld] for a, ld in inc["into"][n] if t - ld >= 0]
                + [-m.sale[s, x, t] for x in inc["sales"][n]]
                + [m.deliver[s, o, t] for o in inc["orders"][n]]
                + [q * z(s, j) for j, q in inc["buffer"].get((n, t), [])]
                + ([m.stock[s, n, t - 1]] if t > 0 else [])
                + [-m.stock[s, n, t]]
            ) == rhs[s][n][t]

        m = self.m
        m.balance = self.pyo.Constraint(m.Sc, m.N, m.T, rule=balance)

    def plan_rows(self) -> None:
        """Capacity (grown by the options built), demand, take-or-pay, storage, CRMA, targets."""
        pyo, m, inc, row, z, qs = self.pyo, self.m, self.inc, self.row, self.z, self.sum
        cap = self.d.cap_add.tolist()
        m.capacity = pyo.Constraint(m.Sc, m.P, m.T, rule=lambda m, s, p, t: qs(
            [m.run[s, j, t] for j in inc["modes_of"][p]]
            + [-cap[j][p][t] * z(s, j) for j in inc["cap"][p] if cap[j][p][t] != 0])
            <= row["Process-capacity"][1][s][p][t])
        m.demand = pyo.Constraint(m.Sc, m.C, m.T, rule=lambda m, s, c, t: qs(
            m.sale[s, x, t] for x in inc["sales_of"][c]) + m.short[s, c, t]
            == row["Customer-demand"][0][s][c][t])
        m.takeorpay = pyo.Constraint(m.Sc, m.K, m.T, rule=lambda m, s, k, t: m.buy[s, k, t]
                                     + m.deficit[s, k, t] >= row["Contract-takeorpay"][0][s][k][t])
        m.storage = pyo.Constraint(m.Sc, m.S, m.T, rule=lambda m, s, x, t: qs(
            m.stock[s, n, t] for n in inc["nodes_of"][x]) <= row["Site-storage"][1][s][x][t])
        m.crma = pyo.Constraint(m.Sc, m.R, m.T, rule=lambda m, s, r, t: qs(
            a * m.sale[s, x, t] for x, a in inc["crma"][r]) <= row["Customer-crma"][1][s][r][t])
        m.target = pyo.Constraint(m.Sc, m.G, m.T, rule=lambda m, s, g, t: qs(
            m.stock[s, n, t] for n in inc["target"][g]) + m.gap[s, g, t]
            >= row["Target-stock"][0][s][g][t])

    def invest_rows(self) -> None:
        """Option-supplied contracts within what the options open; the first-stage rows."""
        pyo, m, d, row, z, qs, J = self.pyo, self.m, self.d, self.row, self.z, self.sum, self.J
        ks = d.supplied_k.tolist()
        sup_up, sup_lo, top = d.sup_up.tolist(), d.sup_lo.tolist(), d.top_lo.tolist()
        opens = (np.abs(d.sup_up - d.sup_lo).sum(axis=0) > 0).tolist()
        obliged = (d.top_lo.sum(axis=0) > 0).tolist()
        m.supply = pyo.Constraint(m.Sc, m.I, m.T, rule=lambda m, s, i, t: m.buy[s, ks[i], t]
                                  - qs(sup_up[j][i][t] * z(s, j) for j in J
                                       if sup_up[j][i][t] != 0)
                                  <= row["Invest-supply"][1][s][i][t])

        def supply_min(m: Any, s: int, i: int, t: int) -> Any:
            if not opens[i][t]:  # a minimum only where an option opens the contract
                return pyo.Constraint.Skip
            return m.buy[s, ks[i], t] - qs(
                sup_lo[j][i][t] * z(s, j) for j in J if sup_lo[j][i][t] != 0
            ) >= row["Invest-supply"][0][s][i][t]

        def takeorpay_min(m: Any, s: int, i: int, t: int) -> Any:
            if not obliged[i][t]:
                return pyo.Constraint.Skip
            return m.buy[s, ks[i], t] + m.deficit[s, ks[i], t] - qs(
                top[j][i][t] * z(s, j) for j in J if top[j][i][t] != 0) >= 0

        m.supply_min = pyo.Constraint(m.Sc, m.I, m.T, rule=supply_min)
        m.takeorpay_min = pyo.Constraint(m.Sc, m.I, m.T, rule=takeorpay_min)
        entries: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for r, c, v in zip(*(a.tolist() for a in d.frows), strict=True):
            entries[r].append((c, v))
        f_up = d.frow_upper.tolist()
        m.first = pyo.Constraint(m.F, rule=lambda m, r: qs(
            v * m.build[c] for c, v in entries[r]) <= f_up[r])

    def objective(self) -> None:
        """``(1 - w) E[cost] - w (eta - E[excess] / (1 - alpha))``, CVaR rows when w > 0."""
        pyo, m, d, qs, z = self.pyo, self.m, self.d, self.sum, self.z
        w, p, k = d.risk_weight, d.probability.tolist(), d.type_cost.tolist()
        dec_cost = d.dec_cost.tolist()

        def plan_cost(s: int) -> Any:
            return qs(c * getattr(m, attr)[s, e, t]
                      for attr, (_name, ent) in self.fam.items() for e in ent for t in m.T
                      if (c := self.cost[attr][s][e][t]) != 0)

        expected = qs(p[s] * plan_cost(s) for s in m.Sc)
        expr = (1.0 - w) * (expected + qs(dec_cost[i] * m.build[i] for i in m.D))
        if w > 0:
            m.eta = pyo.Var()
            m.excess = pyo.Var(m.Sc, bounds=(0, None))
            m.cvar = pyo.Constraint(m.Sc, rule=lambda m, s: m.excess[s] - m.eta - plan_cost(s)
                                    - qs(k[j] * z(s, j) for j in self.J) >= 0)
            expr = expr - w * m.eta + qs(w / (1.0 - d.alpha) * p[s] * m.excess[s]
                                         for s in m.Sc)
        m.obj = pyo.Objective(sense=pyo.minimize, expr=expr)


class PyomoInvestPeer:
    """The extensive form in Pyomo (indexed components, rules), loaded with ``appsi_highs``."""

    name = "pyomo"

    def __init__(self, mip_rel_gap: float = 0.0) -> None:
        self.mip_rel_gap = mip_rel_gap

    def build(self, d: InvestData) -> Any:
        """Build the Pyomo ``ConcreteModel`` from the labelled data, family by family."""
        b = _Model(d)
        b.variables()
        b.node_balance()
        b.plan_rows()
        b.invest_rows()
        b.objective()
        return b.m

    def load(self, m: Any) -> Any:
        """Hand the model to HiGHS with ``appsi_highs``'s ``set_instance``."""
        from pyomo.contrib.appsi.solvers.highs import Highs

        opt = Highs()
        opt.highs_options = {"threads": 1, "mip_rel_gap": self.mip_rel_gap}
        opt.config.stream_solver = False
        opt.config.load_solution = False
        opt.set_instance(m)
        self._model = m
        return opt

    def solve(self, opt: Any) -> float:
        """Run HiGHS through the persistent interface; return the objective."""
        from pyomo.contrib.appsi.base import TerminationCondition

        opt.update_config.check_for_new_or_removed_constraints = False
        opt.update_config.check_for_new_or_removed_vars = False
        opt.update_config.update_constraints = False
        opt.update_config.update_vars = False
        results = opt.solve(self._model)
        if results.termination_condition != TerminationCondition.optimal:
            raise RuntimeError(f"pyomo: {results.termination_condition}")
        return float(results.best_feasible_objective)
