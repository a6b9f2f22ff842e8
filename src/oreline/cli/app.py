"""The ``oreline`` command line: a thin layer over the library.

Every user error is an :class:`~oreline.errors.OrelineError`; :func:`main` prints
its message (never a traceback) and exits with the error's code.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from oreline.cli.trace import app as trace_app
from oreline.errors import OrelineError

__all__ = ["app", "main"]

app = typer.Typer(
    name="oreline",
    help="Plan, stress-test and trace mine-to-metal supply chains for critical metals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scenario_app = typer.Typer(help="List, show, validate and export scenarios.",
                           no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")
app.add_typer(trace_app, name="trace", help="Lot ledger: EPCIS capture, trace, checks.")

# ids such as urn:x:lot print as written and are never broken across lines (soft wrap)
console = Console(emoji=False, soft_wrap=True)
err_console = Console(stderr=True, emoji=False, soft_wrap=True)


def _fmt(x: float, unit: str = "") -> str:
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.1f} M{(' ' + unit) if unit else ''}"
    return f"{x:,.1f}{(' ' + unit) if unit else ''}"


def _summary(plan: object) -> None:
    from oreline.planner import Plan

    assert isinstance(plan, Plan)
    r = plan.results
    sc = plan.scenario
    cur = sc.currency
    k = r.kpis
    head = Table(title=f"Plan {sc.name}: {sc.horizon.periods} {sc.horizon.period}s from "
                       f"{sc.horizon.start}", show_header=False, title_justify="left")
    for label, value in [
        ("Revenue", _fmt(k["revenue"], cur)), ("Purchases", _fmt(k["purchase_cost"], cur)),
        ("Processing", _fmt(k["processing_cost"], cur)),
        ("Transport + holding", _fmt(k["transport_cost"] + k["holding_cost"], cur)),
        ("Margin", _fmt(k["margin"], cur)),
        ("Demand served", f"{k['served_t']:,.1f} of {k['demand_t']:,.1f} t "
                          f"({k['fill_rate']:.1%})"),
        ("Model", f"{r.meta['columns']:,} columns, {r.meta['rows']:,} rows, solved in "
                  f"{plan.timings['solve']:.2f} s"),
    ]:
        head.add_row(label, value)
    console.print(head)
    fill = Table(title="Customers", title_justify="left")
    for col in ("customer", "demand t", "served t", "fill rate", "shortfall causes"):
        fill.add_column(col, justify="left" if col in ("customer", "shortfall causes") else "right")
    causes = r.shortfalls.groupby("customer")["cause"].agg(lambda s: ", ".join(sorted(set(s))))
    for row in r.fill_rate.itertuples():
        fill.add_row(str(row.customer), _fmt(row.demand_t), _fmt(row.served_t),
                     "-" if row.demand_t <= 0 else f"{row.fill_rate:.1%}",
                     str(causes.get(row.customer, "")))
    console.print(fill)
    util = Table(title="Processes", title_justify="left")
    for col in ("process", "output t", "capacity t", "utilisation", "binding periods"):
        util.add_column(col, justify="left" if col == "process" else "right")
    binding = r.shadow["capacity"].groupby("process")["period"].count()
    for row in r.utilisation.itertuples():
        util.add_row(str(row.process), _fmt(row.output_t), _fmt(row.capacity_t),
                     f"{row.utilisation:.1%}" if row.capacity_t > 0 else "-",
                     str(int(binding.get(row.process, 0))))
    console.print(util)
    prices = Table(title=f"Top shadow prices ({cur} of margin per t, discounted)",
                   title_justify="left")
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
        prices.add_row(kind, what, period, f"{amount:,.0f}")
    if not rows:
        prices.add_row("-", "no capacity, supply or provenance limit binds", "", "")
    console.print(prices)
    if any(kind == "provenance" for kind, *_ in rows):
        from oreline.origin import LABEL_LEGEND

        console.print(LABEL_LEGEND)
    dfars = r.dfars_clean.groupby("product")[["output_t", "dfars_clean_t"]].sum()
    for product, row in dfars.iterrows():
        console.print(f"DFARS-clean {product}: {row['dfars_clean_t']:,.1f} of "
                      f"{row['output_t']:,.1f} t produced (per-period rule: covered stages "
                      f"widen on 2027-01-01)")


@app.command()
def plan(
    source: Annotated[str, typer.Argument(help="Built-in scenario name or scenario file/folder")]
    = "kmp",
    out: Annotated[Path | None, typer.Option(help="Write tables and report.html here")] = None,
    report: Annotated[bool, typer.Option(help="Write report.html with --out")] = True,
    quiet: Annotated[bool, typer.Option(help="Print only the output paths")] = False,
) -> None:
    """Solve a plan and print its summary; with --out also write tables and an HTML report."""
    from oreline.planner import run_plan

    _check_out(out)
    with console.status("planning", spinner="dots") as status:
        result = run_plan(source, progress=lambda step: status.update(step))
        written = []
        if out is not None:
            from oreline.report import write_outputs

            written = write_outputs(result, out, report=report,
                                    progress=lambda step: status.update(step))
    if not quiet:
        _summary(result)
    if written and out is not None:
        console.print(f"Wrote {len(written)} files to {out}" +
                      (f" (open {out / 'report.html'})" if report else ""))


@app.command()
def stress(
    source: Annotated[str, typer.Argument(help="Stress file, or a built-in set (kmp)")] = "kmp",
    samples: Annotated[int | None, typer.Option(min=1, help="Monte Carlo samples "
                                                         "(file default)")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (file default)")] = None,
    executor: Annotated[str, typer.Option(help="inprocess, process or dask")] = "process",
    workers: Annotated[int | None, typer.Option(min=1, help="Processes (default: all cores)")]
    = None,
    dask_local: Annotated[int | None, typer.Option(
        "--dask-local", min=1, help="Start a local Dask cluster of N workers")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786")] = None,
    mitigation: Annotated[str | None, typer.Option(
        help="Scenario with a mitigation; its value is measured on the same samples")] = None,
    out: Annotated[Path | None, typer.Option(help="Write Parquet/CSV tables and "
                                                   "stress_report.html here")] = None,
) -> None:
    """Run a stress sweep on live HiGHS models and print a risk summary."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from oreline.stress.campaign import run_stress

    _check_out(out)
    if dask_local is not None or scheduler is not None:
        executor, workers = "dask", dask_local or workers
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]:>7.1f} samples/s"), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        tasks: dict[str, Any] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total, rate=0.0)
            task = bar.tasks[tasks[phase]]
            elapsed = task.elapsed or 1e-9
            bar.update(tasks[phase], completed=done, rate=done / elapsed)

        run = run_stress(source, samples, seed, executor, workers, scheduler, mitigation,
                         progress)
    _stress_summary(run)
    if out is not None:
        from oreline.report.stress import render_stress_report, write_stress_outputs

        page = render_stress_report(
            run.stress.name, run.stress.description, run.summary, run.customers, run.tornado,
            run.sweep.metrics, run.sweep.base["margin"], run.named,
            run.mitigation.table if run.mitigation else None,
            run.mitigated_sweep.metrics if run.mitigated_sweep else None)
        written = write_stress_outputs(out, run.tables(), page)
        console.print(f"Wrote {len(written)} files to {out} (open {out / 'stress_report.html'})")


def _check_out(out: Path | None) -> None:
    """Refuse an ``--out`` that is an existing file before any long work starts."""
    if out is not None and out.exists() and not out.is_dir():
        from oreline.errors import ConfigError

        raise ConfigError(f"--out {out} is a file; name a folder (it is created if missing)")
    if out is not None:
        from oreline.report.export import check_out_folder

        check_out_folder(out)


def _stress_summary(run: Any) -> None:
    cur = run.scenario.currency
    sw = run.sweep
    console.print(f"[bold]{run.stress.name}[/bold] on {run.scenario.name}: "
                  f"{len(sw.metrics)} samples in {sw.seconds:.1f} s ({sw.rate:.1f}/s, "
                  f"{sw.executor}, {sw.info['workers']} worker(s)); "
                  f"{sw.info['cold_checked']} cold re-solves agreed")
    table = Table(title="Risk summary", title_justify="left", show_header=False)
    for row in run.summary.itertuples():
        label = str(row.statistic)
        value = float(row.value)
        if "margin" in label:
            text = _fmt(value, cur)
        elif label.startswith("P(") or "fill" in label:
            text = f"{value:.1%}"
        elif label == "samples":
            text = f"{value:,.0f}"
        else:
            text = f"{value:,.1f}"
        table.add_row(label, text)
    console.print(table)
    cust = Table(title="Customers: odds of a shortfall beyond the base plan",
                 title_justify="left")
    for col in ("customer", "P(extra shortfall)", "mean extra t", "P95 extra t", "mean fill"):
        cust.add_column(col, justify="left" if col == "customer" else "right")
    for row in run.customers.itertuples():
        cust.add_row(str(row.customer), f"{row.p_extra_shortfall:.1%}",
                     _fmt(row.mean_extra_shortfall_t), _fmt(row.p95_extra_shortfall_t),
                     f"{row.mean_fill_rate:.1%}")
    console.print(cust)
    torn = Table(title=f"Tornado: margin change, one event at a time (M {cur})",
                 title_justify="left")
    for col in ("event", "numbers at P10", "numbers at P90"):
        torn.add_column(col, justify="left" if col == "event" else "right")
    for row in run.tornado.itertuples():  # one unit for the whole column
        torn.add_row(str(row.event), f"{row.margin_change_p10 / 1e6:+,.2f}",
                     f"{row.margin_change_p90 / 1e6:+,.2f}")
    console.print(torn)
    if not run.named.empty:
        named = Table(title="Named scenarios", title_justify="left")
        for col in ("scenario", "margin", "shortfall t", "fill rate"):
            named.add_column(col, justify="left" if col == "scenario" else "right")
        for row in run.named.itertuples():
            named.add_row(str(row.name), _fmt(row.margin, cur), _fmt(row.shortfall_t),
                          f"{row.fill_rate:.1%}")
        console.print(named)
    if run.mitigation is not None:
        mit = Table(title="Mitigation (same samples)", title_justify="left", show_header=False)
        for row in run.mitigation.table.itertuples():
            label = str(row.statistic)
            mit.add_row(label, _fmt(float(row.value), cur) if "margin" in label
                        else f"{float(row.value):,.1f}")
        console.print(mit)


@scenario_app.command("list")
def scenario_list() -> None:
    """List the built-in scenarios."""
    from oreline.scenario import builtin_names, load_scenario

    table = Table("name", "periods", "description")
    for name in builtin_names():
        sc = load_scenario(name)
        table.add_row(name, f"{sc.horizon.periods} × {sc.horizon.period} from {sc.horizon.start}",
                      sc.description)
    console.print(table)


@scenario_app.command("show")
def scenario_show(name: Annotated[str, typer.Argument(help="Built-in name or file")]) -> None:
    """Print a scenario's entities and counts."""
    from oreline.scenario import load_scenario

    sc = load_scenario(name)
    console.print(f"[bold]{sc.name}[/bold]: {sc.description}")
    console.print(f"horizon {sc.horizon.start} + {sc.horizon.periods} {sc.horizon.period}s, "
                  f"currency {sc.currency}, discount {sc.discount_rate:.1%}/yr")
    for entity in ("commodities", "sites", "processes", "contracts", "lanes", "customers"):
        items = getattr(sc, entity)
        table = Table(title=f"{entity} ({len(items)})", title_justify="left")
        table.add_column("id")
        table.add_column("detail")
        for item in items:
            table.add_row(item.id, _detail(entity, item))
        console.print(table)


def _detail(entity: str, item: object) -> str:
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
    return (f"{d(item, 'product')} {d(item, 'demand')} at {d(item, 'price')}, "
            f"policy {d(item, 'provenance').rule}")


@scenario_app.command("validate")
def scenario_validate(source: Annotated[str, typer.Argument(help="Scenario file or folder")]
                      ) -> None:
    """Check a scenario; list every problem with its file and line."""
    from oreline.network import compile_network
    from oreline.scenario import load_scenario

    sc = load_scenario(source)
    net = compile_network(sc)
    console.print(f"[green]valid[/green]: {sc.name} ({len(sc.commodities)} commodities, "
                  f"{len(sc.processes)} processes, {len(sc.contracts)} contracts, "
                  f"{len(sc.customers)} customers; {len(net.classes) - 1} origin classes)")


@scenario_app.command("export")
def scenario_export(
    name: Annotated[str, typer.Argument(help="Built-in name or scenario file")],
    fmt: Annotated[str, typer.Option("--format", help="yaml, csv or xlsx")] = "yaml",
    out: Annotated[Path | None, typer.Option(help="Output file or folder")] = None,
) -> None:
    """Write a scenario as YAML, a CSV folder or an Excel workbook to start your own from."""
    from oreline.scenario import export_scenario, load_scenario

    if fmt not in ("yaml", "csv", "xlsx"):
        raise typer.BadParameter(f"unknown format {fmt!r}; use yaml, csv or xlsx")
    sc = load_scenario(name)
    target = out or Path(f"{sc.name}{'' if fmt == 'csv' else '.' + fmt}")
    export_scenario(sc, target, fmt)
    console.print(f"Wrote {target}")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning Oreline errors into messages and exit codes."""
    try:
        app(args=argv)  # click reports usage errors itself and exits with code 2
    except OrelineError as exc:
        from rich.text import Text

        err_console.print(Text.assemble(("error: ", "bold red"), str(exc)), highlight=False)
        sys.exit(exc.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
