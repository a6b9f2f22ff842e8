"""Element mass balance of a solved plan, computed from the flows, not from the LP rows.

For every element: what entered (initial stock plus purchases arriving within the
horizon) must equal what left (sales) plus what is still held (closing stock) plus
what processes lost (inputs minus outputs, element by element). No process may
create an element beyond the recipe tolerance. The tolerance scales with the
largest element flow, as in flodym's ``check_mass_balance``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oreline.errors import MassBalanceError
from oreline.model.matrix import LinearProgram
from oreline.scenario.checks import RECIPE_TOLERANCE
from oreline.solve import Solution

__all__ = ["element_balance"]


def element_balance(lp: LinearProgram, sol: Solution, rtol: float = 1e-6) -> pd.DataFrame:
    """Per-element balance table; raises when any element is created or lost unaccounted.

    Raises
    ------
    MassBalanceError
        Naming the element, the imbalance in tonnes and the biggest term.

    """
    net, v = lp.net, lp.variables
    T = net.n_periods
    coms = net.scenario.commodities
    elements = sorted({el for c in coms for el in c.element_fractions})
    frac = np.array([[c.element_fractions.get(el, 0.0) for el in elements] for c in coms])
    frac = frac.reshape(len(coms), len(elements))
    node_frac = frac[net.node_com]  # (nodes, E)

    def vals(name: str) -> np.ndarray:
        b = v[name]
        return sol.x[b.offset:b.offset + b.size].reshape(b.n, T)

    buy = vals("Contract-buy")
    arrives = (np.arange(T)[None, :] + net.buy_lead[:, None]) < T
    bought = (buy * arrives).sum(axis=1) @ node_frac[net.buy_node] if len(buy) else 0.0
    opening = net.initial @ node_frac
    sold = vals("Customer-sale").sum(axis=1) @ node_frac[net.sale_node] if len(net.sale_node) \
        else np.zeros(len(elements))
    closing = vals("Stock-level")[:, -1] @ node_frac
    flow = vals("Lane-flow")
    arrive_l = (np.arange(T)[None, :] + net.arc_lead[:, None]) < T
    in_transit = ((flow * ~arrive_l).sum(axis=1) @ node_frac[net.arc_from]) if len(flow) \
        else np.zeros(len(elements))
    run = vals("Process-run").sum(axis=1)
    mode, node, coef = net.mode_in
    used = np.zeros((len(run), len(elements)))
    np.add.at(used, mode, (run[mode] * coef)[:, None] * node_frac[node])
    mode, node, coef = net.mode_out
    made = np.zeros((len(run), len(elements)))
    np.add.at(made, mode, (run[mode] * coef)[:, None] * node_frac[node])
    loss = (used - made).sum(axis=0) if len(run) else np.zeros(len(elements))
    created = np.clip(made - used * (1 + RECIPE_TOLERANCE), 0, None).sum(axis=0) if len(run) \
        else np.zeros(len(elements))
    table = pd.DataFrame({
        "element": elements, "opening_t": opening, "purchased_t": bought, "sold_t": sold,
        "closing_t": closing, "in_transit_t": in_transit, "process_loss_t": loss,
    })
    table["imbalance_t"] = (table["opening_t"] + table["purchased_t"] - table["sold_t"]
                            - table["closing_t"] - table["in_transit_t"] - table["process_loss_t"])
    scale = float(max(1.0, np.abs(table.drop(columns="element").to_numpy()).max()))
    bad = table[(table["imbalance_t"].abs() > rtol * scale) | (created > rtol * scale)]
    if len(bad):
        first = bad.iloc[0]
        raise MassBalanceError(
            f"element {first['element']} does not balance: imbalance {first['imbalance_t']:.6g} t "
            f"(opening {first['opening_t']:.6g}, purchased {first['purchased_t']:.6g}, sold "
            f"{first['sold_t']:.6g}, closing {first['closing_t']:.6g}, process loss "
            f"{first['process_loss_t']:.6g}); this is a bug in the model, please report it with "
            "the scenario"
        )
    return table
