"""Variable families: contiguous column blocks, entity-major then period.

Column ``offset + e * T + t`` is entity ``e`` of the family in period ``t``.
Names follow ``"{Entity}-{quantity}"`` so results and duals map back to inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oreline.model.families import VARIABLE_FAMILIES, VariableFamily
from oreline.network import Network

__all__ = ["VarBlock", "Variables", "define_variables"]


@dataclass(frozen=True)
class VarBlock:
    """One variable family: ``n`` entities x ``T`` periods starting at column ``offset``."""

    name: VariableFamily
    offset: int
    n: int
    T: int

    @property
    def size(self) -> int:
        """Number of columns."""
        return self.n * self.T

    def cols(self, entity: np.ndarray, period: np.ndarray) -> np.ndarray:
        """Column indices for broadcastable entity and period index arrays."""
        out: np.ndarray = self.offset + np.asarray(entity) * self.T + np.asarray(period)
        return out

    def values(self, x: np.ndarray) -> np.ndarray:
        """Entries of this family in a full column vector ``x``, as an ``(n, T)`` view."""
        return x[self.offset:self.offset + self.size].reshape(self.n, self.T)

    def grid(self) -> np.ndarray:
        """Columns as an ``(n, T)`` array."""
        return self.offset + np.arange(self.size).reshape(self.n, self.T)


@dataclass
class Variables:
    """All column blocks with their bounds; costs are set by :mod:`oreline.model.objective`."""

    blocks: dict[VariableFamily, VarBlock]
    lower: np.ndarray
    upper: np.ndarray

    @property
    def n_cols(self) -> int:
        """Total number of columns."""
        return len(self.lower)

    def __getitem__(self, name: VariableFamily) -> VarBlock:
        return self.blocks[name]


def define_variables(net: Network) -> Variables:
    """Lay out every variable family and set its bounds from the network.

    Examples
    --------
    >>> from oreline.scenario import load_scenario
    >>> from oreline.network import compile_network
    >>> v = define_variables(compile_network(load_scenario("tiny")))
    >>> v["Process-run"].size, v["Customer-shortfall"].size
    (6, 6)

    """
    T = net.n_periods
    counts: dict[VariableFamily, int] = {
        "Contract-buy": len(net.purchases.node),
        "Contract-deficit": len(net.purchases.node),
        "Process-run": len(net.modes.process),
        "Lane-flow": len(net.arcs.source),
        "Stock-level": net.n_nodes,
        "Customer-sale": len(net.sales.node),
        "Customer-shortfall": len(net.customers),
        "Order-delivery": len(net.opening.order_node),
        "Target-gap": len(net.opening.target_level),
    }
    blocks: dict[VariableFamily, VarBlock] = {}
    offset = 0
    for name in VARIABLE_FAMILIES:
        blocks[name] = VarBlock(name, offset, counts[name], T)
        offset += counts[name] * T
    lower = np.zeros(offset)
    upper = np.full(offset, np.inf)
    t = np.arange(T)

    def put(name: VariableFamily, lo: np.ndarray | float, hi: np.ndarray | float) -> None:
        b = blocks[name]
        sl = slice(b.offset, b.offset + b.size)
        lower[sl] = np.broadcast_to(lo, (b.n, T)).ravel()
        upper[sl] = np.broadcast_to(hi, (b.n, T)).ravel()

    put("Contract-buy", net.purchases.lower, net.purchases.upper)
    put("Contract-deficit", 0.0, net.purchases.take_or_pay)
    put("Process-run", 0.0, np.where(net.modes.capacity[net.modes.process] > 0, np.inf, 0.0))
    in_horizon = (t[None, :] + net.arcs.lead[:, None]) < T
    put("Lane-flow", 0.0, np.where(in_horizon, np.inf, 0.0))
    put("Stock-level", 0.0, np.inf)
    put("Customer-sale", 0.0, np.where(net.sales.allowed, np.inf, 0.0))
    put("Customer-shortfall", 0.0, net.sales.demand)
    # an open order is delivered in full in its arrival period: a fixed column
    op = net.opening
    fixed = np.where(t[None, :] == op.order_period[:, None], op.order_quantity[:, None], 0.0)
    put("Order-delivery", fixed, fixed)
    put("Target-gap", 0.0, np.inf)  # no upper bound: its dual is then the penalty
    return Variables(blocks, lower, upper)
