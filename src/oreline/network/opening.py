"""The opening state as arrays: shipments in transit, open orders and stock targets.

* A shipment in transit adds its quantity to its node's balance in the period holding
  its arrival month (:attr:`Opening.transit`, a right-hand side like initial stock).
* An open order is a fixed delivery column of its contract's node in its arrival
  period, paid at the contract price; :func:`reserve_orders` takes it out of the
  contract's max, min and take-or-pay of the period it was ordered in.
* A stock target is one soft row per period: closing stock of every class of the
  (site, commodity) plus a gap at least the target, the gap costing the penalty.

Arrivals after the horizon are left out of the plan (period index ``T``).

Examples
--------
>>> from oreline.scenario import load_scenario
>>> from oreline.network.sets import build_sets
>>> from oreline.network.tables import build_nodes
>>> s = build_sets(load_scenario("tiny"), 64)
>>> opening = build_opening(s, build_nodes(s))
>>> opening.transit.sum(), len(opening.order_node), len(opening.target_level)
(np.float64(0.0), 0, 0)

"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from oreline.network.prices import index_prices, price_terms
from oreline.network.sets import Sets, index_of, last_index
from oreline.network.tables import Nodes, Purchases
from oreline.scenario.schema import Contract

__all__ = ["Opening", "arrival_index", "build_opening", "reserve_orders"]

IntArray = np.ndarray
FloatArray = np.ndarray


@dataclass(frozen=True)
class Opening:
    """Scheduled arrivals and stock targets of a network (see module docstring)."""

    transit: FloatArray  # (nodes, T): t arriving from shipments in transit
    transit_node: IntArray  # per shipment
    transit_period: IntArray  # per shipment; T when after the horizon
    order_contract: IntArray  # per open order: index into scenario.contracts
    order_node: IntArray
    order_period: IntArray  # arrival period; T when after the horizon
    order_quantity: FloatArray
    order_price: FloatArray
    target_nodes: tuple[IntArray, IntArray]  # (target, node) pairs: the nodes each counts
    target_level: FloatArray  # (targets, T), t; 0 outside the target's months
    target_penalty: FloatArray  # per target, per t short for one period


def arrival_index(periods: list[str], months: int, ym: str) -> int:
    """Index of the period holding month ``ym``; ``len(periods)`` after the horizon.

    Examples
    --------
    >>> arrival_index(["2027-01", "2027-04"], 3, "2027-05")
    1
    >>> arrival_index(["2027-01"], 1, "2027-02")  # after the horizon
    1

    """
    end = str(pd.Period(periods[-1], freq="M") + months)
    if ym >= end:
        return len(periods)
    return max(last_index(periods, ym, 0), 0)


def build_opening(s: Sets, nodes: Nodes) -> Opening:
    """Arrays of the scenario's shipments in transit, open orders and stock targets."""
    sc, T = s.scenario, s.T
    transit = np.zeros((len(nodes), T))
    t_node = np.array([nodes.of[s.key(x.site, x.commodity, s.source_class(x.commodity,
                                                                          dict(x.origin)))]
                       for x in sc.in_transit], dtype=np.int64)
    t_period = np.array([arrival_index(s.periods, s.months, x.arrival) for x in sc.in_transit],
                        dtype=np.int64)
    quantity = np.array([x.quantity.tonnes for x in sc.in_transit])
    inside = t_period < T
    np.add.at(transit, (t_node[inside], t_period[inside]), quantity[inside])
    ids = [c.id for c in sc.contracts]
    contracts = [sc.contracts[ids.index(o.contract)] for o in sc.open_orders]
    o_node = np.array([nodes.of[s.key(c.site, c.commodity, s.source_class(c.commodity,
                                                                          dict(c.origin)))]
                       for c in contracts], dtype=np.int64)
    level = np.zeros((len(sc.stock_targets), T))
    pairs: list[tuple[int, int]] = []
    for k, tgt in enumerate(sc.stock_targets):
        lo, hi = index_of(s.periods, tgt.start, 0), last_index(s.periods, tgt.end, T - 1)
        level[k, lo:hi + 1] = tgt.quantity.tonnes
        key = (int(s.sites.get_loc(tgt.site)), int(s.commodities.get_loc(tgt.commodity)))
        pairs += [(k, int(n)) for n in np.flatnonzero((nodes.site == key[0])
                                                      & (nodes.commodity == key[1]))]
    pair_arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return Opening(
        transit=transit, transit_node=t_node, transit_period=t_period,
        order_contract=np.array([ids.index(o.contract) for o in sc.open_orders], dtype=np.int64),
        order_node=o_node,
        order_period=np.array([arrival_index(s.periods, s.months, o.arrival)
                               for o in sc.open_orders], dtype=np.int64),
        order_quantity=np.array([o.quantity.tonnes for o in sc.open_orders]),
        order_price=_order_prices(s, contracts, [o.arrival for o in sc.open_orders]),
        target_nodes=(pair_arr[:, 0].copy(), pair_arr[:, 1].copy()), target_level=level,
        target_penalty=np.array([t.penalty.per_tonne * s.months for t in sc.stock_targets]),
    )


def _order_prices(s: Sets, contracts: list[Contract], arrivals: list[str]) -> FloatArray:
    """Each open order's price per t: its contract's price in the period it arrives.

    A fixed price is the same in every period; an indexed one is read in the arrival
    period (the last period of the horizon when the order arrives after it).
    """
    if not contracts:
        return np.zeros(0)
    table = price_terms(s, [(c.price, c.commodity) for c in contracts]).at(index_prices(s))
    at = [min(arrival_index(s.periods, s.months, a), s.T - 1) for a in arrivals]
    return table[np.arange(len(contracts)), at]


def reserve_orders(s: Sets, purchases: Purchases, opening: Opening) -> Purchases:
    """``purchases`` with each open order taken out of its contract's limits.

    An order arriving in period ``a`` under a contract with lead time ``L`` was placed
    in period ``a - L``; when that period is in the horizon, the contract's max, min and
    take-or-pay there shrink by the order (never below zero). The scenario checks
    refuse orders above the max.
    """
    if not len(opening.order_node):
        return purchases
    upper, lower, top = (a.copy() for a in (purchases.upper, purchases.lower,
                                            purchases.take_or_pay))
    row_of = {int(c): i for i, c in enumerate(purchases.contract)}
    for contract, period, qty in zip(opening.order_contract, opening.order_period,
                                     opening.order_quantity, strict=True):
        row = row_of.get(int(contract))
        if row is None:
            continue  # a disabled contract: the order is delivered, nothing else is bought
        placed = int(period) - int(s.scenario.contracts[int(contract)].lead_time)
        if 0 <= placed < s.T:
            for bound in (upper, lower, top):
                bound[row, placed] = max(bound[row, placed] - qty, 0.0)
    return replace(purchases, upper=upper, lower=lower, take_or_pay=top)
