"""A self-contained HTML report of a plan (plotly.js inlined, no network needed)."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from oreline.origin import LABEL_LEGEND
from oreline.planner import Plan
from oreline.report.figures import (
    inventory_figure,
    production_figure,
    sales_figure,
    sankey_figure,
)

__all__ = ["render_report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1200px;color:#1f2937;padding:0 1rem}h1{margin-bottom:.2rem}
.sub{color:#6b7280;margin-top:0}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:.8rem;
margin:1rem 0}.kpi{background:#f3f4f6;border-radius:8px;padding:.7rem 1rem}
.kpi b{display:block;font-size:1.3rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.9rem}
td,th{border-bottom:1px solid #e5e7eb;padding:.3rem .7rem;text-align:right}
th{background:#f9fafb}td:first-child,th:first-child{text-align:left}section{margin:2rem 0}
"""


#: Column headers of the fill-rate table, in words (tonnes over the horizon).
_FILL_HEADERS = {"kind": "kind", "firm_t": "firm t", "expected_t": "expected t",
                 "unqualified_demand_t": "unqualified t", "served_t": "served t",
                 "shortfall_t": "shortfall t"}


def _money(x: float, cur: str) -> str:
    return f"{x / 1e6:,.1f} M {cur}"


def _table(df: pd.DataFrame, floatfmt: str = "{:,.1f}") -> str:
    if df.empty:
        return "<p><i>none</i></p>"
    return str(df.to_html(index=False, border=0, float_format=lambda v: floatfmt.format(v),
                      classes="data", escape=True))


def render_report(plan: Plan) -> str:
    """The plan as one HTML page: KPIs, shortfalls, shadow prices and four figures."""
    r = plan.results
    sc = plan.scenario
    cur = sc.currency
    names = {c.id: c.name or c.id for c in sc.commodities}
    k = r.kpis
    cards = [("Revenue", _money(k["revenue"], cur)), ("Margin", _money(k["margin"], cur)),
             ("Fill rate", f"{k['fill_rate']:.1%}"), ("Shortfall", f"{k['shortfall_t']:,.1f} t"),
             ("Purchases", _money(k["purchase_cost"], cur)),
             ("Discounted objective", _money(k["objective_discounted"], cur))]
    figs: list[tuple[str, go.Figure]] = [
        ("sankey", sankey_figure(r, names)), ("production", production_figure(r)),
        ("inventory", inventory_figure(r)), ("sales", sales_figure(r)),
    ]
    parts = [f'<section id="fig-{key}">' + fig.to_html(full_html=False, include_plotlyjs=False,
                                                       div_id=f"plot-{key}") + "</section>"
             for key, fig in figs]
    short = r.shortfalls.groupby(["customer", "cause"], as_index=False)["shortfall_t"].sum()
    fill = r.fill_rate[["customer", "kind", "firm_t", "expected_t", "unqualified_demand_t",
                        "served_t", "shortfall_t"]].rename(columns=_FILL_HEADERS)
    fill["fill rate"] = [("-" if d <= 0 else f"{v:.1%}") for d, v in
                         zip(r.fill_rate["demand_t"], r.fill_rate["fill_rate"], strict=True)]
    shadow = []
    for key, title in (("capacity", "Capacity (+1 t/period)"), ("supply", "Supply (+1 t)"),
                       ("provenance", "Relaxing a provenance rule (+1 t of a class)")):
        df = r.shadow[key].head(10)
        shadow.append(f"<h3>{html.escape(title)}</h3>{_table(df)}")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Oreline plan: {html.escape(sc.name)}</title>
<style>{_CSS}</style><script>{get_plotlyjs()}</script></head><body>
<h1>Plan: {html.escape(sc.name)}</h1>
<p class="sub">{html.escape(sc.description)}<br>{sc.horizon.periods} {sc.horizon.period}s from
{sc.horizon.start} · {r.meta['columns']:,} columns, {r.meta['rows']:,} rows · made {stamp}</p>
<div class="kpis">{''.join(f'<div class="kpi">{a}<b>{b}</b></div>' for a, b in cards)}</div>
{parts[0]}<p class="sub">{html.escape(LABEL_LEGEND)} The <code>origin_classes</code> table
decodes every class and gives its ex-china and DFARS verdicts.</p>
<section><h2>Fill rate by customer</h2>{_table(fill)}
<h2>Shortfalls by customer and cause</h2>{_table(short)}</section>
{''.join(parts[1:])}
<section><h2>Shadow prices</h2><p>Margin gained per tonne, discounted to {sc.horizon.start},
in {cur}.</p>{''.join(shadow)}</section>
<section><h2>Element balance</h2>{_table(r.balance, "{:,.4f}")}</section>
</body></html>"""
