"""Plotly figures of a plan: Sankey by origin, production vs capacity, stock, sales."""

from __future__ import annotations

import itertools

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from oreline.results import PlanResults
from oreline.scenario import Scenario

__all__ = ["display_names", "inventory_figure", "origin_colours", "production_figure",
           "sales_figure", "sankey_figure"]

_PALETTE = qualitative.Plotly + qualitative.Set2 + qualitative.Pastel1


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    if len(h) != 6:
        return hex_color
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def origin_colours(results: PlanResults) -> dict[str, str]:
    """The colour of each origin class the Sankey draws (the key of its legend)."""
    t = results.tables
    found: set[str] = set()
    for name in ("purchases", "consumption", "sales", "opening_stock"):
        df = t.get(name)
        if df is not None and len(df):
            found |= set(df["origin_class"].astype(str))
    found.discard("untracked")
    return {c: _PALETTE[i % len(_PALETTE)] for i, c in enumerate(sorted(found))}


def display_names(scenario: Scenario) -> dict[str, str]:
    """Display names of commodities, customers, enquiries and sites (their id when unnamed).

    Examples
    --------
    >>> from oreline.scenario import load_scenario
    >>> display_names(load_scenario("kmp"))["usar_defence"]
    'USA Rare Earth (US defence programmes)'
    """
    out: dict[str, str] = {}
    for items in (scenario.commodities, scenario.customers, scenario.enquiries, scenario.sites):
        for e in items:
            out[e.id] = getattr(e, "name", None) or e.id
    return out


def _short(label: str, width: int = 28) -> str:
    """A node label short enough not to run into its neighbours (full text on hover)."""
    return label if len(label) <= width else label[: width - 1].rstrip() + "…"


def _label_width(edges: list[tuple[str, str]], plot_px: int = 1100, char_px: float = 6.6
                 ) -> int:
    """Characters a node label may take so that it ends before the next column of nodes.

    The Sankey puts each node in the column of its longest path from a source; a label
    runs right from its node, so it has the width of one column.

    >>> _label_width([("a", "b"), ("b", "c")])  # three columns: room to spare
    28
    >>> _label_width([(str(i), str(i + 1)) for i in range(7)])  # eight columns
    18
    """
    depth: dict[str, int] = {}
    for _ in range(len(edges) + 1):  # longest path, relaxed until it settles
        changed = False
        for a, b in edges:
            d = depth.get(a, 0) + 1
            if d > depth.get(b, 0):
                depth[b], changed = d, True
        if not changed:
            break
    columns = max(depth.values(), default=0) + 1
    return max(12, min(28, int(plot_px / columns / char_px) - 2))


def sankey_figure(results: PlanResults, names: dict[str, str] | None = None) -> go.Figure:
    """Material flow over the horizon: supplier -> oxide -> metal -> alloy -> customer.

    Links are coloured by the origin class of the material they carry (hover shows
    the class: mined > separated > refined > melted countries). Reagents without
    origin (iron, ferroboron) are left out.
    """
    names = names or {}
    t = results.tables
    links: list[tuple[str, str, str, float]] = []
    tracked = t["purchases"][t["purchases"]["origin_class"] != "untracked"]
    buy = tracked.groupby(["supplier", "commodity", "origin_class"], as_index=False)[
        "quantity_t"].sum()
    links += [(f"{r.supplier}", names.get(r.commodity, r.commodity), r.origin_class, r.quantity_t)
              for r in buy.itertuples()]
    use = t["consumption"]
    use = use[use["origin_class"] != "untracked"]
    use = use.groupby(["input", "product", "origin_class"], as_index=False)["quantity_t"].sum()
    links += [(names.get(r.input, r.input), names.get(r.product, r.product), r.origin_class,
               r.quantity_t) for r in use.itertuples()]
    sales = t["sales"].groupby(["product", "customer", "origin_class"], as_index=False)[
        "quantity_t"].sum()
    links += [(names.get(r.product, r.product), names.get(r.customer, r.customer),
               r.origin_class, r.quantity_t) for r in sales.itertuples()]
    opening = t["opening_stock"]
    opening = opening[opening["origin_class"] != "untracked"]
    if len(opening):
        links += [("opening stock", names.get(r.commodity, r.commodity), r.origin_class,
                   r.quantity_t) for r in opening.itertuples()]
    labels = list(dict.fromkeys(itertools.chain.from_iterable((a, b) for a, b, _, _ in links)))
    idx = {n: i for i, n in enumerate(labels)}
    width = _label_width([(a, b) for a, b, _, _ in links])
    colour = origin_colours(results)
    for c in sorted({c for _, _, c, _ in links} - set(colour)):
        colour[c] = _PALETTE[len(colour) % len(_PALETTE)]
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node={"label": [_short(n, width) for n in labels], "customdata": labels, "pad": 22,
              "thickness": 16, "hovertemplate": "%{customdata}<br>%{value:,.1f} t"
                                                 "<extra></extra>"},
        link={
            "source": [idx[a] for a, _, _, _ in links],
            "target": [idx[b] for _, b, _, _ in links],
            "value": [q for *_, q in links],
            "color": [_rgba(colour[c], 0.45) for _, _, c, _ in links],
            "customdata": [c for _, _, c, _ in links],
            "hovertemplate": "%{source.label} → %{target.label}<br>%{value:,.1f} t<br>"
                             "origin: %{customdata}<extra></extra>",
        },
    ))
    fig.update_layout(title="Material flow by origin (t over the horizon; origin = mined > "
                            "separated > refined > melted)",
                      height=max(560, 34 * len(labels)), font={"size": 12})
    return fig


#: Most processes drawn as bars against capacity; more are drawn as a utilisation map.
_MOST_BARS = 8


def _utilisation_map(u: pd.DataFrame, caps: pd.DataFrame) -> go.Figure:
    """Output over capacity per process and period, a row per process (for many processes)."""
    cap = caps.groupby(["process", "period"], as_index=False)["capacity_t"].sum()
    m = u.merge(cap, on=["process", "period"], how="outer").fillna({"output_t": 0.0})
    m["use"] = 100 * m["output_t"] / m["capacity_t"].where(m["capacity_t"] > 0)
    grid = m.pivot(index="process", columns="period", values="use").sort_index(ascending=False)
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(), x=list(grid.columns), y=list(grid.index), zmin=0, zmax=100,
        colorscale="Blues", colorbar={"title": "% of capacity"},
        hovertemplate="%{y}, %{x}: %{z:.0f} % of capacity<extra></extra>"))
    fig.update_layout(title="Production against capacity (% of each process's capacity per "
                            "period; blank: no capacity)", height=160 + 22 * len(grid))
    return fig


def production_figure(results: PlanResults) -> go.Figure:
    """Output of each process against its capacity per period.

    Up to eight processes as bars with their capacity as a dashed line; more as a map of
    utilisation (one row per process), which stays readable for a whole chain.
    """
    u = results.tables["production"].groupby(["process", "period"], as_index=False)[
        "output_t"].sum()
    caps = results.tables["capacity"]
    if u["process"].nunique() > _MOST_BARS:
        return _utilisation_map(u, caps)
    fig = go.Figure()
    for i, (proc, grp) in enumerate(u.groupby("process")):
        colour = _PALETTE[i % len(_PALETTE)]
        fig.add_bar(x=grp["period"], y=grp["output_t"], name=f"{proc} output",
                    marker_color=colour)
        c = caps[caps["process"] == proc]
        fig.add_scatter(x=c["period"], y=c["capacity_t"], name=f"{proc} capacity",
                        mode="lines", line={"color": colour, "dash": "dash"})
    fig.update_layout(title="Production against capacity (t per period)", barmode="group",
                      height=420)
    return fig


def inventory_figure(results: PlanResults, names: dict[str, str] | None = None) -> go.Figure:
    """Closing stock by site and commodity (named when ``names`` has them)."""
    names = names or {}
    inv = results.tables["inventory"]
    label = inv["site"].map(lambda v: names.get(v, v)) + ": " + inv["commodity"].map(
        lambda v: names.get(v, v))
    g = inv.assign(item=label).groupby(
        ["item", "period"], as_index=False)["stock_t"].sum()
    fig = go.Figure()
    for item, grp in g.groupby("item"):
        fig.add_scatter(x=grp["period"], y=grp["stock_t"], name=str(item), mode="lines",
                        stackgroup="stock")
    fig.update_layout(title="Closing stock (t)", height=440,
                      legend={"orientation": "h", "y": -0.15, "yanchor": "top"})
    return fig


def sales_figure(results: PlanResults, names: dict[str, str] | None = None) -> go.Figure:
    """Sales by customer (named when ``names`` has the customer) and shortfall per period."""
    names = names or {}
    s = results.tables["sales"].groupby(["customer", "period"], as_index=False)["quantity_t"].sum()
    fig = go.Figure()
    for customer, grp in s.groupby("customer"):
        fig.add_bar(x=grp["period"], y=grp["quantity_t"], name=names.get(str(customer),
                                                                         str(customer)))
    d = results.tables["demand"].groupby("period", as_index=False)["shortfall_t"].sum()
    fig.add_scatter(x=d["period"], y=d["shortfall_t"], name="shortfall", mode="lines+markers",
                    line={"color": "black"})
    fig.update_layout(title="Sales by customer and shortfall (t per period)", barmode="stack",
                      height=520, legend={"orientation": "h", "y": -0.15, "yanchor": "top"})
    return fig
