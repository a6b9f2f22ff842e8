"""Shadow prices: what one more unit of a limit is worth, read from HiGHS duals.

The model minimises ``cost - revenue``; a dual ``y`` of a row at a bound changes
the optimum by ``y`` per unit of right-hand side, so the **margin** changes by
``-y``. All values here are margin gains per tonne, discounted to the first
period, in the scenario currency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oreline.model.constraints import RowBlock
from oreline.model.families import ConstraintFamily, VariableFamily
from oreline.model.matrix import LinearProgram
from oreline.solve import LiveModel, Solution

__all__ = ["earliest_supply", "shadow_prices", "shortfall_causes"]

_EPS = 1e-6


@dataclass(frozen=True)
class _Duals:
    """Duals and reduced costs of one solve, with the labelling helper of every table."""

    lp: LinearProgram
    sol: Solution

    @property
    def periods(self) -> np.ndarray:
        return np.asarray(self.lp.net.periods)

    def rows(self, name: ConstraintFamily) -> np.ndarray:
        """Row duals of one constraint family as ``(entities, T)``."""
        return self.sol.row_dual[self.lp.row_slice(name)].reshape(-1, len(self.periods))

    def cols(self, name: VariableFamily) -> np.ndarray:
        """Reduced costs of one variable family as ``(entities, T)``."""
        return self.lp.variables[name].values(self.sol.reduced_cost)

    def long(self, values: np.ndarray, labels: dict[str, np.ndarray], keep: np.ndarray
             ) -> pd.DataFrame:
        """Long table of ``values`` where ``keep``, highest value first."""
        e, t = np.nonzero(keep)
        out = {k: np.asarray(a, dtype=object)[e] for k, a in labels.items()}
        out["period"] = self.periods[t]
        out["value_per_t"] = values[e, t]
        return pd.DataFrame(out).sort_values("value_per_t", ascending=False,
                                             ignore_index=True)


def _capacity(d: _Duals) -> pd.DataFrame:
    net = d.lp.net
    cap = -d.rows("Process-capacity")
    return d.long(cap, {"process": np.asarray(net.processes)},
                  (cap > _EPS) & (net.modes.capacity > 0))


def _supply(d: _Duals) -> pd.DataFrame:
    lp, net = d.lp, d.lp.net
    rc = -d.cols("Contract-buy")
    ub = lp.variables["Contract-buy"].values(lp.col_upper)
    contracts = [net.scenario.contracts[i] for i in net.purchases.contract]
    return d.long(rc, {"contract": np.array([c.id for c in contracts], dtype=object),
                       "supplier": np.array([c.supplier for c in contracts], dtype=object)},
                  (rc > _EPS) & (ub > 0))


def _provenance(d: _Duals) -> pd.DataFrame:
    net = d.lp.net
    cust, sc_idx = net.demand_lines, net.sales.customer
    srv = -d.cols("Customer-sale")
    cls_label = np.array([c.label for c in net.classes], dtype=object)
    return d.long(srv, {
        "customer": np.array([cust[c].id for c in sc_idx], dtype=object),
        "policy": np.array([cust[c].provenance.rule for c in sc_idx], dtype=object),
        "origin_class": cls_label[net.nodes.cls[net.sales.node]],
    }, ~net.sales.allowed & (srv > _EPS))


def _crma(d: _Duals, live: LiveModel | None) -> pd.DataFrame:
    block = d.lp.rows["Customer-crma"]
    values = -d.rows("Customer-crma") if block.size else np.zeros((0, len(d.periods)))
    if block.size:
        values = _confirm_idle_caps(d.lp, d.sol, live, block, values)
    return d.long(values, {"customer_country": np.array(block.entities or [], dtype=object)},
                  values > _EPS)


def _node_prices(d: _Duals) -> pd.DataFrame:
    net = d.lp.net
    node = d.rows("Node-balance")
    cls_label = np.array([c.label for c in net.classes], dtype=object)
    return d.long(node, {
        "site": np.asarray(net.sites, dtype=object)[net.nodes.site],
        "commodity": np.asarray(net.commodities, dtype=object)[net.nodes.commodity],
        "origin_class": cls_label[net.nodes.cls],
    }, np.abs(node) > _EPS)


def shadow_prices(lp: LinearProgram, sol: Solution,
                  live: LiveModel | None = None) -> dict[str, pd.DataFrame]:
    """Value of capacity per process, of oxide per supplier, of relaxing provenance rules.

    Returns tables ``capacity`` (process, period, value of +1 t/period of output
    capacity), ``supply`` (contract, period, value of +1 t of the contract maximum),
    ``provenance`` (customer, origin class, period: value of admitting 1 t of a class
    the policy forbids), ``crma`` (customer:country, period: value of +1 t headroom
    under the share cap) and ``node_prices`` (site, commodity, class, period:
    marginal value of 1 t on hand).

    A share cap of a month with no sales to the customer holds as ``0 <= 0``: its dual
    is then not unique, and HiGHS may return a large one although more headroom is
    worth nothing (the customer cannot be served that month for other reasons). With
    ``live`` (the solved model), such caps are priced by re-solving with 1 t more
    headroom, and dropped when that gains nothing; without it they are left out.
    """
    d = _Duals(lp, sol)
    return {"capacity": _capacity(d), "supply": _supply(d), "provenance": _provenance(d),
            "crma": _crma(d, live), "node_prices": _node_prices(d)}


#: At most this many idle share caps are re-solved (each a warm solve); more are left out.
_MAX_PROBES = 40


def _confirm_idle_caps(lp: LinearProgram, sol: Solution, live: LiveModel | None,
                       block: RowBlock, values: np.ndarray) -> np.ndarray:
    """``values`` with the duals of idle caps (every sale in the row at 0) checked.

    Each such cap with a positive dual is re-solved with 1 t more headroom; the margin
    gained replaces the dual. Without ``live``, or beyond :data:`_MAX_PROBES`, they
    are set to 0 (not reported).
    """
    busy = np.zeros(block.size, dtype=bool)
    np.logical_or.at(busy, block.rows, np.abs(sol.x[block.cols]) > _EPS)
    idle = np.flatnonzero((values.ravel() > _EPS) & ~busy)
    out = values.copy().ravel()
    if not idle.size:
        return values
    if live is None or idle.size > _MAX_PROBES:
        out[idle] = 0.0
        return out.reshape(values.shape)
    rows = lp.row_slice(block.name).start + idle
    base = sol.objective
    for local, row in zip(idle, rows, strict=True):
        live.set_row_bounds(np.array([row]), lp.row_lower[[row]], lp.row_upper[[row]] + 1.0)
        gain = base - live.solve().objective  # minimised: a lower cost is a higher margin
        live.set_row_bounds(np.array([row]), lp.row_lower[[row]], lp.row_upper[[row]])
        out[local] = max(gain, 0.0)
    live.solve()  # back at the plan's optimum, for later warm starts
    return out.reshape(values.shape)


def _upstream(lp: LinearProgram, product: str) -> set[str]:
    """Commodities that can end up in ``product`` through recipes."""
    recipes = lp.net.scenario.processes
    seen = {product}
    frontier = [product]
    while frontier:
        com = frontier.pop()
        for proc in recipes:
            if com == proc.main_output or com in proc.co_products:
                for m in proc.inputs:
                    if m not in seen:
                        seen.add(m)
                        frontier.append(m)
    return seen


def earliest_supply(lp: LinearProgram) -> dict[tuple[str, str], int]:
    """Earliest period index in which each (site, commodity) can be on hand.

    Stock is there at once, shipments in transit and open orders at their arrival; a
    contract delivers from its start plus lead time; a process output needs all its
    inputs and capacity; a lane adds its lead time.
    """
    net = lp.net
    sc = net.scenario
    T = net.n_periods
    periods = np.asarray(net.periods)
    best: dict[tuple[str, str], int] = {}

    def offer(key: tuple[str, str], t: int) -> bool:
        if t < T and t < best.get(key, T):
            best[key] = t
            return True
        return False

    for s in sc.initial_stock:
        offer((s.site, s.commodity), 0)
    op = net.opening
    for x, t in zip(sc.in_transit, op.transit_period, strict=True):
        offer((x.site, x.commodity), int(t))
    for o, t in zip(sc.open_orders, op.order_period, strict=True):
        c = next(c for c in sc.contracts if c.id == o.contract)
        offer((c.site, c.commodity), int(t))
    for c in sc.contracts:
        if c.enabled and not (c.end is not None and c.end < net.periods[0]):
            start = int(np.searchsorted(periods, c.start)) if c.start else 0
            offer((c.site, c.commodity), start + c.lead_time)
    cap = net.modes.capacity
    first_cap = {str(p): int(np.argmax(cap[i] > 0)) if (cap[i] > 0).any() else T
                 for i, p in enumerate(net.processes)}
    changed = True
    while changed:
        changed = False
        for proc in sc.processes:
            need = [best.get((proc.site, m), T) for m in proc.inputs]
            t = max([*need, first_cap[proc.id]])
            for m in (proc.main_output, *proc.co_products):
                changed |= offer((proc.site, m), t)
        for lane in sc.lanes:
            for (site, com), t in list(best.items()):
                if site == lane.origin and (lane.commodities is None or com in lane.commodities):
                    changed |= offer((lane.destination, com), t + lane.lead_time)
    return best


def shortfall_causes(lp: LinearProgram, sol: Solution, prices: dict[str, pd.DataFrame],
                     demand: pd.DataFrame) -> pd.DataFrame:
    """Attach a cause to every shortfall, read from the binding limits behind it.

    Causes: ``lead-time`` (nothing can reach the customer that early, see
    :func:`earliest_supply`), ``provenance`` (a forbidden origin class would have served it),
    ``capacity`` (a process on the product's chain is at capacity in or before the
    period), ``feedstock`` (a contract on the chain is at its maximum), ``crma`` (the
    share cap binds), else ``margin`` (serving costs more than the shortfall penalty).
    """
    sc = lp.net.scenario
    out = demand.copy()
    causes = []
    earliest = earliest_supply(lp)
    site_of = {c.id: c.site for c in lp.net.demand_lines}
    index = {p: i for i, p in enumerate(lp.net.periods)}
    for row in out.itertuples():
        if row.shortfall_t <= 1e-6:
            causes.append("")
            continue
        chain = _upstream(lp, str(row.product))
        found = []
        first = earliest.get((site_of[str(row.customer)], str(row.product)), lp.net.n_periods)
        if index[str(row.period)] < first:
            causes.append("lead-time")  # nothing could have arrived: no other cause matters
            continue
        prov = prices["provenance"]
        same = (prov["customer"] == row.customer) & (prov["period"] == row.period)
        if len(prov) and same.any():
            found.append("provenance")
        capp = prices["capacity"]
        procs = {p.id for p in sc.processes if p.main_output in chain}
        if len(capp) and (capp["process"].isin(procs) & (capp["period"] <= row.period)).any():
            found.append("capacity")
        sup = prices["supply"]
        cons = {c.id for c in sc.contracts if c.commodity in chain}
        if len(sup) and (sup["contract"].isin(cons) & (sup["period"] <= row.period)).any():
            found.append("feedstock")
        crma = prices["crma"]
        if len(crma) and (crma["customer_country"].str.startswith(f"{row.customer}:")
                          & (crma["period"] == row.period)).any():
            found.append("crma")
        causes.append("+".join(found) or "margin")
    out["cause"] = causes
    return out
