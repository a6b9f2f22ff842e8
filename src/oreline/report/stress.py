"""HTML report and files of a stress sweep: histogram of margin, tornado, tables."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from oreline.report import fmt
from oreline.report.export import write_folder, write_tables
from oreline.report.html import _CSS, _table

__all__ = ["histogram_figure", "render_stress_report", "tornado_figure", "write_stress_outputs"]


def histogram_figure(metrics: pd.DataFrame, base_margin: float,
                     mitigated: pd.DataFrame | None = None) -> go.Figure:
    """Distribution of margin over the samples, with the base plan marked."""
    fig = go.Figure()
    fig.add_histogram(x=metrics["margin"] / 1e6, name="stressed", nbinsx=40, opacity=0.75)
    if mitigated is not None:
        fig.add_histogram(x=mitigated["margin"] / 1e6, name="with mitigation", nbinsx=40,
                          opacity=0.6)
    fig.add_vline(x=base_margin / 1e6, line_dash="dash", annotation_text="base plan")
    fig.update_layout(title="Margin over the horizon (M, scenario currency)", barmode="overlay",
                      height=420, xaxis_title="margin (M)", yaxis_title="samples")
    return fig


def tornado_figure(tornado: pd.DataFrame) -> go.Figure:
    """One event at a time: margin change with its numbers at P10 and at P90."""
    t = tornado.iloc[::-1]
    fig = go.Figure()
    fig.add_bar(y=t["event"], x=t["margin_change_p10"] / 1e6, orientation="h",
                name="numbers at P10")
    fig.add_bar(y=t["event"], x=t["margin_change_p90"] / 1e6, orientation="h",
                name="numbers at P90")
    fig.update_layout(title="Tornado: margin change against the base plan, one event at a "
                            "time (M)", barmode="group", height=140 + 46 * len(t))
    return fig


def _statistic(label: str, value: float) -> str:
    if "margin" in label:
        return f"{fmt.number(value / 1e6, 2)} M"
    if label.startswith("P(") or "fill" in label:
        return fmt.percent(value)
    return fmt.number(value)


def render_stress_report(name: str, description: str, summary: pd.DataFrame,
                         customers: pd.DataFrame, tornado: pd.DataFrame,
                         metrics: pd.DataFrame, base_margin: float,
                         named: pd.DataFrame | None = None,
                         comparison: pd.DataFrame | None = None,
                         mitigated: pd.DataFrame | None = None) -> str:
    """One self-contained HTML page for a sweep."""
    figs = [("histogram", histogram_figure(metrics, base_margin, mitigated)),
            ("tornado", tornado_figure(tornado))]
    parts = {key: fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"plot-{key}")
             for key, fig in figs}
    shown = summary.assign(value=[_statistic(str(s), float(v)) for s, v in
                                  zip(summary["statistic"], summary["value"], strict=True)])
    named_html = "" if named is None or named.empty else (
        "<h2>Named scenarios</h2>" + _table(named[["name", "margin", "shortfall_t",
                                                   "fill_rate", "events"]], digits=3))
    comp_html = "" if comparison is None else (
        "<h2>Mitigation value (same samples)</h2>" + _table(comparison))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Oreline stress: {html.escape(name)}</title>
<style>{_CSS}</style><script>{get_plotlyjs()}</script></head><body>
<h1>Stress: {html.escape(name)}</h1><p class="sub">{html.escape(description)}</p>
<section><h2>Risk summary</h2>{_table(shown)}</section>
<section>{parts['histogram']}</section>
<section><h2>Shortfall by customer (beyond the base plan)</h2>{_table(customers, digits=3)}
</section>
<section>{parts['tornado']}{_table(tornado)}</section>
<section>{named_html}{comp_html}</section>
</body></html>"""


def write_stress_outputs(out: Path, tables: dict[str, pd.DataFrame], report_html: str
                         ) -> list[Path]:
    """Write tables (Parquet and CSV) and ``stress_report.html`` atomically into ``out``."""

    def fill(tmp: Path) -> None:
        write_tables(tmp, tables)
        (tmp / "stress_report.html").write_text(report_html, encoding="utf-8")

    return write_folder(out, fill, kind="stress")
