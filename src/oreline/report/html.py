"""A self-contained HTML report of a plan (plotly.js inlined, no network needed).

Numbers go through :mod:`oreline.report.fmt`, the formatting module of the server's
pages too: units, thousands separators, percentages, column headers in words, no
``-0.0000``, and tables that say when rows were left out (every row is in the CSV
files written beside the report).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from oreline.origin import LABEL_LEGEND
from oreline.planner import Plan
from oreline.report import fmt
from oreline.report.figures import (
    display_names,
    inventory_figure,
    origin_colours,
    production_figure,
    sales_figure,
    sankey_figure,
)

__all__ = ["render_report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1200px;color:#1f2937;padding:0 1rem}h1{margin-bottom:.2rem}
.sub{color:#6b7280;margin-top:0}.note{color:#6b7280;font-size:.9rem}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(175px,1fr));gap:.8rem;
margin:1rem 0}.kpi{background:#f3f4f6;border-radius:8px;padding:.7rem 1rem}
.kpi b{display:block;font-size:1.2rem;white-space:nowrap}
table{border-collapse:collapse;margin:.5rem 0 .5rem;font-size:.9rem}
td,th{border-bottom:1px solid #e5e7eb;padding:.3rem .7rem;text-align:left;vertical-align:top}
th{background:#f9fafb}td.num{text-align:right;font-variant-numeric:tabular-nums;
white-space:nowrap}section{margin:2rem 0}.none{color:#6b7280;font-style:italic}
.truncated{color:#92400e;font-size:.85rem}.legend{font-size:.85rem;margin:.3rem 0}
.swatch{display:inline-block;margin:.15rem .8rem .15rem 0;white-space:nowrap}
.swatch i{display:inline-block;width:.9rem;height:.9rem;border-radius:2px;margin-right:.3rem;
vertical-align:-2px}
"""

#: Shadow-price tables: key in ``results.shadow``, title, and what "none" means there.
_SHADOW = (
    ("capacity", "Capacity (+1 t per period of a process)",
     "no process capacity limits the plan: one more tonne of capacity adds nothing"),
    ("supply", "Supply (+1 t from a contract)",
     "no contract's maximum limits the plan"),
    ("provenance", "Relaxing a provenance rule (+1 t of an origin class)",
     "no customer's provenance rule costs margin"),
    ("crma", "The CRMA share cap (+1 percentage point)",
     "no CRMA share cap binds"),
)
_SHADOW_ROWS = 15


def _table(df: pd.DataFrame, *, limit: int = 200, note: str = "", empty: str = "none",
           names: dict[str, str] | None = None, digits: int | None = None) -> str:
    """``df`` as an HTML table formatted by :func:`oreline.report.fmt.table`."""
    if names:
        df = df.assign(**{c: df[c].map(lambda v: names.get(v, v)) for c in
                          ("customer", "commodity", "product", "site") if c in df})
    t = fmt.table(df, limit, digits=digits)
    if t.total == 0:
        return f'<p class="none">{html.escape(empty)}</p>'
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.headers)
    body = []
    for row, raw in zip(t.rows, t.raw, strict=True):
        cells = "".join(
            f'<td class="num">{html.escape(c)}</td>' if isinstance(v, int | float)
            and not isinstance(v, bool) else f"<td>{html.escape(c)}</td>"
            for c, v in zip(row, raw, strict=True))
        body.append(f"<tr>{cells}</tr>")
    out = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    if t.truncated:
        out += (f'<p class="truncated">Showing {fmt.number(len(t.rows), 0)} of '
                f"{fmt.number(t.total, 0)} rows{'; ' + html.escape(note) if note else ''}."
                "</p>")
    return out


def _kpis(plan: Plan) -> str:
    k = plan.results.kpis
    cur = plan.scenario.currency
    cards = [("Revenue", fmt.money(k["revenue"], cur)), ("Margin", fmt.money(k["margin"], cur)),
             ("Fill rate", fmt.percent(k["fill_rate"])),
             ("Shortfall", fmt.tonnes(k["shortfall_t"])),
             ("Purchases", fmt.money(k["purchase_cost"], cur)),
             ("Discounted objective", fmt.money(k["objective_discounted"], cur))]
    return "".join(f'<div class="kpi">{html.escape(a)}<b>{html.escape(b)}</b></div>'
                   for a, b in cards)


def _legend(plan: Plan) -> str:
    swatches = "".join(f'<span class="swatch"><i style="background:{colour}"></i>'
                       f"{html.escape(cls)}</span>"
                       for cls, colour in origin_colours(plan.results).items())
    return (f'<div class="legend" id="sankey-legend"><b>Link colour = origin class</b> '
            f"(countries of mined&gt;separated&gt;refined&gt;melted&gt;produced): {swatches}"
            f'</div><p class="note">{html.escape(LABEL_LEGEND)} The '
            "<code>origin_classes.csv</code> table decodes every class and gives its "
            "ex-china and DFARS verdicts.</p>")


def _demand(plan: Plan, names: dict[str, str]) -> str:
    r = plan.results
    fill = r.fill_rate.assign(fill_rate=r.fill_rate["fill_rate"].where(
        r.fill_rate["demand_t"] > 0))
    fill = fill[["customer", "kind", "firm_t", "expected_t", "unqualified_demand_t",
                 "served_t", "shortfall_t", "fill_rate"]]
    short = r.shortfalls.groupby(["customer", "cause"], as_index=False)["shortfall_t"].sum()
    return (f"<section><h2>Demand and fill rate by customer</h2>"
            f'<p class="note">Tonnes over the horizon; a fill rate of – means no demand.</p>'
            f"{_table(fill, names=names)}<h2>Shortfalls by customer and cause</h2>"
            f"{_table(short, names=names, empty='none: every customer is served in full')}"
            "</section>")


def _shadow(plan: Plan) -> str:
    sc = plan.scenario
    parts = []
    for key, title, empty in _SHADOW:
        df = plan.results.shadow.get(key)
        if df is None:
            continue
        df = df.sort_values("value_per_t", ascending=False, ignore_index=True) \
            if "value_per_t" in df else df
        parts.append(f"<h3>{html.escape(title)}</h3>" + _table(
            df, limit=_SHADOW_ROWS, empty=f"none: {empty}",
            note=f"the highest first; every row is in shadow_{key}.csv"))
    return (f"<section><h2>Shadow prices</h2><p class=\"note\">Margin gained per tonne, "
            f"discounted to {html.escape(sc.horizon.start)}, in "
            f"{html.escape(sc.currency)}.</p>{''.join(parts)}</section>")


def _balance(plan: Plan) -> str:
    bal = plan.results.balance
    numeric = bal.select_dtypes("number")
    moving = bal[(numeric.abs() > 5e-7).any(axis=1)]
    left = len(bal) - len(moving)
    note = (f" {left} elements with no flow in this plan are left out." if left else "")
    return (f"<section><h2>Element balance</h2><p class=\"note\">Tonnes of each element over "
            f"the horizon; the imbalance is zero up to the solver's tolerance.{note}</p>"
            f"{_table(moving, limit=100, digits=3)}</section>")


def render_report(plan: Plan) -> str:
    """The plan as one HTML page: KPIs, demand, shortfalls, shadow prices and four figures."""
    r = plan.results
    sc = plan.scenario
    names = display_names(sc)
    figs: list[tuple[str, go.Figure]] = [
        ("sankey", sankey_figure(r, names)), ("production", production_figure(r)),
        ("inventory", inventory_figure(r, names)), ("sales", sales_figure(r, names)),
    ]
    parts = [f'<section id="fig-{key}">' + fig.to_html(full_html=False, include_plotlyjs=False,
                                                       div_id=f"plot-{key}") + "</section>"
             for key, fig in figs]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    size = (f"{fmt.number(int(r.meta['columns']), 0)} columns, "  # type: ignore[call-overload]
            f"{fmt.number(int(r.meta['rows']), 0)} rows")  # type: ignore[call-overload]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Oreline plan: {html.escape(sc.name)}</title>
<style>{_CSS}</style><script>{get_plotlyjs()}</script></head><body>
<h1>Plan: {html.escape(sc.name)}</h1>
<p class="sub">{html.escape(sc.description)}<br>{sc.horizon.periods} {sc.horizon.period}s from
{sc.horizon.start} · {size} · made {stamp}</p>
<div class="kpis">{_kpis(plan)}</div>
{parts[0]}{_legend(plan)}
{_demand(plan, names)}
{''.join(parts[1:])}
{_shadow(plan)}
{_balance(plan)}
</body></html>"""
