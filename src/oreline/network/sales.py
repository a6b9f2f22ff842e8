"""Sales and demand: which class of which node may serve which customer, and when.

One sale row per (customer, node of the customer's product at its site); the
customer's provenance rule decides per period whether the node's class is admitted
(:func:`oreline.origin.policy_allows`), and a CRMA rule adds share-cap groups.

Examples
--------
>>> from oreline.scenario import load_scenario
>>> from oreline.network.sets import build_sets
>>> from oreline.network.tables import build_nodes
>>> s = build_sets(load_scenario("tiny"), 64)
>>> sales = build_sales(s, build_nodes(s))
>>> sales.customer.tolist(), sales.allowed.tolist()[2]
([0, 0, 1, 1], [True, True, True])

"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from oreline.network.sets import Sets, index_of, last_index
from oreline.network.tables import Nodes
from oreline.origin import DFARS_ALL_STAGES_FROM, policy_allows, third_countries
from oreline.scenario.schema import Customer

__all__ = ["CrmaGroup", "Sales", "build_sales", "customer_demand", "penalty"]

IntArray = np.ndarray
FloatArray = np.ndarray
#: ``(customer, max share, sale rows touching each third country)``.
CrmaGroup = tuple[int, float, dict[str, IntArray]]


@dataclass(frozen=True)
class Sales:
    """Sale rows (customer, node) and per-customer demand, price and penalty."""

    customer: IntArray  # per sale; a customer's sales are contiguous
    node: IntArray  # per sale
    allowed: np.ndarray  # (sales, T) bool: the customer's policy admits the class
    demand: FloatArray  # (customers, T), t per period
    unqualified: FloatArray  # (customers, T): demand before qualification (not plannable)
    price: FloatArray  # per customer, per t
    penalty: FloatArray  # per customer, per t short
    crma: list[CrmaGroup] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.node)


def penalty(price: float, customer_penalty: float | None, priority: int | None) -> float:
    """Shortfall penalty per t: the customer's own, else ``price x (3 - 0.25 (priority - 1))``.

    Examples
    --------
    >>> penalty(100.0, None, None), penalty(100.0, 7.0, 1), penalty(100.0, None, 1)
    (200.0, 7.0, 300.0)

    """
    if customer_penalty is not None:
        return customer_penalty
    prio = 5 if priority is None else priority
    return price * (3.0 - 0.25 * (prio - 1))


def customer_demand(s: Sets, cu: Customer) -> tuple[FloatArray, FloatArray]:
    """``(plannable, unqualified)`` demand of one customer per period.

    The base rate is shaped by a monthly profile, replaced where ``demand_by_period``
    names a period, zero outside the customer's window; periods before
    ``qualified_from`` count as unqualified.
    """
    periods, T, months = s.periods, s.T, s.months
    idx = np.arange(T)
    base = np.full(T, cu.demand.per_period(months))
    if cu.profile is not None and months == 1:
        w = np.array(cu.profile) / np.mean(cu.profile)
        base = base * w[np.array([int(p[5:7]) - 1 for p in periods])]
    for ym, q in cu.demand_by_period.items():
        if ym in periods:
            base[periods.index(ym)] = q.per_period(months)
    active = (idx >= index_of(periods, cu.start, 0)) & (idx <= last_index(periods, cu.end, T - 1))
    qualified = idx >= index_of(periods, cu.qualified_from, 0)
    return np.where(active & qualified, base, 0.0), np.where(active & ~qualified, base, 0.0)


def _crma_group(s: Sets, nodes: Nodes, ci: int, cu: Customer, sale_nodes: IntArray,
                first: int) -> CrmaGroup:
    """Sale rows (from ``first``) of customer ``ci`` touching each third country."""
    by_country: dict[str, list[int]] = {}
    for k, n in enumerate(sale_nodes):
        for country in third_countries(c for st in cu.provenance.stages
                                       for c in s.classes[nodes.cls[n]].countries(st)):
            by_country.setdefault(country, []).append(first + k)
    return (ci, float(cu.provenance.max_share or 1.0),
            {c: np.array(v, dtype=np.int64) for c, v in sorted(by_country.items())})


def build_sales(s: Sets, nodes: Nodes) -> Sales:
    """Sale rows with the periods their class is admitted, demand and CRMA groups."""
    sc, periods, T = s.scenario, s.periods, s.T
    custs = sc.customers
    demand, unqualified = np.zeros((len(custs), T)), np.zeros((len(custs), T))
    sale_customer: list[int] = []
    sale_node: list[int] = []
    allowed_rows: list[np.ndarray] = []
    crma: list[CrmaGroup] = []
    # policies only change verdict at the DFARS stage widening: one check per side of it
    regimes = {p >= DFARS_ALL_STAGES_FROM: p for p in reversed(periods)}
    for ci, cu in enumerate(custs):
        demand[ci], unqualified[ci] = customer_demand(s, cu)
        si, mi = int(s.sites.get_loc(cu.site)), int(s.commodities.get_loc(cu.product))
        at = np.flatnonzero((nodes.site == si) & (nodes.commodity == mi))
        first = len(sale_node)
        for n in at:
            sale_customer.append(ci)
            sale_node.append(int(n))
            cls = s.classes[nodes.cls[n]]
            verdict = {rep: policy_allows(cu.provenance, cls, rep) for rep in regimes.values()}
            allowed_rows.append(np.array([verdict[regimes[p >= DFARS_ALL_STAGES_FROM]]
                                          for p in periods]))
        if cu.provenance.rule == "crma" and len(at):
            crma.append(_crma_group(s, nodes, ci, cu, at, first))
    return Sales(
        customer=np.array(sale_customer, dtype=np.int64),
        node=np.array(sale_node, dtype=np.int64),
        allowed=np.array(allowed_rows, dtype=bool).reshape(-1, T),
        demand=demand, unqualified=unqualified,
        price=np.array([c.price.per_tonne for c in custs]),
        penalty=np.array([penalty(c.price.per_tonne,
                                  c.shortfall_penalty.per_tonne if c.shortfall_penalty else None,
                                  c.priority) for c in custs]),
        crma=crma,
    )
