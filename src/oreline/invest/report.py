"""``invest.html`` (self-contained, plotly.js inlined) and the tables ``--out`` writes.

The page shows the decision timeline, the NPV distribution of every alternative, the
stochastic-programming values, break-even capex, budget shadow values, the
out-of-sample check and the flagged (⚑) numbers of the options the answer rests on.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from pydantic import BaseModel

from oreline.errors import ConfigError
from oreline.invest.analysis import Analysis, analysis_tables
from oreline.invest.evaluate import distribution
from oreline.report.export import write_folder, write_tables
from oreline.report.html import _CSS
from oreline.scenario import Scenario
from oreline.scenario.investment import Money

__all__ = [
    "FORMATS",
    "check_formats",
    "flagged_numbers",
    "money",
    "npv_figure",
    "render_invest_report",
    "timeline_figure",
    "write_invest_outputs",
]

_EXTRA_CSS = """table.flags{font-size:.8rem}
table.flags td,table.flags th{text-align:left;vertical-align:top}
table.flags td:nth-child(4){max-width:640px}@media print{section{break-inside:avoid}}
.kpi.wide{grid-column:span 2}"""

#: Table formats ``--format`` accepts (CSV is always written).
FORMATS = ("csv", "parquet", "xlsx")


def check_formats(formats: Iterable[str]) -> list[str]:
    """The table formats asked for, checked.

    Raises
    ------
    ConfigError
        For a format other than csv, parquet or xlsx.
    """
    out = []
    for f in formats:
        if f not in FORMATS:
            raise ConfigError(f"--format {f!r} is not known; use csv, parquet or xlsx "
                              "(give --format several times for several)")
        out.append(f)
    return out


def money(x: float | None, cur: str) -> str:
    """Money for people: ``65.19 M USD``, ``22,500 USD``, ``-`` for none."""
    if x is None or x != x:
        return "-"
    if abs(x) >= 1e5:
        return f"{x / 1e6:,.2f} M {cur}"
    return f"{x:,.0f} {cur}"


def _month(ym: str) -> str:
    return f"{ym}-01"


def timeline_figure(a: Analysis) -> go.Figure:
    """One line per decision: lead time (dotted) then in service to the horizon end."""
    d = a.run.decisions
    periods = a.run.problem.lp.net.periods
    fig = go.Figure()
    for i, row in enumerate(d.itertuples()):
        label = f"{row.option} x{row.modules} ({row.scenario_share:.0%} of scenarios)"
        fig.add_scatter(x=[_month(row.decide), _month(row.in_service)], y=[label, label],
                        mode="lines+markers", line={"dash": "dot", "width": 3},
                        name="lead time", showlegend=i == 0, legendgroup="lead",
                        marker={"color": "#9ca3af"}, line_color="#9ca3af")
        fig.add_scatter(x=[_month(row.in_service), _month(periods[-1])], y=[label, label],
                        mode="lines", line={"width": 12}, line_color="#2563eb",
                        name="in service", showlegend=i == 0, legendgroup="service")
    fig.update_layout(title="Decision timeline: decided, lead time, in service",
                      height=160 + 50 * max(1, len(d)), xaxis={"type": "date"},
                      margin={"l": 260})
    return fig


def npv_figure(a: Analysis) -> go.Figure:
    """Box plot of the NPV over the scenarios, one box per alternative (M)."""
    cur = a.run.problem.scenario.currency
    fig = go.Figure()
    alts = a.alternatives or []
    if not alts:
        fig.add_box(x=a.run.npv / 1e6, name="recommended", boxpoints="all")
    for alt in reversed(alts):
        fig.add_box(x=alt.npv / 1e6, name=alt.label, boxpoints="all", jitter=0.3,
                    boxmean=True, orientation="h")
    fig.update_layout(title=f"NPV over the scenarios, per alternative (M {cur}; the "
                            "dashed line is the mean)", showlegend=False,
                      height=160 + 55 * max(1, len(alts)), margin={"l": 300},
                      xaxis_title=f"NPV (M {cur})")
    return fig


def flagged_numbers(sc: Scenario) -> pd.DataFrame:
    """Every option field whose source is flagged ⚑ (an assumption or a computation)."""
    rows = []
    for o in sc.options:
        src = o.source
        items: Iterable[tuple[str, str]] = (src.items() if isinstance(src, dict)
                                            else [("all", str(src))] if src else [])
        for fld, text in items:
            if "⚑" in str(text):
                rows.append({"option": o.id, "field": fld, "value": _value(o, fld),
                             "source": str(text)})
    return pd.DataFrame(rows, columns=["option", "field", "value", "source"])


def _value(option: object, fld: str) -> str:
    """An option's field as a person reads it (``24.00 M AUD``, ``12``)."""
    v = getattr(option, fld, None)
    if v is None:
        return ""
    if isinstance(v, Money):
        per = f"/{v.per}" if v.per else ""
        return money(v.amount, v.currency) + per
    if isinstance(v, list):
        return "; ".join(_value_item(x) for x in v)
    return str(v)


def _value_item(x: object) -> str:
    if isinstance(x, BaseModel):
        d = x.model_dump(mode="json", exclude_defaults=True)
        return " ".join(str(val) if not isinstance(val, dict) else
                        ", ".join(f"{k} {w}" for k, w in val.items()) for val in d.values())
    return str(x)


def _html_table(df: pd.DataFrame, classes: str = "data") -> str:
    if df.empty:
        return "<p><i>none</i></p>"
    return str(df.to_html(index=False, border=0, escape=True, na_rep="-", classes=classes))


def _options_view(a: Analysis) -> pd.DataFrame:
    cur = a.run.problem.scenario.currency
    rows = []
    for alt in a.alternatives:
        d = alt.distribution
        rows.append({"alternative": alt.label, "E[NPV]": money(d.mean, cur),
                     "P5": money(d.p5, cur), "P50": money(d.p50, cur),
                     "P95": money(d.p95, cur), "CVaR 95 %": money(d.cvar, cur),
                     "mean regret": money(float(alt.regret.mean()), cur),
                     "max regret": money(float(alt.regret.max()), cur),
                     "within budget and rules": "yes" if alt.within_limits else "no"})
    return pd.DataFrame(rows)


def _breakeven_view(a: Analysis) -> pd.DataFrame:
    return pd.DataFrame([{"option": b.option, "chosen now": "yes" if b.chosen else "no",
                          "capex per module": money(b.capex, b.currency),
                          "break-even capex": money(b.break_even, b.currency),
                          "reading": b.describe()} for b in a.break_evens])


def _values_view(a: Analysis) -> pd.DataFrame:
    t = analysis_tables(a)["values"]
    return pd.DataFrame({"figure": t["figure"],
                         "value": [money(v, u) if u != "per unit of CVaR" else
                                   ("-" if v is None or v != v else f"{v:,.2f}")
                                   for v, u in zip(t["value"], t["unit"], strict=True)],
                         "note": t["note"]})


def _cards(a: Analysis) -> list[tuple[str, str]]:
    run, cur = a.run, a.run.problem.scenario.currency
    d = distribution(run.npv, run.problem.probability)
    cards = [("Expected NPV", money(d.mean, cur)), ("P5 / P95", f"{money(d.p5, cur)} / "
                                                              f"{money(d.p95, cur)}"),
             ("CVaR 95 %", money(d.cvar, cur))]
    if run.values is not None:
        cards += [("EVPI", money(run.values.evpi, cur)), ("VSS", money(run.values.vss, cur))]
    if a.flexibility is not None:
        cards.append(("Value of flexibility", money(a.flexibility.value, cur)))
    if a.oos is not None:
        o = a.oos
        cards.append((f"Out of sample ({o.n}), 95 % CI",
                      f"{money(o.mean - o.half_width, cur)} to "
                      f"{money(o.mean + o.half_width, cur)}"))
    if a.gap is not None:
        cards.append(("Optimality gap, 95 % bound", money(a.gap.upper, cur)))
    return cards


def render_invest_report(a: Analysis) -> str:
    """The analysis as one printable HTML page."""
    run = a.run
    sc = run.problem.scenario
    figs = {key: fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"plot-{key}")
            for key, fig in (("timeline", timeline_figure(a)), ("npv", npv_figure(a)))}
    decision = ("" if len(run.decisions) else "<p><b>Decision: build nothing.</b></p>")
    budgets = pd.DataFrame([{"budget": b.budget, "limit": money(b.limit, b.currency),
                             "step": money(b.step, b.currency),
                             f"gain per 1 M {b.currency}": money(b.per_million, sc.currency)
                             if b.binding else "not binding"} for b in a.budgets])
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    # a card holding two figures (P5 / P95, a confidence interval) spans two columns
    cards = "".join(f'<div class="kpi{" wide" if len(v) > 16 else ""}">{html.escape(k)}'
                    f'<b>{html.escape(v)}</b></div>' for k, v in _cards(a))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Oreline invest: {html.escape(sc.name)}</title>
<style>{_CSS}{_EXTRA_CSS}</style>
<script>{get_plotlyjs()}</script></head><body>
<h1>Invest: {html.escape(sc.name)}</h1>
<p class="sub">{html.escape(sc.description)}<br>{run.problem.n_scenarios} scenario(s),
{html.escape(run.method)}, solved in {run.seconds:,.1f} s, analysed in {a.seconds:,.1f} s
· NPV: discounted plan margin net of shortfall penalties, less option costs, in
{html.escape(sc.currency)} · made {stamp}</p>
<div class="kpis">{cards}</div>
<section id="decision"><h2>Decision</h2>{decision}{figs['timeline']}</section>
<section id="npv"><h2>Every alternative fixed in turn</h2>{figs['npv']}
<p>Regret: in each scenario, the best NPV knowing the scenario less the alternative's.</p>
{_html_table(_options_view(a))}</section>
<section id="values"><h2>Values</h2>{_html_table(_values_view(a))}</section>
<section id="breakeven"><h2>Break-even capex</h2><p>The capex per module at which each
option stops (or starts) being chosen, everything else as given; exact up to the solver
gap.</p>{_html_table(_breakeven_view(a))}</section>
<section id="budget"><h2>Budget shadow values</h2>{_html_table(budgets)}</section>
<section id="flags"><h2>The ⚑ numbers the answer depends on</h2><p>Option figures the
sources flag as assumptions or computations; read them with the break-even capex
above.</p>{_html_table(flagged_numbers(sc), "flags")}</section>
</body></html>"""


def write_invest_outputs(out: Path, a: Analysis, formats: Iterable[str] = ("csv",),
                         report: bool = True) -> list[Path]:
    """Write the tables and ``invest.html`` atomically into ``out``.

    CSV always; Parquet and one ``invest.xlsx`` workbook when ``formats`` asks.
    """
    tables = analysis_tables(a)
    kinds = set(formats) | {"csv"}

    def fill(tmp: Path) -> None:
        if "parquet" in kinds:
            write_tables(tmp, tables)
        else:
            for name, df in tables.items():
                df.to_csv(tmp / f"{name}.csv", index=False)
        if "xlsx" in kinds:
            with pd.ExcelWriter(tmp / "invest.xlsx", engine="openpyxl") as xl:
                for name, df in tables.items():
                    df.to_excel(xl, sheet_name=name[:31], index=False)
        if report:
            (tmp / "invest.html").write_text(render_invest_report(a), encoding="utf-8")

    return write_folder(Path(out), fill, kind="invest")
