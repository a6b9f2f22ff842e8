"""Array tables of a network: nodes, purchases, process modes and lane arcs.

Each builder reads the :class:`~oreline.network.sets.Sets` (and the nodes) and
returns one small frozen dataclass of aligned numpy arrays, one row per entity.
Sales and demand live in :mod:`oreline.network.sales`.

Examples
--------
>>> from oreline.scenario import load_scenario
>>> from oreline.network.sets import build_sets
>>> s = build_sets(load_scenario("tiny"), 64)
>>> nodes = build_nodes(s)
>>> len(nodes), build_purchases(s, nodes).price[:, 0].tolist()
(4, [2000.0, 1000.0])

"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oreline.network.classes import process_modes
from oreline.network.prices import PriceTerms, index_prices, price_terms
from oreline.network.sets import Sets, index_of, last_index
from oreline.origin import OriginClass

__all__ = ["Arcs", "Coo", "Modes", "Nodes", "Purchases", "build_arcs", "build_modes",
           "build_nodes", "build_purchases", "capacity"]

IntArray = np.ndarray
FloatArray = np.ndarray
#: Sparse triplets ``(mode, node, t per t of main output)``.
Coo = tuple[IntArray, IntArray, FloatArray]


@dataclass(frozen=True)
class Nodes:
    """Stock-balance nodes ``(site, commodity, class)``, sorted by that key."""

    site: IntArray
    commodity: IntArray
    cls: IntArray
    of: dict[tuple[int, int, int], int]  # (site, commodity, class) -> node
    initial: FloatArray  # t on hand at the start
    hold_cost: FloatArray  # per t per period (undiscounted)
    storage: FloatArray  # per *site*, t (inf if none)

    def __len__(self) -> int:
        return len(self.site)


def build_nodes(s: Sets) -> Nodes:
    """One node per class present at a (site, commodity), with opening stock and costs.

    The holding cost per period is the site's monthly rate x months per period x the
    commodity's reference price.
    """
    sc = s.scenario
    keys = sorted((int(s.sites.get_loc(site)), int(s.commodities.get_loc(m)), s.class_id[k])
                  for (site, m), group in s.present.items() for k in group)
    of = {key: n for n, key in enumerate(keys)}
    karr = np.array(keys, dtype=np.int64).reshape(-1, 3)
    node_site, node_com = karr[:, 0], karr[:, 1]
    initial = np.zeros(len(keys))
    for st in sc.initial_stock:
        cls = s.source_class(st.commodity, dict(st.origin))
        initial[of[s.key(st.site, st.commodity, cls)]] += st.quantity.tonnes
    ref_price = np.array([c.reference_price.per_tonne if c.reference_price else 0.0
                          for c in sc.commodities])
    site_hold = np.array([site.holding_cost for site in sc.sites])
    return Nodes(
        site=node_site, commodity=node_com, cls=karr[:, 2], of=of, initial=initial,
        hold_cost=site_hold[node_site] * s.months * ref_price[node_com],
        storage=np.array([site.storage_capacity.tonnes if site.storage_capacity else np.inf
                          for site in sc.sites]),
    )


@dataclass(frozen=True)
class Purchases:
    """One row per enabled contract; bounds are ``(contracts, T)`` in t per period."""

    contract: IntArray  # index into scenario.contracts
    node: IntArray
    lead: IntArray
    price: FloatArray  # (contracts, T), per t
    upper: FloatArray
    lower: FloatArray
    take_or_pay: FloatArray
    price_terms: PriceTerms | None = None

    def __len__(self) -> int:
        return len(self.node)


def build_purchases(s: Sets, nodes: Nodes, index: FloatArray | None = None) -> Purchases:
    """Bounds and prices of each enabled contract: zero outside its window or horizon.

    ``index`` is the ``(commodities, T)`` index price matrix that indexed prices read
    (:func:`~oreline.network.prices.index_prices` when omitted).
    """
    sc, T = s.scenario, s.T
    active = [c for c in sc.contracts if c.enabled]
    upper, lower, top = (np.zeros((len(active), T)) for _ in range(3))
    idx = np.arange(T)
    for i, c in enumerate(active):
        lo, hi = index_of(s.periods, c.start, 0), last_index(s.periods, c.end, T - 1)
        on = (idx >= lo) & (idx <= hi) & (idx + c.lead_time < T)
        upper[i] = np.where(on, c.max.per_period(s.months), 0.0)
        if c.min is not None:
            lower[i] = np.where(on, c.min.per_period(s.months), 0.0)
        if c.take_or_pay is not None:
            top[i] = np.where(on, c.take_or_pay.per_period(s.months), 0.0)
    ids = [c.id for c in sc.contracts]
    terms = price_terms(s, [(c.price, c.commodity) for c in active])
    return Purchases(
        contract=np.array([ids.index(c.id) for c in active], dtype=np.int64),
        node=np.array([nodes.of[s.key(c.site, c.commodity,
                                      s.source_class(c.commodity, dict(c.origin)))]
                       for c in active], dtype=np.int64),
        lead=np.array([c.lead_time for c in active], dtype=np.int64),
        price=terms.at(index_prices(s) if index is None else index),
        upper=upper, lower=lower, take_or_pay=top, price_terms=terms,
    )


def capacity(s: Sets) -> FloatArray:
    """Output capacity per process and period, ``(processes, T)``, phases ramped in.

    Examples
    --------
    >>> from oreline.scenario import load_scenario
    >>> from oreline.network.sets import build_sets
    >>> capacity(build_sets(load_scenario("tiny"), 64)).tolist()
    [[10.0, 10.0, 10.0]]

    """
    sc, periods = s.scenario, s.periods
    cap = np.zeros((len(sc.processes), len(periods)))
    for p, proc in enumerate(sc.processes):
        level = np.zeros(len(periods))
        for phase in proc.capacity:
            if not phase.enabled:
                continue
            start = index_of(periods, phase.start, 0)
            target = phase.capacity.per_period(s.months)
            prev = level.copy()
            ramp = max(phase.ramp_periods, 0)
            idx = np.arange(len(periods))
            frac = np.clip((idx - start + 1) / (ramp + 1), 0.0, 1.0) if ramp else (idx >= start)
            level = np.where(idx >= start, prev + (target - prev) * frac, prev)
        cap[p] = level
    return cap


@dataclass(frozen=True)
class Modes:
    """Process modes (one per combination of input classes) and per-process data."""

    process: IntArray  # per mode
    out_cls: IntArray  # per mode
    inputs: Coo  # consumed per t of main output
    outputs: Coo  # produced per t of main output
    capacity: FloatArray  # per *process*, (processes, T), t main output per period
    cost: FloatArray  # per *process*, per t main output

    def __len__(self) -> int:
        return len(self.process)


def _coo(rows: list[tuple[int, int, float]]) -> Coo:
    a = np.array(rows, dtype=float).reshape(-1, 3)
    return a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 2]


def build_modes(s: Sets, nodes: Nodes) -> Modes:
    """Each process's modes with the nodes they consume from and produce to.

    A recipe input needs ``coef / yield`` t per t of main output; outputs (main and
    co-products) carry the mode's output class when controlled, else untracked.
    """
    sc = s.scenario
    untracked = OriginClass.untracked()
    country = {site.id: site.country for site in sc.sites}
    m_in: list[tuple[int, int, float]] = []
    m_out: list[tuple[int, int, float]] = []
    mode_process: list[int] = []
    mode_out_cls: list[int] = []
    for p, proc in enumerate(sc.processes):
        for chosen, out in process_modes(proc, country[proc.site], s.controlled, s.present,
                                         s.class_id.__getitem__):
            j = len(mode_process)
            mode_process.append(p)
            # an uncontrolled main output (made from reagents only, say) is untracked
            mode_out_cls.append(s.class_id[out if s.controlled[proc.main_output] else untracked])
            for m, coef in proc.inputs.items():
                m_in.append((j, nodes.of[s.key(proc.site, m, chosen.get(m, untracked))],
                             coef / proc.yield_))
            for m, coef in ((proc.main_output, 1.0), *proc.co_products.items()):
                cls = out if s.controlled[m] else untracked
                m_out.append((j, nodes.of[s.key(proc.site, m, cls)], coef))
    return Modes(
        process=np.array(mode_process, dtype=np.int64),
        out_cls=np.array(mode_out_cls, dtype=np.int64), inputs=_coo(m_in), outputs=_coo(m_out),
        capacity=capacity(s), cost=np.array([p.variable_cost.per_tonne for p in sc.processes]),
    )


@dataclass(frozen=True)
class Arcs:
    """Lane arcs: one per (lane, node at its origin carrying an allowed commodity)."""

    lane: IntArray  # index into scenario.lanes
    source: IntArray  # node left
    target: IntArray  # node reached, same commodity and class
    lead: IntArray
    cost: FloatArray  # per t: freight plus ad valorem tariff on the reference price

    def __len__(self) -> int:
        return len(self.source)


def build_arcs(s: Sets, nodes: Nodes) -> Arcs:
    """Lane arcs with their lead time and cost per t."""
    sc = s.scenario
    com_by_id = {c.id: c for c in sc.commodities}
    rows: list[tuple[int, int, int, int, float]] = []
    for li, lane in enumerate(sc.lanes):
        o = int(s.sites.get_loc(lane.origin))
        for n in np.flatnonzero(nodes.site == o):
            com = str(s.commodities[nodes.commodity[n]])
            if lane.commodities is not None and com not in lane.commodities:
                continue
            to = nodes.of[s.key(lane.destination, com, s.classes[nodes.cls[n]])]
            ref = com_by_id[com].reference_price
            rows.append((li, int(n), to, lane.lead_time,
                         lane.cost.per_tonne + lane.tariff * (ref.per_tonne if ref else 0.0)))
    ints = np.array([r[:4] for r in rows], dtype=np.int64).reshape(-1, 4)
    return Arcs(lane=ints[:, 0].copy(), source=ints[:, 1].copy(), target=ints[:, 2].copy(),
                lead=ints[:, 3].copy(), cost=np.array([r[4] for r in rows], dtype=float))
