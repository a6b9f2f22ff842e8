"""Stress appliers of the commercial events: enquiry conversion and index shocks.

Both are vector changes on the live model, like the events of
:mod:`oreline.stress.apply`:

* :class:`~oreline.stress.events.EnquiryConversion` sets an enquiry's demand rows (and
  its shortfall bounds) to its whole volume from its first possible delivery plus the
  delay when it converts, to zero when it does not;
* :class:`~oreline.stress.events.IndexShock` multiplies a commodity's index in the
  window; every indexed price moves by ``weight x index x (factor - 1)``, added to
  the costs of the purchase, take-or-pay and sale columns (discounted).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from oreline.stress.events import EnquiryConversion, IndexShock

if TYPE_CHECKING:
    from oreline.stress.apply import Changes, Occurrence, StressContext

__all__ = ["apply_enquiry", "apply_index_shock", "conversion_values", "enquiry_lines",
           "indexed_anywhere"]

#: Prefix of the drawn conversion outcome of one enquiry in an occurrence's values.
CONVERTS = "converts:"


def enquiry_lines(ctx: StressContext, ev: EnquiryConversion) -> list[int]:
    """Demand-line indices of the enquiries ``ev`` names (every enquiry when none)."""
    net = ctx.lp.net
    ids = [e.id for e in net.scenario.enquiries]
    names = ev.enquiries or ids
    return [int(net.customers.get_loc(name)) for name in names if name in ids]


def conversion_values(ctx: StressContext, ev: EnquiryConversion,
                      rng: np.random.Generator | None, q: float | None) -> dict[str, float]:
    """Per named enquiry, 1.0 when it converts, else 0.0: drawn, fixed or the q quantile."""
    pipe = ctx.lp.net.sales.pipeline
    out: dict[str, float] = {}
    for c in enquiry_lines(ctx, ev):
        p = float(pipe.probability[c]) if pipe is not None else 1.0
        if ev.converts is not None:
            won = ev.converts
        elif rng is not None:
            won = bool(rng.random() < p)
        else:
            won = p > 1.0 - (0.5 if q is None else q)
        out[f"{CONVERTS}{ctx.lp.net.customers[c]}"] = 1.0 if won else 0.0
    return out


def apply_enquiry(ctx: StressContext, occ: Occurrence, ch: Changes) -> None:
    """Demand of each named enquiry: its volume from first delivery + delay, or nothing."""
    ev = occ.event
    assert isinstance(ev, EnquiryConversion)
    net = ctx.lp.net
    pipe = net.sales.pipeline
    if pipe is None:  # pragma: no cover - every compiled network has one
        return
    delay = math.ceil(occ.values.get("delay", 0.0) / net.months - 1e-9)
    t = np.arange(ctx.T)
    for c in enquiry_lines(ctx, ev):
        won = occ.values.get(f"{CONVERTS}{net.customers[c]}", 0.0)
        demand = np.where(t >= pipe.first[c] + delay, pipe.volume[c], 0.0) * won
        rows = ctx.rows("Customer-demand", [c], t)
        ch.row_lower[rows] = demand
        ch.row_upper[rows] = demand
        ch.col_upper[ctx.cols("Customer-shortfall", [c], t)] = demand


def apply_index_shock(ctx: StressContext, occ: Occurrence, ch: Changes) -> None:
    """Every indexed price moves with the shocked index (see module docstring)."""
    ev = occ.event
    assert isinstance(ev, IndexShock)
    net = ctx.lp.net
    t = ctx.window(occ)
    if net.index is None or not len(t):
        return
    m = int(net.commodities.get_loc(ev.commodity))
    step = net.index[m, t] * (occ.values["factor"] - 1.0) * net.discount[t]  # per unit weight
    buy = net.purchases.price_terms
    if buy is not None and len(buy.premium):
        ks = np.flatnonzero(buy.weight[:, m])
        delta = (buy.weight[ks, m][:, None] * step[None, :]).ravel()
        for fam in ("Contract-buy", "Contract-deficit"):
            ch.cost[ctx.cols(fam, ks, t)] += delta  # type: ignore[arg-type]
    sell = net.sales.price_terms
    if sell is not None and len(sell.premium):
        sales = np.flatnonzero(sell.weight[net.sales.customer, m])
        w = sell.weight[net.sales.customer[sales], m]
        ch.cost[ctx.cols("Customer-sale", sales, t)] -= (w[:, None] * step[None, :]).ravel()


def indexed_anywhere(ctx: StressContext, commodity: str) -> bool:
    """Whether any purchase or sale price is indexed to ``commodity``."""
    net = ctx.lp.net
    m = int(net.commodities.get_loc(commodity))
    return any(terms is not None and bool(np.any(terms.weight[:, m]))
               for terms in (net.purchases.price_terms, net.sales.price_terms))
