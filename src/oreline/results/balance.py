"""Element mass balance of a solved plan, computed from the flows, not from the LP rows.

For every element: what entered (initial stock, purchases and open orders arriving
within the horizon, shipments in transit at the start arriving within it) must
equal what left (sales) plus what is still held (closing stock) plus what processes
lost (inputs minus outputs, element by element). No process may create an element
beyond the recipe tolerance. The tolerance scales with the
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


def _process_terms(lp: LinearProgram, x: np.ndarray, node_frac: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per element: what processes lost (inputs - outputs) and created beyond tolerance."""
    net = lp.net
    E = node_frac.shape[1]
    run = lp.variables["Process-run"].values(x).sum(axis=1)
    if not len(run):
        return np.zeros(E), np.zeros(E)
    moved = []
    for mode, node, coef in (net.modes.inputs, net.modes.outputs):
        total = np.zeros((len(run), E))
        np.add.at(total, mode, (run[mode] * coef)[:, None] * node_frac[node])
        moved.append(total)
    used, made = moved
    created = np.clip(made - used * (1 + RECIPE_TOLERANCE), 0, None).sum(axis=0)
    return (used - made).sum(axis=0), created


def _balance_table(lp: LinearProgram, sol: Solution) -> tuple[pd.DataFrame, np.ndarray]:
    """The per-element balance terms, and the mass each element's processes created."""
    net, v = lp.net, lp.variables
    T = net.n_periods
    coms = net.scenario.commodities
    elements = sorted({el for c in coms for el in c.element_fractions})
    frac = np.array([[c.element_fractions.get(el, 0.0) for el in elements] for c in coms])
    node_frac = frac.reshape(len(coms), len(elements))[net.nodes.commodity]  # (nodes, E)
    none = np.zeros(len(elements))
    buy = v["Contract-buy"].values(sol.x)
    arrives = (np.arange(T)[None, :] + net.purchases.lead[:, None]) < T
    bought = (buy * arrives).sum(axis=1) @ node_frac[net.purchases.node] if len(buy) else 0.0
    sold = (v["Customer-sale"].values(sol.x).sum(axis=1) @ node_frac[net.sales.node]
            if len(net.sales.node) else none)
    flow = v["Lane-flow"].values(sol.x)
    arrive_l = (np.arange(T)[None, :] + net.arcs.lead[:, None]) < T
    in_transit = ((flow * ~arrive_l).sum(axis=1) @ node_frac[net.arcs.source]) if len(flow) \
        else none
    loss, created = _process_terms(lp, sol.x, node_frac)
    orders = v["Order-delivery"].values(sol.x).sum(axis=1)
    if len(orders):
        bought = bought + orders @ node_frac[net.opening.order_node]
    table = pd.DataFrame({
        "element": elements, "opening_t": net.nodes.initial @ node_frac, "purchased_t": bought,
        "arriving_t": net.opening.transit.sum(axis=1) @ node_frac,
        "sold_t": sold, "closing_t": v["Stock-level"].values(sol.x)[:, -1] @ node_frac,
        "in_transit_t": in_transit, "process_loss_t": loss,
    })
    table["imbalance_t"] = (table["opening_t"] + table["purchased_t"] + table["arriving_t"]
                            - table["sold_t"]
                            - table["closing_t"] - table["in_transit_t"] - table["process_loss_t"])
    return table, created


def element_balance(lp: LinearProgram, sol: Solution, rtol: float = 1e-6) -> pd.DataFrame:
    """Per-element balance table; raises when any element is created or lost unaccounted.

    Raises
    ------
    MassBalanceError
        Naming the element, the imbalance in tonnes and the biggest term.

    """
    table, created = _balance_table(lp, sol)
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
