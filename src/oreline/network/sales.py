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

from oreline.network.pipeline import DemandLines, DemandMode, demand_lines
from oreline.network.prices import PriceTerms, price_terms
from oreline.network.sets import Sets, index_of, last_index
from oreline.network.tables import Nodes
from oreline.origin import DFARS_ALL_STAGES_FROM, policy_allows, third_countries
from oreline.scenario.schema import Customer, Enquiry

__all__ = ["CrmaGroup", "Sales", "build_sales", "customer_demand", "penalty"]

IntArray = np.ndarray
FloatArray = np.ndarray
#: ``(customer, max share, sale rows touching each third country)``.
CrmaGroup = tuple[int, float, dict[str, IntArray]]


@dataclass(frozen=True)
class Sales:
    """Sale rows (customer, node) and per demand line demand, price and penalty.

    The demand lines ("customers" of the model) are the scenario's customers, then its
    enquiries (``lines``); ``demand`` is what each must be served (firm contract volume
    plus the enquiry volume the demand mode counts), ``ceiling`` the most it takes,
    ``pipeline`` the firm / expected / unqualified / excluded split for reports.
    """

    customer: IntArray  # per sale; a customer's sales are contiguous
    node: IntArray  # per sale
    allowed: np.ndarray  # (sales, T) bool: the customer's policy admits the class
    demand: FloatArray  # (customers, T), t per period
    unqualified: FloatArray  # (customers, T): demand before qualification (not plannable)
    price: FloatArray  # (customers, T), per t
    penalty: FloatArray  # per customer, per t short
    crma: list[CrmaGroup] = field(default_factory=list)
    ceiling: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))  # (customers, T)
    pipeline: DemandLines | None = None
    price_terms: PriceTerms | None = None

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


def customer_demand(s: Sets, cu: Customer | Enquiry,
                    qualified_from: str | None = None) -> tuple[FloatArray, FloatArray]:
    """``(plannable, unqualified)`` demand of one customer (or enquiry) per period.

    The base rate is shaped by a monthly profile, replaced where ``demand_by_period``
    names a period, zero outside the customer's window; periods before
    ``qualified_from`` (the customer's own when not given) count as unqualified.
    """
    if qualified_from is None and isinstance(cu, Customer):
        qualified_from = cu.qualified_from
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
    qualified = idx >= index_of(periods, qualified_from, 0)
    return np.where(active & qualified, base, 0.0), np.where(active & ~qualified, base, 0.0)


def _crma_group(s: Sets, nodes: Nodes, ci: int, cu: Customer | Enquiry, sale_nodes: IntArray,
                first: int) -> CrmaGroup:
    """Sale rows (from ``first``) of customer ``ci`` touching each third country."""
    by_country: dict[str, list[int]] = {}
    for k, n in enumerate(sale_nodes):
        for country in third_countries(c for st in cu.provenance.stages
                                       for c in s.classes[nodes.cls[n]].countries(st)):
            by_country.setdefault(country, []).append(first + k)
    return (ci, float(cu.provenance.max_share or 1.0),
            {c: np.array(v, dtype=np.int64) for c, v in sorted(by_country.items())})


def build_sales(s: Sets, nodes: Nodes, index: FloatArray | None = None,
                mode: DemandMode = "expected") -> Sales:
    """Sale rows with the periods their class is admitted, demand, prices and CRMA groups.

    ``index`` is the ``(commodities, T)`` index price matrix
    (:func:`~oreline.network.prices.index_prices`); ``mode`` how much of the enquiries
    the plan serves (:mod:`oreline.network.pipeline`).
    """
    from oreline.network.prices import index_prices

    periods, T = s.periods, s.T
    lines = demand_lines(s, mode, customer_demand)
    custs = lines.lines
    sale_customer: list[int] = []
    sale_node: list[int] = []
    allowed_rows: list[np.ndarray] = []
    crma: list[CrmaGroup] = []
    # policies only change verdict at the DFARS stage widening: one check per side of it
    regimes = {p >= DFARS_ALL_STAGES_FROM: p for p in reversed(periods)}
    for ci, cu in enumerate(custs):
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
    terms = price_terms(s, [(c.price, c.product) for c in custs])
    price = terms.at(index_prices(s) if index is None else index)
    mean_price = price.mean(axis=1) if T else np.zeros(len(custs))
    return Sales(
        customer=np.array(sale_customer, dtype=np.int64),
        node=np.array(sale_node, dtype=np.int64),
        allowed=np.array(allowed_rows, dtype=bool).reshape(-1, T),
        demand=lines.target, unqualified=lines.unqualified, price=price,
        penalty=np.array([penalty(float(mean_price[i]),
                                  c.shortfall_penalty.per_tonne if c.shortfall_penalty else None,
                                  c.priority) for i, c in enumerate(custs)]),
        crma=crma, ceiling=lines.ceiling, pipeline=lines, price_terms=terms,
    )
