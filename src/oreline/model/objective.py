"""Objective: minimise discounted cost minus revenue (maximise discounted margin)."""

from __future__ import annotations

import numpy as np

from oreline.model.families import VariableFamily
from oreline.model.variables import Variables
from oreline.network import Network

__all__ = ["define_objective"]


def define_objective(net: Network, v: Variables) -> np.ndarray:
    """Column costs per unit, discounted to the first period.

    Purchases (and take-or-pay deficits) are paid at the contract price of the period
    (fixed or indexed, :mod:`oreline.network.prices`), processes at
    their variable cost, lanes at cost plus ad valorem tariff, stock at the holding
    cost; sales earn the customer's price of the period; shortfall costs the customer's
    penalty; open orders are paid at their contract's price; a stock target's gap costs its
    penalty.
    The optimum is ``-margin``.

    Examples
    --------
    >>> from oreline.scenario import load_scenario
    >>> from oreline.network import compile_network
    >>> from oreline.model.variables import define_variables
    >>> net = compile_network(load_scenario("tiny"))
    >>> c = define_objective(net, define_variables(net))
    >>> float(c[define_variables(net)["Customer-sale"].offset])
    -10000.0

    """
    cost = np.zeros(v.n_cols)
    disc = net.discount[None, :]

    def put(name: VariableFamily, per_unit: np.ndarray) -> None:
        b = v[name]
        unit = np.asarray(per_unit)
        cost[b.offset:b.offset + b.size] = ((unit if unit.ndim == 2 else unit[:, None])
                                            * disc).ravel()

    put("Contract-buy", net.purchases.price)
    put("Contract-deficit", net.purchases.price)
    put("Process-run", net.modes.cost[net.modes.process])
    put("Lane-flow", net.arcs.cost)
    put("Stock-level", net.nodes.hold_cost)
    put("Customer-sale", -net.sales.price[net.sales.customer])
    put("Customer-shortfall", net.sales.penalty)
    put("Order-delivery", net.opening.order_price)
    put("Target-gap", net.opening.target_penalty)
    return cost
