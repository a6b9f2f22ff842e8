"""Sample event templates into occurrences and turn them into vector changes.

Nothing here rebuilds a model: an occurrence edits copies of the LP's bound and
cost vectors; :class:`Changes` then lists only the entries that differ from the
base, which the runner sends to the live HiGHS model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from oreline.model.families import ConstraintFamily, VariableFamily
from oreline.model.matrix import LinearProgram
from oreline.origin import STAGES, UNKNOWN
from oreline.stress.events import (
    DemandShock,
    Dist,
    EnquiryConversion,
    Event,
    ExportControl,
    IndexShock,
    LaneClosure,
    PriceShock,
    ProcessOutage,
    QualificationDelay,
    SupplierOutage,
    TariffChange,
)
from oreline.stress.market import apply_enquiry, apply_index_shock, conversion_values

__all__ = ["Changes", "Occurrence", "StressContext", "occurrence"]

#: Working days per month, to turn a licence delay into periods.
WORKING_DAYS_PER_MONTH = 21.0
#: Share of a controlled element that puts a commodity under an element-based control.
CONTROL_THRESHOLD = 0.001


@dataclass(frozen=True)
class Occurrence:
    """A concrete event: which template, in which periods, with which values."""

    event: Event
    start: int
    stop: int
    values: dict[str, float]
    approvals: tuple[bool, ...] | None = None

    @property
    def label(self) -> str:
        """Short description for tables, e.g. ``lynas-outage[fraction=0.7] 12-15``."""
        vals = ",".join(f"{k}={v:.3g}" for k, v in sorted(self.values.items()))
        return f"{self.event.id}[{vals}] {self.start}-{self.stop}"


@dataclass
class Changes:
    """Edited copies of the LP vectors."""

    col_lower: np.ndarray
    col_upper: np.ndarray
    cost: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray


@dataclass
class StressContext:
    """Index maps from scenario names to columns and rows of one compiled LP."""

    lp: LinearProgram
    contract_k: dict[str, int] = field(default_factory=dict)
    supplier_k: dict[str, list[int]] = field(default_factory=dict)
    contract_country: dict[int, str] = field(default_factory=dict)
    contract_commodity: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sc = self.lp.net.scenario
        for k, ci in enumerate(self.lp.net.purchases.contract):
            c = sc.contracts[int(ci)]
            self.contract_k[c.id] = k
            self.supplier_k.setdefault(c.supplier, []).append(k)
            declared = [c.origin[s] for s in STAGES if s in c.origin]
            self.contract_country[k] = declared[-1] if declared else UNKNOWN
            self.contract_commodity[k] = c.commodity

    @property
    def T(self) -> int:
        """Number of periods."""
        return self.lp.net.n_periods

    def fresh(self) -> Changes:
        """Copies of the base vectors to edit."""
        lp = self.lp
        return Changes(lp.col_lower.copy(), lp.col_upper.copy(), lp.cost.copy(),
                       lp.row_lower.copy(), lp.row_upper.copy())

    def window(self, occ: Occurrence) -> np.ndarray:
        """Periods of an occurrence as an index array."""
        return np.arange(max(occ.start, 0), min(occ.stop, self.T))

    def cols(self, family: VariableFamily, entities: list[int] | np.ndarray, periods: np.ndarray
             ) -> np.ndarray:
        """Columns of some entities of a family in some periods (flattened)."""
        b = self.lp.variables[family]
        e = np.asarray(entities, dtype=np.int64)
        return np.asarray(b.cols(e[:, None], periods[None, :])).ravel()

    def rows(self, family: ConstraintFamily, entities: list[int] | np.ndarray, periods: np.ndarray
             ) -> np.ndarray:
        """Rows of some entities of a family in some periods (flattened)."""
        off = self.lp.row_offset[family]
        e = np.asarray(entities, dtype=np.int64)
        out: np.ndarray = (off + e[:, None] * self.T + periods[None, :]).ravel()
        return out

    # ------------------------------------------------------------------ appliers
    def apply(self, occurrences: list[Occurrence]) -> Changes:
        """Apply occurrences in order to fresh copies of the base vectors."""
        ch = self.fresh()
        for occ in occurrences:
            _APPLY[type(occ.event)](self, occ, ch)
        return ch

    def _controlled(self, ev: ExportControl) -> list[int]:
        sc = self.lp.net.scenario
        coms = set(ev.commodities)
        for c in sc.commodities:
            fr = c.element_fractions
            if any(fr.get(el, 0.0) >= CONTROL_THRESHOLD for el in ev.elements):
                coms.add(c.id)
        return [k for k, country in self.contract_country.items()
                if country == ev.country and self.contract_commodity[k] in coms]


def _export(ctx: StressContext, occ: Occurrence, ch: Changes) -> None:
    ev = occ.event
    assert isinstance(ev, ExportControl)
    ks = ctx._controlled(ev)
    t = ctx.window(occ)
    if not ks or not len(t):
        return
    cols = ctx.cols("Contract-buy", ks, t)
    if ev.mode == "ban":
        ch.col_upper[cols] = 0.0
    elif ev.mode == "quota":
        assert ev.quota is not None
        ch.col_upper[cols] = np.minimum(ch.col_upper[cols],
                                        ev.quota.per_period(ctx.lp.net.months))
    else:
        delay = math.ceil(occ.values.get("delay_working_days", 0.0) / WORKING_DAYS_PER_MONTH
                          / ctx.lp.net.months - 1e-9)
        blocked = t < t[0] + delay
        if occ.approvals is not None:
            blocked |= ~np.asarray(occ.approvals, dtype=bool)[: len(t)]
            scale = np.where(blocked, 0.0, 1.0 / ev.planned_approval)
        else:
            scale = np.where(blocked, 0.0, occ.values.get("approval_probability", 1.0)
                             / ev.planned_approval)
        ch.col_upper[cols] = ch.col_upper[cols] * np.tile(scale, len(ks))
    ch.col_lower[cols] = np.minimum(ch.col_lower[cols], ch.col_upper[cols])
    _relieve_take_or_pay(ctx, ks, t, ch)


def _relieve_take_or_pay(ctx: StressContext, ks: list[int], t: np.ndarray, ch: Changes) -> None:
    """Nothing is owed under take-or-pay for what the supplier cannot deliver."""
    buy = ctx.cols("Contract-buy", ks, t)
    rows = ctx.rows("Contract-takeorpay", ks, t)
    owed = np.minimum(ch.row_lower[rows], ch.col_upper[buy])
    ch.row_lower[rows] = owed
    deficit = ctx.cols("Contract-deficit", ks, t)
    ch.col_upper[deficit] = np.minimum(ch.col_upper[deficit], owed)


def _supplier(ctx: StressContext, occ: Occurrence, ch: Changes) -> None:
    ev = occ.event
    assert isinstance(ev, SupplierOutage)
    ks = [ctx.contract_k[ev.contract]] if ev.contract else ctx.supplier_k[ev.supplier or ""]
    t = ctx.window(occ)
    cols = ctx.cols("Contract-buy", ks, t)
    ch.col_upper[cols] *= 1.0 - occ.values["fraction"]
    ch.col_lower[cols] = np.minimum(ch.col_lower[cols], ch.col_upper[cols])
    _relieve_take_or_pay(ctx, ks, t, ch)


def _process(ctx: StressContext, occ: Occurrence, ch: Changes) -> None:
    ev = occ.event
    assert isinstance(ev, ProcessOutage)
    p = int(ctx.lp.net.processes.get_loc(ev.process))
    rows = ctx.rows("Process-capacity", [p], ctx.window(occ))
    if ev.cap is not None:
        ch.row_upper[rows] = np.minimum(ch.row_upper[rows], ev.cap.per_period(ctx.lp.net.months))
    else:
        ch.row_upper[rows] *= 1.0 - occ.values["fraction"]


def _customers(ctx: StressContext, ids: list[str], group: str | None) -> list[int]:
    sc = ctx.lp.net.scenario
    return [i for i, c in enumerate(sc.customers)
            if c.id in ids or (group is not None and c.group == group)]


def _demand(ctx: StressContext, occ: Occurrence, ch: Changes) -> None:
    ev = occ.event
    assert isinstance(ev, DemandShock)
    cs = _customers(ctx, ev.customers, ev.group)
    t = ctx.window(occ)
    rows = ctx.rows("Customer-demand", cs, t)
    f = occ.values["factor"]
    ch.row_lower[rows] *= f
    ch.row_upper[rows] *= f
    ch.col_upper[ctx.cols("Customer-shortfall", cs, t)] *= f


def _price(ctx: StressContext, occ: Occurrence, ch: Changes) -> None:
    ev = occ.event
    assert isinstance(ev, PriceShock)
    t = ctx.window(occ)
    f = occ.values["factor"]
    if ev.applies_to in ("purchases", "both"):
        ks = [k for k, m in ctx.contract_commodity.items() if m == ev.commodity]
        fams: tuple[VariableFamily, ...] = ("Contract-buy", "Contract-deficit")
        for fam in fams:
            ch.cost[ctx.cols(fam, ks, t)] *= f
    if ev.applies_to in ("sales", "both"):
        net = ctx.lp.net
        lines = net.demand_lines
        sales = [s for s, c in enumerate(net.sales.customer)
                 if lines[int(c)].product == ev.commodity]
        ch.cost[ctx.cols("Customer-sale", sales, t)] *= f


def _lane_arcs(ctx: StressContext, lane: str) -> np.ndarray:
    ids = [ln.id for ln in ctx.lp.net.scenario.lanes]
    return np.flatnonzero(ctx.lp.net.arcs.lane == ids.index(lane))


def _closure(ctx: StressContext, occ: Occurrence, ch: Changes) -> None:
    ev = occ.event
    assert isinstance(ev, LaneClosure)
    ch.col_upper[ctx.cols("Lane-flow", _lane_arcs(ctx, ev.lane), ctx.window(occ))] = 0.0


def _tariff(ctx: StressContext, occ: Occurrence, ch: Changes) -> None:
    ev = occ.event
    assert isinstance(ev, TariffChange)
    net = ctx.lp.net
    lane = next(ln for ln in net.scenario.lanes if ln.id == ev.lane)
    arcs = _lane_arcs(ctx, ev.lane)
    t = ctx.window(occ)
    ref = {c.id: (c.reference_price.per_tonne if c.reference_price else 0.0)
           for c in net.scenario.commodities}
    com_of_arc = net.nodes.commodity[net.arcs.source]
    per_t = np.array([lane.cost.per_tonne + occ.values["tariff"]
                      * ref[str(net.commodities[com_of_arc[a]])] for a in arcs])
    cols = ctx.cols("Lane-flow", arcs, t)
    ch.cost[cols] = (per_t[:, None] * net.discount[t][None, :]).ravel()


def _qualification(ctx: StressContext, occ: Occurrence, ch: Changes) -> None:
    ev = occ.event
    assert isinstance(ev, QualificationDelay)
    net = ctx.lp.net
    c = int(net.customers.get_loc(ev.customer))
    cust = net.scenario.customers[c]
    planned = cust.qualified_from or cust.start or net.periods[0]
    import pandas as pd

    offset = (pd.Period(planned, freq="M") - pd.Period(net.periods[0], freq="M")).n
    first = offset // net.months
    t = np.arange(max(first, 0), max(min(first + round(occ.values["periods"]), ctx.T), 0))
    rows = ctx.rows("Customer-demand", [c], t)
    ch.row_lower[rows] = 0.0
    ch.row_upper[rows] = 0.0
    ch.col_upper[ctx.cols("Customer-shortfall", [c], t)] = 0.0


_APPLY = {
    ExportControl: _export, SupplierOutage: _supplier, ProcessOutage: _process,
    DemandShock: _demand, PriceShock: _price, LaneClosure: _closure, TariffChange: _tariff,
    QualificationDelay: _qualification, EnquiryConversion: apply_enquiry,
    IndexShock: apply_index_shock,
}

def _magnitudes(ev: Event) -> tuple[str, ...]:
    """The numbers of an event that are drawn (distributions) or fixed."""
    if isinstance(ev, ExportControl):
        return ("approval_probability", "delay_working_days") if ev.mode == "licence" else ()
    if isinstance(ev, SupplierOutage):
        return ("fraction",)
    if isinstance(ev, ProcessOutage):
        return ("fraction",) if ev.fraction is not None else ()
    if isinstance(ev, DemandShock | PriceShock | IndexShock):
        return ("factor",)
    if isinstance(ev, EnquiryConversion):
        return ("delay",)
    if isinstance(ev, TariffChange):
        return ("tariff",)
    if isinstance(ev, QualificationDelay):
        return ("periods",)
    return ()


def occurrence(ev: Event, ctx: StressContext, rng: np.random.Generator | None,
               q: float | None = None) -> Occurrence | None:
    """A concrete occurrence of ``ev``: sampled with ``rng``, or at quantile ``q``.

    With ``rng`` the event happens with its yearly probability over the horizon
    (``None`` when it does not); with ``q`` it always happens, its numbers at the
    ``q`` quantile (0.5 for named deterministic cases, 0.1 and 0.9 for tornado bars).
    """
    net = ctx.lp.net
    T = ctx.T
    years = T * net.months / 12.0
    if rng is not None and ev.probability < 1.0:
        chance = ev.probability if ev.per == "horizon" else 1.0 - (1.0 - ev.probability) ** years
        if rng.random() >= chance:
            return None

    def draw(d: Dist) -> float:
        return d.sample(rng) if rng is not None else d.quantile(0.5 if q is None else q)

    if isinstance(ev.start, str):
        start = int(np.searchsorted(np.asarray(net.periods), ev.start))
    elif isinstance(ev.start, Dist):
        start = int(draw(ev.start) // net.months)
    elif rng is not None and ev.probability < 1.0:
        start = int(rng.integers(0, T))
    else:
        start = 0
    stop = T if ev.duration is None else start + max(1, math.ceil(draw(ev.duration)))
    values = {name: draw(getattr(ev, name)) for name in _magnitudes(ev)}
    if isinstance(ev, EnquiryConversion):
        values.update(conversion_values(ctx, ev, rng, q))
    approvals = None
    if isinstance(ev, ExportControl) and ev.mode == "licence" and rng is not None:
        p = values.get("approval_probability", 1.0)
        approvals = tuple(bool(a) for a in rng.random(max(stop - start, 0)) < p)
    return Occurrence(ev, start, stop, values, approvals)
