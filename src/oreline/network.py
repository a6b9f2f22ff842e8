"""Compile a validated scenario into integer-indexed sets and arrays.

The network knows nothing of solvers. It derives the **origin classes** that can
actually reach each site (a class records, per stage, the set of countries that
contributed), the *nodes* ``(site, commodity, class)`` that stock balances are
written for, and one array-backed table per arc family: purchases, process modes,
lane flows, inventory and sales. The model builder turns these into CSC blocks.

Examples
--------
>>> from oreline.scenario import load_scenario
>>> net = compile_network(load_scenario("tiny"))
>>> net.n_periods, len(net.classes) > 1
(3, True)

"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oreline.errors import ModelError
from oreline.origin import (
    DFARS_ALL_STAGES_FROM,
    STAGES,
    OriginClass,
    policy_allows,
    third_countries,
)
from oreline.scenario.schema import Process, Scenario
from oreline.settings import Settings

__all__ = ["Network", "compile_network"]

IntArray = np.ndarray
FloatArray = np.ndarray


@dataclass
class Network:
    """Integer-indexed sets and arc tables of one scenario (see module docstring)."""

    scenario: Scenario
    periods: list[str]
    months: int
    discount: FloatArray
    sites: pd.Index
    commodities: pd.Index
    classes: list[OriginClass]
    # nodes
    node_site: IntArray
    node_com: IntArray
    node_cls: IntArray
    node_of: dict[tuple[int, int, int], int]
    initial: FloatArray
    hold_cost: FloatArray  # per node, per t per period (undiscounted)
    site_storage: FloatArray  # per site, t (inf if none)
    # purchases: one row per contract
    buy_contract: IntArray
    buy_node: IntArray
    buy_lead: IntArray
    buy_price: FloatArray
    buy_ub: FloatArray  # (contracts, T)
    buy_lb: FloatArray
    buy_top: FloatArray
    # process modes
    processes: pd.Index
    mode_process: IntArray
    mode_out_cls: IntArray
    mode_in: tuple[IntArray, IntArray, FloatArray]  # (mode, node, t per t main output)
    mode_out: tuple[IntArray, IntArray, FloatArray]
    proc_cap: FloatArray  # (processes, T), t main output per period
    proc_cost: FloatArray  # per process, per t main output
    # lanes
    arc_lane: IntArray
    arc_from: IntArray
    arc_to: IntArray
    arc_lead: IntArray
    arc_cost: FloatArray
    # sales and demand
    customers: pd.Index
    sale_customer: IntArray
    sale_node: IntArray
    sale_allowed: np.ndarray  # (sales, T) bool
    demand: FloatArray  # (customers, T)
    unqualified: FloatArray  # (customers, T) demand before qualification (not plannable)
    price: FloatArray
    penalty: FloatArray
    crma: list[tuple[int, float, dict[str, IntArray]]] = field(default_factory=list)

    @property
    def n_periods(self) -> int:
        """Number of periods."""
        return len(self.periods)

    @property
    def n_nodes(self) -> int:
        """Number of (site, commodity, class) nodes."""
        return len(self.node_site)

    def node_label(self, n: int) -> tuple[str, str, str]:
        """``(site, commodity, class label)`` of node ``n``."""
        return (str(self.sites[self.node_site[n]]), str(self.commodities[self.node_com[n]]),
                self.classes[self.node_cls[n]].label)


def _period_labels(sc: Scenario) -> list[str]:
    start = pd.Period(sc.horizon.start, freq="M")
    step = sc.horizon.months_per_period
    return [str(start + i * step) for i in range(sc.horizon.periods)]


def _index_of(periods: list[str], ym: str | None, default: int) -> int:
    """First period index whose start is >= ym (default when ym is None)."""
    if ym is None:
        return default
    return int(np.searchsorted(np.array(periods), ym, side="left"))


def _last_index(periods: list[str], ym: str | None, default: int) -> int:
    """Last period index whose start is <= ym (an inclusive end; default when None)."""
    if ym is None:
        return default
    return int(np.searchsorted(np.array(periods), ym, side="right")) - 1


def _capacity(sc: Scenario, periods: list[str], months: int) -> FloatArray:
    cap = np.zeros((len(sc.processes), len(periods)))
    for p, proc in enumerate(sc.processes):
        level = np.zeros(len(periods))
        for phase in proc.capacity:
            if not phase.enabled:
                continue
            start = _index_of(periods, phase.start, 0)
            target = phase.capacity.per_period(months)
            prev = level.copy()
            ramp = max(phase.ramp_periods, 0)
            idx = np.arange(len(periods))
            frac = np.clip((idx - start + 1) / (ramp + 1), 0.0, 1.0) if ramp else (idx >= start)
            level = np.where(idx >= start, prev + (target - prev) * frac, prev)
        cap[p] = level
    return cap


def _penalty(price: float, customer_penalty: float | None, priority: int | None) -> float:
    if customer_penalty is not None:
        return customer_penalty
    prio = 5 if priority is None else priority
    return price * (3.0 - 0.25 * (prio - 1))


def _process_modes(
    proc: Process, country: str, controlled: dict[str, bool],
    present: dict[tuple[str, str], set[OriginClass]],
) -> list[tuple[dict[str, OriginClass], OriginClass]]:
    """Each combination of input classes present at the site, with its output class."""
    ctrl_inputs = [m for m in proc.inputs if controlled[m]]
    pools = [sorted(present.get((proc.site, m), set()), key=lambda c: c.sort_key)
             for m in ctrl_inputs]
    if any(not pool for pool in pools):
        return []
    out_modes = []
    for combo in itertools.product(*pools):
        out = OriginClass(tuple(frozenset() for _ in STAGES))
        for cls in combo:
            out = out.union(cls)
        if proc.stage is not None:
            out = out.with_stage(proc.stage, country)
        out_modes.append((dict(zip(ctrl_inputs, combo, strict=True)), out))
    return out_modes


def compile_network(sc: Scenario, settings: Settings | None = None) -> Network:
    """Compile a validated scenario into a :class:`Network`.

    Raises
    ------
    ModelError
        When origin classes explode beyond ``settings.max_origin_classes`` per node group.

    """
    settings = settings or Settings.from_env()
    periods = _period_labels(sc)
    T = len(periods)
    months = sc.horizon.months_per_period
    years = np.arange(T) * months / 12.0
    discount = (1.0 + sc.discount_rate) ** (-years)
    sites = pd.Index([s.id for s in sc.sites])
    coms = pd.Index([c.id for c in sc.commodities])
    com_by_id = {c.id: c for c in sc.commodities}
    site_by_id = {s.id: s for s in sc.sites}
    controlled = {c.id: c.is_controlled for c in sc.commodities}
    untracked = OriginClass.untracked()

    # ---- reachable origin classes: fixed point over sources, lanes and processes
    present: dict[tuple[str, str], set[OriginClass]] = {}

    def add(site: str, com: str, cls: OriginClass) -> bool:
        group = present.setdefault((site, com), set())
        if cls in group:
            return False
        if len(group) >= settings.max_origin_classes:
            raise ModelError(
                f"more than {settings.max_origin_classes} origin classes of {com!r} reach site "
                f"{site!r}; merge suppliers with the same origin or raise "
                f"ORELINE_MAX_ORIGIN_CLASSES"
            )
        group.add(cls)
        return True

    def source_class(com: str, origin: dict[str, str]) -> OriginClass:
        return OriginClass.declared(origin) if controlled[com] else untracked

    active_contracts = [c for c in sc.contracts if c.enabled]
    for c in active_contracts:
        add(c.site, c.commodity, source_class(c.commodity, dict(c.origin)))
    for s in sc.initial_stock:
        add(s.site, s.commodity, source_class(s.commodity, dict(s.origin)))
    for com, ok in controlled.items():  # reagents are untracked everywhere
        if not ok:
            for site in sites:
                present.setdefault((str(site), com), set()).add(untracked)
    changed = True
    while changed:
        changed = False
        at_site: dict[str, list[tuple[str, set[OriginClass]]]] = {}
        for (site, com), group in list(present.items()):
            at_site.setdefault(site, []).append((com, group))
        for lane in sc.lanes:
            for com, group in at_site.get(lane.origin, []):
                if lane.commodities is None or com in lane.commodities:
                    for cls in list(group):
                        changed |= add(lane.destination, com, cls)
        for proc in sc.processes:
            country = site_by_id[proc.site].country
            for _, out in _process_modes(proc, country, controlled, present):
                for m in (proc.main_output, *proc.co_products):
                    changed |= add(proc.site, m, out if controlled[m] else untracked)
    classes = sorted({cls for group in present.values() for cls in group} | {untracked},
                     key=lambda c: c.sort_key)
    cls_id = {c: i for i, c in enumerate(classes)}

    # ---- nodes
    keys = sorted((int(sites.get_loc(s)), int(coms.get_loc(m)), cls_id[k])
                  for (s, m), group in present.items() for k in group)
    node_of = {key: n for n, key in enumerate(keys)}
    karr = np.array(keys, dtype=np.int64).reshape(-1, 3)
    node_site, node_com, node_cls = karr[:, 0], karr[:, 1], karr[:, 2]

    def node(site: str, com: str, cls: OriginClass) -> int:
        return node_of[(int(sites.get_loc(site)), int(coms.get_loc(com)), cls_id[cls])]

    initial = np.zeros(len(keys))
    for st in sc.initial_stock:
        initial[node(st.site, st.commodity, source_class(st.commodity, dict(st.origin)))] += (
            st.quantity.tonnes
        )
    ref_price = np.array([c.reference_price.per_tonne if c.reference_price else 0.0
                          for c in sc.commodities])
    site_hold = np.array([s.holding_cost for s in sc.sites])
    hold_cost = site_hold[node_site] * months * ref_price[node_com]
    site_storage = np.array([s.storage_capacity.tonnes if s.storage_capacity else np.inf
                             for s in sc.sites])

    # ---- purchases
    nC = len(active_contracts)
    buy_ub = np.zeros((nC, T))
    buy_lb = np.zeros((nC, T))
    buy_top = np.zeros((nC, T))
    idx = np.arange(T)
    for i, c in enumerate(active_contracts):
        lo, hi = _index_of(periods, c.start, 0), _last_index(periods, c.end, T - 1)
        on = (idx >= lo) & (idx <= hi) & (idx + c.lead_time < T)
        buy_ub[i] = np.where(on, c.max.per_period(months), 0.0)
        if c.min is not None:
            buy_lb[i] = np.where(on, c.min.per_period(months), 0.0)
        if c.take_or_pay is not None:
            buy_top[i] = np.where(on, c.take_or_pay.per_period(months), 0.0)
    contract_ids = [c.id for c in sc.contracts]
    buy_contract = np.array([contract_ids.index(c.id) for c in active_contracts], dtype=np.int64)
    buy_node = np.array([node(c.site, c.commodity, source_class(c.commodity, dict(c.origin)))
                         for c in active_contracts], dtype=np.int64)
    buy_lead = np.array([c.lead_time for c in active_contracts], dtype=np.int64)
    buy_price = np.array([c.price.per_tonne for c in active_contracts])

    # ---- process modes (one per combination of controlled input classes)
    m_in: list[tuple[int, int, float]] = []
    m_out: list[tuple[int, int, float]] = []
    mode_process: list[int] = []
    mode_out_cls: list[int] = []
    for p, proc in enumerate(sc.processes):
        country = site_by_id[proc.site].country
        for chosen, out in _process_modes(proc, country, controlled, present):
            j = len(mode_process)
            mode_process.append(p)
            mode_out_cls.append(cls_id[out])
            for m, coef in proc.inputs.items():
                m_in.append((j, node(proc.site, m, chosen.get(m, untracked)), coef / proc.yield_))
            for m, coef in ((proc.main_output, 1.0), *proc.co_products.items()):
                m_out.append((j, node(proc.site, m, out if controlled[m] else untracked), coef))

    def coo(rows: list[tuple[int, int, float]]) -> tuple[IntArray, IntArray, FloatArray]:
        a = np.array(rows, dtype=float).reshape(-1, 3)
        return a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 2]

    # ---- lane arcs, one per (lane, node at origin carrying an allowed commodity)
    arc_lane, arc_from, arc_to, arc_lead, arc_cost = [], [], [], [], []
    for li, lane in enumerate(sc.lanes):
        o = int(sites.get_loc(lane.origin))
        for n in np.flatnonzero(node_site == o):
            com = str(coms[node_com[n]])
            if lane.commodities is not None and com not in lane.commodities:
                continue
            arc_lane.append(li)
            arc_from.append(int(n))
            arc_to.append(node(lane.destination, com, classes[node_cls[n]]))
            arc_lead.append(lane.lead_time)
            ref = com_by_id[com].reference_price
            arc_cost.append(lane.cost.per_tonne + lane.tariff * (ref.per_tonne if ref else 0.0))

    # ---- sales and demand
    custs = pd.Index([c.id for c in sc.customers])
    demand = np.zeros((len(custs), T))
    unqualified = np.zeros((len(custs), T))
    sale_customer: list[int] = []
    sale_node: list[int] = []
    allowed_rows: list[np.ndarray] = []
    crma: list[tuple[int, float, dict[str, IntArray]]] = []
    # policies only change verdict at the DFARS stage widening: one check per side of it
    regimes = {p >= DFARS_ALL_STAGES_FROM: p for p in reversed(periods)}
    for ci, cu in enumerate(sc.customers):
        base = np.full(T, cu.demand.per_period(months))
        if cu.profile is not None and months == 1:
            w = np.array(cu.profile) / np.mean(cu.profile)
            base = base * w[np.array([int(p[5:7]) - 1 for p in periods])]
        for ym, q in cu.demand_by_period.items():
            if ym in periods:
                base[periods.index(ym)] = q.per_period(months)
        active = (idx >= _index_of(periods, cu.start, 0)) & (
            idx <= _last_index(periods, cu.end, T - 1))
        qualified = idx >= _index_of(periods, cu.qualified_from, 0)
        demand[ci] = np.where(active & qualified, base, 0.0)
        unqualified[ci] = np.where(active & ~qualified, base, 0.0)
        si, mi = int(sites.get_loc(cu.site)), int(coms.get_loc(cu.product))
        nodes = np.flatnonzero((node_site == si) & (node_com == mi))
        first = len(sale_node)
        for n in nodes:
            sale_customer.append(ci)
            sale_node.append(int(n))
            cls = classes[node_cls[n]]
            verdict = {rep: policy_allows(cu.provenance, cls, rep) for rep in regimes.values()}
            allowed_rows.append(np.array([verdict[regimes[p >= DFARS_ALL_STAGES_FROM]]
                                          for p in periods]))
        if cu.provenance.rule == "crma" and len(nodes):
            share = float(cu.provenance.max_share or 1.0)
            by_country: dict[str, list[int]] = {}
            for k, n in enumerate(nodes):
                for country in third_countries(c for s in cu.provenance.stages
                                               for c in classes[node_cls[n]].countries(s)):
                    by_country.setdefault(country, []).append(first + k)
            crma.append((ci, share, {c: np.array(v, dtype=np.int64)
                                     for c, v in sorted(by_country.items())}))
    price = np.array([c.price.per_tonne for c in sc.customers])
    penalty = np.array([_penalty(c.price.per_tonne,
                                 c.shortfall_penalty.per_tonne if c.shortfall_penalty else None,
                                 c.priority) for c in sc.customers])

    empty_i = np.zeros(0, dtype=np.int64)
    return Network(
        scenario=sc, periods=periods, months=months, discount=discount, sites=sites,
        commodities=coms, classes=classes, node_site=node_site, node_com=node_com,
        node_cls=node_cls, node_of=node_of, initial=initial, hold_cost=hold_cost,
        site_storage=site_storage, buy_contract=buy_contract, buy_node=buy_node,
        buy_lead=buy_lead, buy_price=buy_price, buy_ub=buy_ub, buy_lb=buy_lb, buy_top=buy_top,
        processes=pd.Index([p.id for p in sc.processes]),
        mode_process=np.array(mode_process, dtype=np.int64),
        mode_out_cls=np.array(mode_out_cls, dtype=np.int64), mode_in=coo(m_in),
        mode_out=coo(m_out), proc_cap=_capacity(sc, periods, months),
        proc_cost=np.array([p.variable_cost.per_tonne for p in sc.processes]),
        arc_lane=np.array(arc_lane, dtype=np.int64) if arc_lane else empty_i,
        arc_from=np.array(arc_from, dtype=np.int64) if arc_from else empty_i,
        arc_to=np.array(arc_to, dtype=np.int64) if arc_to else empty_i,
        arc_lead=np.array(arc_lead, dtype=np.int64) if arc_lead else empty_i,
        arc_cost=np.array(arc_cost, dtype=float),
        customers=custs, sale_customer=np.array(sale_customer, dtype=np.int64),
        sale_node=np.array(sale_node, dtype=np.int64),
        sale_allowed=np.array(allowed_rows, dtype=bool).reshape(-1, T),
        demand=demand, unqualified=unqualified, price=price, penalty=penalty, crma=crma,
    )
