"""Risk summaries of a sweep: quantiles, CVaR, shortfall odds, tornado, mitigation value."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oreline.stress.apply import occurrence
from oreline.stress.events import StressFile
from oreline.stress.runner import Sample, SweepResult, Worker

__all__ = [
    "Comparison",
    "compare_sweeps",
    "cvar",
    "summarise",
    "tornado",
]

#: Shortfall above the base plan's by more than this (t) counts as "a shortfall".
SHORT_TOL = 1e-3


def cvar(values: np.ndarray, level: float = 0.95) -> float:
    """Mean of the worst ``1 - level`` share of outcomes (lower is worse).

    Examples
    --------
    >>> cvar(np.arange(1.0, 101.0), 0.95)
    3.0
    """
    v = np.sort(np.asarray(values, dtype=float))
    k = max(1, int(np.ceil(len(v) * (1 - level) - 1e-9)))
    return float(v[:k].mean())


def summarise(result: SweepResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Headline risk figures and per-customer shortfall odds.

    Returns ``(summary, customers)``: summary has one row per statistic (base, mean,
    P5, P50, P95, CVaR95 of margin; probability of any extra shortfall; mean fill
    rate); customers has, per customer, the probability of a shortfall beyond the
    base plan's, the mean and P95 of extra shortfall, and the mean fill rate.
    """
    m = result.metrics
    base = result.base
    margin = m["margin"].to_numpy()
    extra = m["shortfall_t"] - base["shortfall_t"]
    rows = [
        ("base margin", base["margin"]), ("mean margin", float(margin.mean())),
        ("P5 margin", float(np.percentile(margin, 5))),
        ("P50 margin", float(np.percentile(margin, 50))),
        ("P95 margin", float(np.percentile(margin, 95))),
        ("CVaR95 margin", cvar(margin)),
        ("mean margin loss vs base", base["margin"] - float(margin.mean())),
        ("P(any extra shortfall)", float((extra > SHORT_TOL).mean())),
        ("mean extra shortfall t", float(extra.clip(lower=0).mean())),
        ("mean fill rate", float(m["fill_rate"].mean())),
        ("samples", float(len(m))),
    ]
    summary = pd.DataFrame(rows, columns=["statistic", "value"])
    cust = []
    for col in [c for c in m.columns if c.startswith("shortfall_t:")]:
        name = col.split(":", 1)[1]
        ex = (m[col] - base[col]).clip(lower=0)
        cust.append({"customer": name, "base_shortfall_t": base[col],
                     "p_extra_shortfall": float((ex > SHORT_TOL).mean()),
                     "mean_extra_shortfall_t": float(ex.mean()),
                     "p95_extra_shortfall_t": float(np.percentile(ex, 95)),
                     "mean_fill_rate": float(m[f"fill_rate:{name}"].mean())})
    return summary, pd.DataFrame(cust)


def tornado(stress: StressFile, worker: Worker, low: float = 0.1, high: float = 0.9
            ) -> pd.DataFrame:
    """One event at a time, with its numbers at the ``low`` and at the ``high`` quantile.

    Returns the margin change against the base plan at each end (which end is worse
    depends on the event: a low approval probability hurts, a low outage fraction
    does not), sorted worst first. An event with fixed numbers has equal ends.
    """
    rows = []
    for ev in stress.events:
        ends = {}
        for name, q in (("p10", low), ("p90", high)):
            occ = occurrence(ev, worker.ctx, None, q)
            sample = Sample(-1, f"{ev.id}:{name}", (occ,) if occ else ())
            ends[name] = worker.run(sample)["margin"] - worker.base["margin"]
        rows.append({"event": ev.id, "type": ev.type, "margin_change_p10": ends["p10"],
                     "margin_change_p90": ends["p90"],
                     "worst": min(ends["p10"], ends["p90"]),
                     "best": max(ends["p10"], ends["p90"])})
    return pd.DataFrame(rows).sort_values("worst", ignore_index=True)


@dataclass
class Comparison:
    """A mitigation against the base on the same samples, and what it costs."""

    table: pd.DataFrame
    per_sample: pd.DataFrame
    cost: pd.DataFrame | None = None


def compare_sweeps(base: SweepResult, mitigated: SweepResult,
                   cost: pd.DataFrame | None = None) -> Comparison:
    """Value of a mitigation: the same samples (same seeds) run on two scenarios.

    ``cost`` is the priced extra opening stock of the mitigation
    (:func:`oreline.stress.mitigation.extra_stock_cost`); the table reports its total
    and the mean margin gain net of it (the plan counts opening stock as free).
    """
    paid = 0.0 if cost is None else float(cost["cost"].sum())
    a = base.metrics.set_index("sample")
    b = mitigated.metrics.set_index("sample")
    common = a.index.intersection(b.index)
    diff = (b.loc[common, "margin"] - a.loc[common, "margin"]).rename("margin_gain")
    per = pd.DataFrame({"margin_base": a.loc[common, "margin"],
                        "margin_mitigated": b.loc[common, "margin"], "margin_gain": diff,
                        "shortfall_base_t": a.loc[common, "shortfall_t"],
                        "shortfall_mitigated_t": b.loc[common, "shortfall_t"]}).reset_index()
    rows = [
        ("mean margin gain", float(diff.mean())),
        ("P5 margin gain", float(np.percentile(diff, 5))),
        ("P95 margin gain", float(np.percentile(diff, 95))),
        ("mitigation cost (extra opening stock)", paid),
        ("mean net margin gain (gain - cost)", float(diff.mean()) - paid),
        ("CVaR95 margin, base", cvar(a.loc[common, "margin"].to_numpy())),
        ("CVaR95 margin, mitigated", cvar(b.loc[common, "margin"].to_numpy())),
        ("mean shortfall t, base", float(a.loc[common, "shortfall_t"].mean())),
        ("mean shortfall t, mitigated", float(b.loc[common, "shortfall_t"].mean())),
        ("base-plan margin change", mitigated.base["margin"] - base.base["margin"]),
        ("samples", float(len(common))),
    ]
    return Comparison(pd.DataFrame(rows, columns=["statistic", "value"]), per, cost)
