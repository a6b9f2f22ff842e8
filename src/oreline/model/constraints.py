"""Constraint families, one vectorised function each.

Every function returns a :class:`RowBlock`: ``n`` entities x ``T`` periods of rows
(entity-major), with the block's nonzeros as index arrays built by broadcasting,
never by a Python loop over variables or rows. Names follow ``"{Entity}-{family}"``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oreline.model.families import ConstraintFamily
from oreline.model.variables import Variables
from oreline.network import Network

__all__ = [
    "CONSTRAINT_FAMILIES",
    "RowBlock",
    "define_crma_share",
    "define_customer_demand",
    "define_node_balance",
    "define_process_capacity",
    "define_site_storage",
    "define_stock_target",
    "define_take_or_pay",
]


@dataclass
class RowBlock:
    """Rows of one constraint family and their nonzeros (local row numbers)."""

    name: ConstraintFamily
    n: int
    T: int
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    entities: list[str] | None = None

    @property
    def size(self) -> int:
        """Number of rows."""
        return self.n * self.T


def _grid(n: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """Entity and period index arrays of shape (n, T)."""
    return np.broadcast_arrays(np.arange(n)[:, None], np.arange(T)[None, :])  # type: ignore[return-value]


def _cat(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, ...]:
    keep = [p for p in parts if p[0].size]
    if not keep:
        return (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    return tuple(np.concatenate([np.ravel(p[i]) for p in keep]) for i in range(3))


def define_node_balance(net: Network, v: Variables) -> RowBlock:
    """Stock balance per (site, commodity, origin class) and period.

    ``arrivals + open orders + production - consumption + lane inflow - lane outflow
    - sales + stock[t-1] - stock[t] = 0``, with the initial stock moved to the
    right-hand side of period 0 and shipments in transit to that of their arrival.
    """
    T, N = net.n_periods, net.n_nodes
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    # purchases arrive after the contract's lead time
    e, t = _grid(len(net.purchases.node), T)
    arrive = t + net.purchases.lead[e]
    ok = arrive < T
    parts.append((net.purchases.node[e][ok] * T + arrive[ok], v["Contract-buy"].cols(e, t)[ok],
                  np.ones(ok.sum())))
    # process modes: inputs consumed, outputs produced in the same period
    for (mode, node, coef), sign in ((net.modes.inputs, -1.0), (net.modes.outputs, 1.0)):
        k, t = _grid(len(mode), T)
        parts.append((node[k] * T + t, v["Process-run"].cols(mode[k], t), sign * coef[k]))
    # lane flows leave in t and arrive in t + lead
    a, t = _grid(len(net.arcs.source), T)
    parts.append((net.arcs.source[a] * T + t, v["Lane-flow"].cols(a, t), -np.ones(a.shape)))
    arrive = t + net.arcs.lead[a]
    ok = arrive < T
    parts.append((net.arcs.target[a][ok] * T + arrive[ok], v["Lane-flow"].cols(a, t)[ok],
                  np.ones(ok.sum())))
    # stock carried from t to t + 1
    n, t = _grid(N, T)
    parts.append((n * T + t, v["Stock-level"].cols(n, t), -np.ones(n.shape)))
    ok = t < T - 1
    parts.append((n[ok] * T + t[ok] + 1, v["Stock-level"].cols(n, t)[ok], np.ones(ok.sum())))
    # sales
    s, t = _grid(len(net.sales.node), T)
    parts.append((net.sales.node[s] * T + t, v["Customer-sale"].cols(s, t), -np.ones(s.shape)))
    # open orders are delivered in their arrival period (a fixed column)
    o, t = _grid(len(net.opening.order_node), T)
    parts.append((net.opening.order_node[o] * T + t, v["Order-delivery"].cols(o, t),
                  np.ones(o.shape)))
    rhs = -net.opening.transit.copy()
    rhs[:, 0] -= net.nodes.initial
    rows, cols, vals = _cat(parts)
    return RowBlock("Node-balance", N, T, rows, cols, vals, rhs.ravel(), rhs.ravel().copy())


def define_process_capacity(net: Network, v: Variables) -> RowBlock:
    """Output of all modes of a process within its capacity in each period."""
    T, P = net.n_periods, len(net.processes)
    j, t = _grid(len(net.modes.process), T)
    rows = net.modes.process[j] * T + t
    cols = v["Process-run"].cols(j, t)
    return RowBlock("Process-capacity", P, T, rows.ravel(), cols.ravel(), np.ones(rows.size),
                    np.full(P * T, -np.inf), net.modes.capacity.ravel().copy(), list(net.processes))


def define_customer_demand(net: Network, v: Variables) -> RowBlock:
    """Sales of every admitted class plus shortfall: at least demand, at most the ceiling.

    ``demand_ct <= sum_s sale_st + short_ct <= max(demand_ct, ceiling_ct)``; the
    ceiling is a contract's ``max`` (equal to demand unless the contract says more),
    so a plain customer's row is an equality.
    """
    T, C = net.n_periods, len(net.customers)
    s, t = _grid(len(net.sales.node), T)
    c, tc = _grid(C, T)
    rows, cols, vals = _cat([
        (net.sales.customer[s] * T + t, v["Customer-sale"].cols(s, t), np.ones(s.shape)),
        (c * T + tc, v["Customer-shortfall"].cols(c, tc), np.ones(c.shape)),
    ])
    d = net.sales.demand.ravel()
    ceiling = net.sales.ceiling.ravel() if net.sales.ceiling.size else d
    return RowBlock("Customer-demand", C, T, rows, cols, vals, d.copy(), np.maximum(d, ceiling),
                    list(net.customers))


def define_take_or_pay(net: Network, v: Variables) -> RowBlock:
    """Purchases plus paid deficit reach the take-or-pay quantity."""
    T, K = net.n_periods, len(net.purchases.node)
    e, t = _grid(K, T)
    rows, cols, vals = _cat([
        (e * T + t, v["Contract-buy"].cols(e, t), np.ones(e.shape)),
        (e * T + t, v["Contract-deficit"].cols(e, t), np.ones(e.shape)),
    ])
    return RowBlock("Contract-takeorpay", K, T, rows, cols, vals,
                    net.purchases.take_or_pay.ravel().copy(), np.full(K * T, np.inf))


def define_site_storage(net: Network, v: Variables) -> RowBlock:
    """Total stock held at a site within its storage capacity."""
    T, S = net.n_periods, len(net.sites)
    n, t = _grid(net.n_nodes, T)
    rows = net.nodes.site[n] * T + t
    cap = np.repeat(net.nodes.storage, T)
    return RowBlock("Site-storage", S, T, rows.ravel(), v["Stock-level"].cols(n, t).ravel(),
                    np.ones(rows.size), np.full(S * T, -np.inf), cap, list(net.sites))


def define_crma_share(net: Network, v: Variables) -> RowBlock:
    """CRMA cap: sales touching one third country <= share x all sales, per customer, period.

    Entities are ``(customer, country)`` pairs; a class touching a country at any
    capped stage counts wholly towards that country (a conservative reading). Each
    pair's row holds every sale of its customer: ``1 - share`` for sales touching the
    country, ``-share`` for the others.
    """
    T = net.n_periods
    pairs = [(ci, share, sales) for ci, share, by in net.sales.crma for sales in by.values()]
    names = [f"{net.customers[ci]}:{c}" for ci, _, by in net.sales.crma for c in by]
    n = len(pairs)
    if not n:
        empty = np.zeros(0, np.int64)
        return RowBlock("Customer-crma", 0, T, empty, empty, np.zeros(0), np.zeros(0),
                        np.zeros(0), names)
    # sales of one customer are contiguous (compile_network emits them customer by customer)
    counts = np.bincount(net.sales.customer, minlength=len(net.customers))
    first_sale = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pair_c = np.array([ci for ci, _, _ in pairs], dtype=np.int64)
    size = counts[pair_c]
    start = np.concatenate([[0], np.cumsum(size)[:-1]])  # entry offset of each pair
    e_pair = np.repeat(np.arange(n), size)
    e_sale = np.arange(int(size.sum())) - np.repeat(start, size) + np.repeat(first_sale[pair_c],
                                                                              size)
    coef = -np.repeat(np.array([share for _, share, _ in pairs]), size)
    touching = np.concatenate([sales - first_sale[ci] + start[r]
                               for r, (ci, _, sales) in enumerate(pairs)])
    coef[touching] += 1.0
    t = np.arange(T)[None, :]
    rows = (e_pair[:, None] * T + t).ravel()
    cols = v["Customer-sale"].cols(e_sale[:, None], t).ravel()
    vals = np.repeat(coef, T)
    return RowBlock("Customer-crma", n, T, rows, cols, vals, np.full(n * T, -np.inf),
                    np.zeros(n * T), names)


def define_stock_target(net: Network, v: Variables) -> RowBlock:
    """Soft stock target per (target, period): closing stock plus gap reach the target.

    ``sum over the classes n of the target's (site, commodity) of stock[n, t]
    + gap[k, t] >= level[k, t]``; the gap costs the target's penalty (objective). A
    target with no node (the commodity never reaches the site) is all gap.
    """
    op = net.opening
    T, K = net.n_periods, len(op.target_level)
    pair_t, pair_n = op.target_nodes
    p, t = _grid(len(pair_t), T)
    k, tk = _grid(K, T)
    rows, cols, vals = _cat([
        (pair_t[p] * T + t, v["Stock-level"].cols(pair_n[p], t), np.ones(p.shape)),
        (k * T + tk, v["Target-gap"].cols(k, tk), np.ones(k.shape)),
    ])
    return RowBlock("Target-stock", K, T, rows, cols, vals, op.target_level.ravel().copy(),
                    np.full(K * T, np.inf), [x.id for x in net.scenario.stock_targets])


CONSTRAINT_FAMILIES = (
    define_node_balance, define_process_capacity, define_customer_demand, define_take_or_pay,
    define_site_storage, define_crma_share, define_stock_target,
)
