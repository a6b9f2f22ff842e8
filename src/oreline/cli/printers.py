"""Console summaries of the planner commands: ``plan``, ``stress`` and ``scenario``.

Each printer takes the library's result and prints it to :data:`~oreline.cli.console.console`;
the commands only parse options, call the library and call a printer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
from rich.table import Table

from oreline.cli.console import console, esc, fmt
from oreline.cli.option_printers import print_options

if TYPE_CHECKING:
    from oreline.planner import Plan
    from oreline.scenario import Scenario
    from oreline.stress.campaign import StressRun

__all__ = ["left_out_text", "print_plan", "print_scenario", "print_scenarios", "print_seeded",
           "print_stress", "utilisation_by_year"]


def print_plan(plan: Plan) -> None:
    """The plan summary: money, demand served, customers, processes, prices, DFARS."""
    r = plan.results
    sc = plan.scenario
    cur = sc.currency
    k = r.kpis
    head = Table(title=f"Plan {esc(sc.name)}: {sc.horizon.periods} {sc.horizon.period}s from "
                       f"{sc.horizon.start}", show_header=False, title_justify="left")
    for label, value in [
        ("Revenue", fmt(k["revenue"], cur)), ("Purchases", fmt(k["purchase_cost"], cur)),
        ("Processing", fmt(k["processing_cost"], cur)),
        ("Transport + holding", fmt(k["transport_cost"] + k["holding_cost"], cur)),
        ("Margin", fmt(k["margin"], cur)),
        ("Demand", f"{k.get('firm_demand_t', k['demand_t']):,.1f} t firm + "
                   f"{k.get('expected_demand_t', 0.0):,.1f} t expected from enquiries; "
                   f"{k.get('unqualified_demand_t', 0.0):,.1f} t unqualified (not planned)"),
        ("Demand served", f"{k['served_t']:,.1f} of {k['demand_t']:,.1f} t "
                          f"({k['fill_rate']:.1%})"),
        ("Model", f"{r.meta['columns']:,} columns, {r.meta['rows']:,} rows, solved in "
                  f"{plan.timings['solve']:.2f} s"),
    ]:
        head.add_row(label, value)
    console.print(head)
    _customers(plan)
    _processes(plan)
    _prices(plan)
    _stages(plan)
    _opening(plan)
    _supply(plan)
    dfars = r.dfars_clean.groupby("product")[["output_t", "dfars_clean_t"]].sum()
    for product, row in dfars.iterrows():
        console.print(f"DFARS-clean {esc(product)}: {row['dfars_clean_t']:,.1f} of "
                      f"{row['output_t']:,.1f} t produced (per-period rule: covered stages "
                      f"widen on 2027-01-01)")


def _customers(plan: Plan) -> None:
    r = plan.results
    fill = Table(title=f"Customers (demand: {r.meta.get('demand_mode', 'expected')}; fill "
                       "rate of firm + expected)", title_justify="left")
    # two-line headers keep the seven columns readable on an 80-column terminal
    cols = ("customer", "firm\nt", "expected\nt", "unquali-\nfied t", "served\nt", "fill\nrate",
            "shortfall\ncauses")
    for col in cols:
        text = col in ("customer", "shortfall\ncauses")
        causes = col == "shortfall\ncauses"
        fill.add_column(col, justify="left" if text else "right", no_wrap=not causes,
                        min_width=10 if causes else None, overflow="fold")
    causes = r.shortfalls.groupby("customer")["cause"].agg(lambda s: ", ".join(sorted(set(s))))
    for row in r.fill_rate.itertuples():
        name = esc(row.customer) + (" (enquiry)" if row.kind == "enquiry" else "")
        fill.add_row(name, fmt(row.firm_t), fmt(row.expected_t), fmt(row.unqualified_demand_t),
                     fmt(row.served_t), "-" if row.demand_t <= 0 else f"{row.fill_rate:.1%}",
                     esc(causes.get(row.customer, "")))
    console.print(fill)
    console.print(left_out_text(r.kpis, str(r.meta.get("demand_mode", "expected"))))


def left_out_text(kpis: dict[str, float], mode: str) -> str:
    """One sentence: how much demand the plan left out, and why.

    Examples
    --------
    >>> text = left_out_text({"unqualified_demand_t": 600.0, "excluded_demand_t": 40.0},
    ...                      "expected")
    >>> text.startswith("Left out of the plan: 600.0 t before qualification (not plannable); ")
    True
    >>> text.endswith("40.0 t of enquiry volume not expected to convert (1 - probability).")
    True

    """
    why = {"expected": "not expected to convert (1 - probability)",
           "firm": "left in the pipeline (--demand firm plans signed contracts only)",
           "all": "left out"}[mode]
    parts = []
    if kpis.get("unqualified_demand_t", 0.0) > 1e-6:
        parts.append(f"{kpis['unqualified_demand_t']:,.1f} t before qualification (not "
                     "plannable)")
    if kpis.get("excluded_demand_t", 0.0) > 1e-6:
        parts.append(f"{kpis['excluded_demand_t']:,.1f} t of enquiry volume {why}")
    if not parts:
        return "Left out of the plan: nothing."
    return "Left out of the plan: " + "; ".join(parts) + "."


def _processes(plan: Plan) -> None:
    r = plan.results
    util = Table(title="Processes (utilisation over the horizon and by calendar year)",
                 title_justify="left")
    by_year = utilisation_by_year(r.tables["capacity"])
    for col in ("process", "output t", "capacity t", "utilisation", *by_year.columns,
                "binding periods"):
        util.add_column(str(col), justify="left" if col == "process" else "right")
    binding = r.shadow["capacity"].groupby("process")["period"].count()
    off = [row.process for row in r.utilisation.itertuples()
           if row.capacity_t <= 0 and row.output_t <= 0]
    for row in r.utilisation.itertuples():
        if row.process in off:
            continue
        years = [f"{u:.0%}" if u == u else "-" for u in by_year.loc[row.process]]
        util.add_row(esc(row.process), fmt(row.output_t), fmt(row.capacity_t),
                     f"{row.utilisation:.1%}" if row.capacity_t > 0 else "-", *years,
                     str(int(binding.get(row.process, 0))))
    console.print(util)
    if off:
        console.print(f"Off (no capacity enabled in the horizon): {esc(', '.join(off))}.")


def utilisation_by_year(capacity: pd.DataFrame) -> pd.DataFrame:
    """Output over capacity per process (rows) and calendar year (columns); NaN if no capacity.

    Examples
    --------
    >>> df = pd.DataFrame({"process": ["a"] * 3, "period": ["2027-11", "2027-12", "2028-01"],
    ...                    "capacity_t": [10.0, 10.0, 0.0], "output_t": [5.0, 10.0, 0.0]})
    >>> utilisation_by_year(df).loc["a"].tolist()
    [0.75, nan]
    """
    df = capacity.assign(year=capacity["period"].str[:4])
    sums = df.groupby(["process", "year"])[["output_t", "capacity_t"]].sum()
    util = sums["output_t"] / sums["capacity_t"].where(sums["capacity_t"] > 0)
    return util.unstack("year")


def _prices(plan: Plan) -> None:
    r = plan.results
    prices = Table(title=f"Top shadow prices ({plan.scenario.currency} of margin per t, "
                         "discounted)", title_justify="left")
    for col in ("kind", "what", "period", "value per t"):
        prices.add_column(col, justify="right" if col == "value per t" else "left")
    rows: list[tuple[str, str, str, float]] = []
    for kind, key in (("capacity", "process"), ("supply", "contract"),
                      ("provenance", "customer")):
        df = r.shadow[kind]
        for item in df.head(3).itertuples():
            what = str(getattr(item, key))
            if kind == "provenance":
                what += f" ← {item.origin_class}"
            rows.append((kind, what, str(item.period), float(item.value_per_t)))
    for kind, what, period, amount in rows:
        prices.add_row(kind, esc(what), esc(period), f"{amount:,.0f}")
    if not rows:
        prices.add_row("-", "no capacity, supply or provenance limit binds", "", "")
    console.print(prices)
    if any(kind == "provenance" for kind, *_ in rows):
        from oreline.origin import LABEL_LEGEND

        console.print(esc(LABEL_LEGEND))


def _stages(plan: Plan) -> None:
    """Bottleneck by stage and DFARS-clean NdFeB by year, when two or more stages have capacity."""
    from oreline.results.capacity import bottleneck_stage, dfars_by_year

    st = plan.results.stages
    if len(st) < 2:
        return
    cur = plan.scenario.currency
    neck = bottleneck_stage(st)
    table = Table(title=f"Stages (bottleneck: {neck or 'none'}); value: {cur} of margin per "
                        "t/yr more capacity, discounted", title_justify="left")
    for col in ("stage", "capacity t", "output t", "use", "binds", "value", "best at"):
        table.add_column(col, justify="left" if col in ("stage", "best at") else "right")
    for row in st.itertuples():
        table.add_row(str(row.stage), f"{row.capacity_t:,.0f}", f"{row.output_t:,.0f}",
                      f"{row.utilisation:.0%}", str(row.binding_periods),
                      f"{row.value_per_t_yr:,.0f}", str(row.at_process))
    console.print(table)
    family = {c.id: c.family for c in plan.scenario.commodities}
    years = dfars_by_year(plan.results.dfars_clean)
    years = years[years["product"].map(family).isin(["alloy", "magnet"])]
    if years.empty:
        return
    by_year = Table(title="DFARS-clean NdFeB by year (t)", title_justify="left")
    for col in ("product", "year", "output t", "DFARS-clean t"):
        by_year.add_column(col, justify="left" if col == "product" else "right")
    for row in years.itertuples():
        by_year.add_row(str(row.product), str(row.year), fmt(row.output_t),
                        fmt(row.dfars_clean_t))
    console.print(by_year)


def print_seeded(sc: Scenario, ledger: str) -> None:
    """One line per scenario site whose opening stock came from the ledger."""
    from oreline.seed import SEEDED

    seeded: dict[str, float] = {}
    for s in sc.initial_stock:
        if str(s.source or "").startswith(SEEDED):
            seeded[s.site] = seeded.get(s.site, 0.0) + s.quantity.tonnes
    for site, tonnes in seeded.items():
        console.print(f"Opening stock from the ledger {ledger} at {site}: {fmt(tonnes, 't')}")
    if not seeded:
        console.print(f"Opening stock from the ledger {ledger}: nothing on hand at the mapped "
                      "sites")


def _opening(plan: Plan) -> None:
    """Scheduled arrivals in one line, and every stock target the plan does not meet."""
    from oreline.results.opening import unmet_targets

    tables = plan.results.tables
    arrivals = tables["arrivals"]
    if len(arrivals):
        counts = arrivals.groupby("kind")["quantity_t"].agg(["size", "sum"])
        parts = [f"{int(row['size'])} {str(kind).replace('_', ' ')} ({row['sum']:,.1f} t)"
                 for kind, row in counts.iterrows()]
        console.print(f"Scheduled arrivals: {', '.join(parts)}")
    unmet = unmet_targets(tables["stock_targets"])
    for row in unmet.itertuples():
        console.print(f"[yellow]Stock target {row.target} ({row.kind}, {row.commodity} at "
                      f"{row.site}) not met in {row.periods} period(s): up to "
                      f"{row.max_gap_t:,.1f} t below, penalty "
                      f"{fmt(row.penalty, plan.scenario.currency)}[/yellow]")
    if len(tables["stock_targets"]) and unmet.empty:
        console.print(f"Stock targets: all {tables['stock_targets']['target'].nunique()} met")


def print_stress(run: StressRun) -> None:
    """The stress summary: the sweep, risk figures, customers, tornado, named, mitigation."""
    cur = run.scenario.currency
    sw = run.sweep
    console.print(f"[bold]{esc(run.stress.name)}[/bold] on {esc(run.scenario.name)}: "
                  f"{len(sw.metrics)} samples in {sw.seconds:.1f} s ({sw.rate:.1f}/s, "
                  f"{sw.executor}, {sw.info['workers']} worker(s)); "
                  f"{sw.info['cold_checked']} cold re-solves agreed")
    table = Table(title="Risk summary", title_justify="left", show_header=False)
    for row in run.summary.itertuples():
        label = str(row.statistic)
        value = float(row.value)
        if "margin" in label:
            text = fmt(value, cur)
        elif label.startswith("P(") or "fill" in label:
            text = f"{value:.1%}"
        elif label == "samples":
            text = f"{value:,.0f}"
        else:
            text = f"{value:,.1f}"
        table.add_row(esc(label), text)
    console.print(table)
    cust = Table(title="Customers: odds of a shortfall beyond the base plan",
                 title_justify="left")
    for col in ("customer", "P(extra shortfall)", "mean extra t", "P95 extra t", "mean fill"):
        cust.add_column(col, justify="left" if col == "customer" else "right")
    for row in run.customers.itertuples():
        cust.add_row(esc(row.customer), f"{row.p_extra_shortfall:.1%}",
                     fmt(row.mean_extra_shortfall_t), fmt(row.p95_extra_shortfall_t),
                     f"{row.mean_fill_rate:.1%}")
    console.print(cust)
    _tornado(run)
    _named_and_mitigation(run)


def _tornado(run: StressRun) -> None:
    torn = Table(title=f"Tornado: margin change, one event at a time "
                       f"(M {run.scenario.currency})", title_justify="left")
    for col in ("event", "numbers at P10", "numbers at P90"):
        torn.add_column(col, justify="left" if col == "event" else "right")
    for row in run.tornado.itertuples():  # one unit for the whole column
        torn.add_row(esc(row.event), f"{row.margin_change_p10 / 1e6:+,.2f}",
                     f"{row.margin_change_p90 / 1e6:+,.2f}")
    console.print(torn)


def _named_and_mitigation(run: StressRun) -> None:
    cur = run.scenario.currency
    if not run.named.empty:
        named = Table(title="Named scenarios", title_justify="left")
        for col in ("scenario", "margin", "shortfall t", "fill rate"):
            named.add_column(col, justify="left" if col == "scenario" else "right")
        for row in run.named.itertuples():
            named.add_row(esc(row.name), fmt(row.margin, cur), fmt(row.shortfall_t),
                          f"{row.fill_rate:.1%}")
        console.print(named)
    if run.mitigation is not None:
        mit = Table(title="Mitigation (same samples)", title_justify="left", show_header=False)
        for row in run.mitigation.table.itertuples():
            label = str(row.statistic)
            value = float(row.value)
            mit.add_row(esc(label), fmt(value, cur) if "margin" in label or "cost" in label
                        else f"{value:,.0f}" if label == "samples" else f"{value:,.1f}")
        console.print(mit)
        cost = run.mitigation.cost
        for c in (cost.itertuples() if cost is not None else ()):
            console.print(f"  cost: {c.quantity_t:+,.2f} t {esc(c.commodity)} at {esc(c.site)} "
                          f"({esc(c.origin)}) x {fmt(c.price_per_t, cur)}/t "
                          f"({esc(c.priced_by)}) = {fmt(c.cost, cur)}")


def print_scenarios(scenarios: dict[str, Scenario]) -> None:
    """The built-in scenarios, one row each: name, periods, description."""
    table = Table("name", "periods", "description")
    for name, sc in scenarios.items():
        table.add_row(esc(name), f"{sc.horizon.periods} × {sc.horizon.period} from "
                      f"{sc.horizon.start}", esc(sc.description))
    console.print(table)


def print_scenario(sc: Scenario) -> None:
    """A scenario's header and one table per entity kind (id and a one-line detail).

    User text is escaped, so a contract's origin ``[mined=AU, separated=MY]`` shows.
    """
    console.print(f"[bold]{esc(sc.name)}[/bold]: {esc(sc.description)}")
    console.print(f"horizon {sc.horizon.start} + {sc.horizon.periods} {sc.horizon.period}s, "
                  f"currency {sc.currency}, discount {sc.discount_rate:.1%}/yr")
    for entity in ("commodities", "sites", "processes", "contracts", "lanes", "customers",
                   "enquiries"):
        items = getattr(sc, entity)
        table = Table(title=f"{entity} ({len(items)})", title_justify="left")
        table.add_column("id")
        table.add_column("detail")
        for item in items:
            table.add_row(esc(item.id), esc(_detail(entity, item)))
        console.print(table)
    print_options(sc)


def _detail(entity: str, item: Any) -> str:
    d = getattr
    if entity == "commodities":
        return f"{d(item, 'family')} {d(item, 'name')}"
    if entity == "sites":
        return f"{d(item, 'country')} {d(item, 'role')}"
    if entity == "processes":
        caps = ", ".join(f"{p.start}: {p.capacity}{'' if p.enabled else ' (off)'}"
                         for p in d(item, "capacity"))
        recipe = f"{', '.join(d(item, 'inputs'))} -> {d(item, 'main_output')}"
        return f"{d(item, 'site')}: {recipe}; {caps}"
    if entity == "contracts":
        origin = ", ".join(f"{k}={v}" for k, v in d(item, "origin").items())
        return (f"{d(item, 'commodity')} ≤ {d(item, 'max')} at {d(item, 'price')}"
                + (f" [{origin}]" if origin else "")
                + ("" if d(item, "enabled", True) else " (off)"))
    if entity == "lanes":
        return f"{d(item, 'origin')} -> {d(item, 'destination')}, {d(item, 'lead_time')} periods"
    text = (f"{d(item, 'product')} {d(item, 'demand')} at {d(item, 'price')}, "
            f"policy {d(item, 'provenance').rule}")
    if entity == "enquiries":
        text += (f", p={d(item, 'probability'):g}, qualification "
                 f"{d(item, 'qualification_months')} months")
    return text


def _supply(plan: Plan) -> None:
    """One line per tracked commodity: its supply by country of mining, largest first."""
    df = plan.results.tables["supply_by_country"]
    if df.empty:
        return
    console.print("Supply by country of mining (opening stock, arrivals and purchases):")
    for commodity, rows in df.groupby("commodity", sort=True):
        parts = ", ".join(f"{esc(str(r.country))} {r.quantity_t:,.1f} t ({r.share:.0%})"
                          for r in rows.itertuples())
        console.print(f"  {esc(str(commodity))}: {parts}", highlight=False)
