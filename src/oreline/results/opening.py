"""Tables of the opening state: scheduled arrivals and stock targets.

``arrivals`` lists every shipment in transit and open order with the period it
arrives in (``after`` beyond the horizon) and what it costs: an open order is paid in
the plan at its contract's price; a shipment in transit was paid already
(``price_paid``, sunk, not in the margin). ``stock_targets`` holds, per target and
period, the target, the closing stock over every class of its (site, commodity), the
gap below the target, the penalty paid and the target's shadow cost: what one more
tonne of target would cost the objective (discounted), read from the row's dual.

Examples
--------
>>> from oreline.planner import run_plan
>>> plan = run_plan("tiny")
>>> list(stock_targets_table(plan.lp, plan.solution).columns)[:4]
['target', 'kind', 'site', 'commodity']

"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oreline.model.matrix import LinearProgram
from oreline.solve import Solution

__all__ = ["ARRIVAL_COLUMNS", "TARGET_COLUMNS", "arrivals_table", "stock_targets_table",
           "unmet_targets"]

#: Columns of the ``arrivals`` table.
ARRIVAL_COLUMNS = ["kind", "id", "contract", "site", "commodity", "origin_class", "arrival",
                   "period", "quantity_t", "price_per_t", "cost", "paid_in_plan"]
#: Columns of the ``stock_targets`` table.
TARGET_COLUMNS = ["target", "kind", "site", "commodity", "period", "target_t", "stock_t",
                  "gap_t", "penalty_per_t", "penalty", "shadow_cost_per_t"]


def arrivals_table(lp: LinearProgram) -> pd.DataFrame:
    """One row per shipment in transit and open order (see module docstring)."""
    net = lp.net
    sc, op = net.scenario, net.opening
    periods = [*net.periods, "after"]
    rows = []
    for i, x in enumerate(sc.in_transit):
        site, com, cls = net.node_label(int(op.transit_node[i]))
        price = x.price_paid.per_tonne if x.price_paid else np.nan
        rows.append(("in_transit", x.id, "", site, com, cls, x.arrival,
                     periods[op.transit_period[i]], x.quantity.tonnes, price,
                     x.quantity.tonnes * price, False))
    for i, o in enumerate(sc.open_orders):
        site, com, cls = net.node_label(int(op.order_node[i]))
        period = periods[op.order_period[i]]
        rows.append(("open_order", o.id, o.contract, site, com, cls, o.arrival, period,
                     o.quantity.tonnes, float(op.order_price[i]),
                     o.quantity.tonnes * float(op.order_price[i]), period != "after"))
    return pd.DataFrame(rows, columns=ARRIVAL_COLUMNS)


def stock_targets_table(lp: LinearProgram, sol: Solution) -> pd.DataFrame:
    """Target, stock, gap, penalty and shadow cost per stock target and period in force."""
    net, v = lp.net, lp.variables
    op = net.opening
    K, T = op.target_level.shape
    if not K:
        return pd.DataFrame(columns=TARGET_COLUMNS)
    stock_nodes = v["Stock-level"].values(sol.x)
    held = np.zeros((K, T))
    pair_t, pair_n = op.target_nodes
    np.add.at(held, pair_t, stock_nodes[pair_n])
    gap = v["Target-gap"].values(sol.x)
    dual = sol.row_dual[lp.row_slice("Target-stock")].reshape(K, T)
    targets = net.scenario.stock_targets
    k, t = np.nonzero(op.target_level > 0)
    df = pd.DataFrame({
        "target": np.array([x.id for x in targets], dtype=object)[k],
        "kind": np.array([x.kind for x in targets], dtype=object)[k],
        "site": np.array([x.site for x in targets], dtype=object)[k],
        "commodity": np.array([x.commodity for x in targets], dtype=object)[k],
        "period": np.asarray(net.periods)[t], "target_t": op.target_level[k, t],
        "stock_t": held[k, t], "gap_t": np.where(gap[k, t] > 1e-9, gap[k, t], 0.0),
        "penalty_per_t": op.target_penalty[k],
    })
    df["penalty"] = df["gap_t"] * df["penalty_per_t"]
    df["shadow_cost_per_t"] = np.where(np.abs(dual[k, t]) > 1e-9, dual[k, t], 0.0)
    return df[TARGET_COLUMNS]


def unmet_targets(table: pd.DataFrame) -> pd.DataFrame:
    """Per target with a gap: periods below it, the largest gap and the penalty paid.

    Examples
    --------
    >>> t = pd.DataFrame({"target": ["a", "a"], "kind": ["safety"] * 2, "site": ["s"] * 2,
    ...                   "commodity": ["c"] * 2, "gap_t": [0.0, 2.0], "penalty": [0.0, 8.0]})
    >>> unmet_targets(t)[["target", "periods", "max_gap_t", "penalty"]].values.tolist()
    [['a', 1, 2.0, 8.0]]

    """
    short = table[table["gap_t"] > 1e-6]
    keys = ["target", "kind", "site", "commodity"]
    return short.groupby(keys, as_index=False, sort=False).agg(
        periods=("gap_t", "size"), max_gap_t=("gap_t", "max"), penalty=("penalty", "sum"))
