"""Compile a validated scenario into integer-indexed sets and arrays.

The network knows nothing of solvers. It derives the **origin classes** that can
actually reach each site (a class records, per stage, the set of countries that
contributed; :mod:`oreline.network.classes`), the labelled sets
(:mod:`oreline.network.sets`) and one array-backed table per arc family, each a
small frozen dataclass built by its own function: :class:`~oreline.network.tables.Nodes`,
:class:`~oreline.network.tables.Purchases`, :class:`~oreline.network.tables.Modes`,
:class:`~oreline.network.tables.Arcs` (:mod:`oreline.network.tables`) and
:class:`~oreline.network.sales.Sales` (:mod:`oreline.network.sales`) and
:class:`~oreline.network.opening.Opening` (:mod:`oreline.network.opening`: arrivals in
transit, open orders, stock targets). The model
builder turns these into CSC blocks.

Examples
--------
>>> from oreline.scenario import load_scenario
>>> net = compile_network(load_scenario("tiny"))
>>> net.n_periods, len(net.classes) > 1, len(net.purchases), len(net.sales)
(3, True, 2, 4)

"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oreline.network.opening import Opening, build_opening, reserve_orders
from oreline.network.pipeline import DemandMode
from oreline.network.prices import index_prices
from oreline.network.sales import Sales, build_sales
from oreline.network.sets import build_sets
from oreline.network.tables import (
    Arcs,
    Modes,
    Nodes,
    Purchases,
    build_arcs,
    build_modes,
    build_nodes,
    build_purchases,
)
from oreline.origin import OriginClass
from oreline.scenario.schema import Customer, Enquiry, Scenario
from oreline.settings import Settings

__all__ = ["Network", "compile_network"]


@dataclass(frozen=True)
class Network:
    """Labelled sets and array tables of one scenario (see module docstring)."""

    scenario: Scenario
    periods: list[str]
    months: int
    discount: np.ndarray  # per period, to the first period
    sites: pd.Index
    commodities: pd.Index
    classes: list[OriginClass]
    processes: pd.Index
    customers: pd.Index
    nodes: Nodes
    purchases: Purchases
    modes: Modes
    arcs: Arcs
    sales: Sales
    opening: Opening
    index: np.ndarray | None = None  # (commodities, T) index price per t
    demand_mode: DemandMode = "expected"

    @property
    def demand_lines(self) -> tuple[Customer | Enquiry, ...]:
        """The model's demand lines ("customers"): the customers, then the enquiries."""
        return (*self.scenario.customers, *self.scenario.enquiries)

    @property
    def n_periods(self) -> int:
        """Number of periods."""
        return len(self.periods)

    @property
    def n_nodes(self) -> int:
        """Number of (site, commodity, class) nodes."""
        return len(self.nodes.site)

    def node_label(self, n: int) -> tuple[str, str, str]:
        """``(site, commodity, class label)`` of node ``n``."""
        nodes = self.nodes
        return (str(self.sites[nodes.site[n]]), str(self.commodities[nodes.commodity[n]]),
                self.classes[nodes.cls[n]].label)


def compile_network(sc: Scenario, settings: Settings | None = None,
                    demand: DemandMode = "expected") -> Network:
    """Compile a validated scenario into a :class:`Network`.

    ``demand`` says how much of the sales pipeline the plan serves: ``firm`` (contracts
    only), ``expected`` (contracts plus probability-weighted enquiries, the default) or
    ``all`` (every enquiry as if converted); see :mod:`oreline.network.pipeline`.

    Raises
    ------
    ModelError
        When origin classes explode beyond ``settings.max_origin_classes`` per node group.

    """
    settings = settings or Settings.from_env()
    s = build_sets(sc, settings.max_origin_classes)
    nodes = build_nodes(s)
    opening = build_opening(s, nodes)
    index = index_prices(s)
    return Network(
        scenario=sc, periods=s.periods, months=s.months, discount=s.discount, sites=s.sites,
        commodities=s.commodities, classes=s.classes,
        processes=pd.Index([p.id for p in sc.processes]),
        customers=pd.Index([c.id for c in (*sc.customers, *sc.enquiries)]),
        nodes=nodes, purchases=reserve_orders(s, build_purchases(s, nodes, index), opening),
        modes=build_modes(s, nodes), arcs=build_arcs(s, nodes),
        sales=build_sales(s, nodes, index, demand), opening=opening, index=index,
        demand_mode=demand,
    )
