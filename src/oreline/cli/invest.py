"""``oreline invest``: which options to fund and when, with the value of the decision."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.table import Table

from oreline.cli.console import console, esc, fmt
from oreline.cli.invest_printers import print_analysis
from oreline.cli.options import check_out

if TYPE_CHECKING:
    from oreline.invest.benders import BendersProgress
    from oreline.invest.runner import InvestRun

__all__ = ["invest", "print_invest"]


def invest(
    source: Annotated[str, typer.Argument(help="Scenario with options (built-in name or file)")]
    = "tiny-invest",
    stress: Annotated[str | None, typer.Option(
        help="Stress file or built-in set whose events make the scenarios")] = None,
    samples: Annotated[int | None, typer.Option(min=1, help="Monte Carlo scenarios "
                                                         "(the stress file's default)")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (the stress file's default)")]
    = None,
    risk_weight: Annotated[float, typer.Option(help="Weight of CVaR in the objective, 0 to 1")]
    = 0.0,
    alpha: Annotated[float, typer.Option(help="CVaR level: the worst 1 - alpha of scenarios")]
    = 0.95,
    method: Annotated[Literal["auto", "extensive", "benders"], typer.Option(
        help="Solution method (auto: by size)")] = "auto",
    out: Annotated[Path | None, typer.Option(
        help="Write the tables (decisions, npv, options, values) and invest.html here")]
    = None,
    alternatives: Annotated[bool, typer.Option(
        help="Value every option fixed in turn, with regret, and waiting")] = True,
    breakeven: Annotated[bool, typer.Option(
        help="Break-even capex of every option (a few MILPs each)")] = True,
    budget_step: Annotated[float, typer.Option(
        min=0.0, help="Budget shadow values: raise each budget by this share (0: skip)")]
    = 0.1,
    oos: Annotated[int, typer.Option(
        min=0, help="Out-of-sample check on this many fresh scenarios (0: skip)")] = 100,
    mrp: Annotated[int, typer.Option(
        min=0, help="Optimality-gap replications (MRP; 0: skip)")] = 5,
    mrp_samples: Annotated[int, typer.Option(
        min=1, help="Scenarios per MRP replication")] = 10,
    fmt_: Annotated[list[str] | None, typer.Option(
        "--format", help="Also write tables as parquet and/or xlsx (csv always)")] = None,
    executor: Annotated[Literal["in-process", "pool", "dask"], typer.Option(
        help="Where Benders subproblems are solved")] = "in-process",
    workers: Annotated[int | None, typer.Option(
        min=1, help="Processes of the pool or the local Dask cluster (default: all cores)")]
    = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
             "(implies --executor dask)")] = None,
    gap: Annotated[float | None, typer.Option(
        help="Relative optimality gap to stop at, e.g. 0.01 for 1 % (default 1e-7 for "
             "Benders, 1e-9 for the extensive form)")] = None,
    values: Annotated[bool | None, typer.Option(
        "--values/--no-values", help="Compute RP, WS, EEV, EVPI and VSS (default: up to "
                                     "1,000 scenarios)")] = None,
) -> None:
    """Decide which investment options to fund and when, over sampled scenarios."""
    from oreline.invest.analysis import AnalysisSettings, analyse
    from oreline.invest.report import check_formats, write_invest_outputs
    from oreline.invest.runner import run_invest
    from oreline.scenario import load_scenario
    from oreline.stress.files import load_stress

    check_out(out)
    formats = check_formats(fmt_ or [])
    chosen: str = "dask" if scheduler is not None else executor
    with _progress() as (status, bar):
        scenario = load_scenario(source)
        run = run_invest(scenario, stress, samples, seed, risk_weight, alpha, method, values,
                         progress=status, executor=chosen, workers=workers,
                         scheduler=scheduler, gap=gap, on_benders=bar, keep_evaluator=True)
    try:
        print_invest(run)
        settings = AnalysisSettings(alternatives=alternatives, breakeven=breakeven,
                                    budget=budget_step > 0, budget_step=budget_step, oos=oos,
                                    mrp=mrp, mrp_samples=mrp_samples)
        with console.status("analysing") as status:
            analysis = analyse(run, scenario, load_stress(stress)[0] if stress else None,
                               seed, risk_weight, alpha, settings,
                               progress=lambda step: status.update(step))
    finally:
        run.close()
    print_analysis(analysis)
    if out is not None:
        written = write_invest_outputs(out, analysis, formats)
        console.print(f"Wrote {len(written)} files to {esc(out)} (open invest.html)")


@contextmanager
def _progress() -> Iterator[tuple[Callable[[str], None], Callable[[BendersProgress], None]]]:
    """A status line for the steps and a bar over each Benders iteration's scenarios."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TextColumn("{task.fields[gap]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        step = bar.add_task("investing", total=None, gap="")
        tasks: dict[int, Any] = {}

        def status(text: str) -> None:
            bar.update(step, description=text)

        def benders(p: BendersProgress) -> None:
            gap = f"gap {p.gap:.3%}" if p.gap != float("inf") else "gap -"
            if p.iteration not in tasks:
                tasks[p.iteration] = bar.add_task(f"Benders iteration {p.iteration}",
                                                  total=p.total, gap=gap)
            bar.update(tasks[p.iteration], completed=p.solved, gap=gap)

        yield status, benders
        bar.update(step, description="done", total=1, completed=1)


def print_invest(run: InvestRun) -> None:
    """The decision, its NPV distribution and the stochastic values."""
    p = run.problem
    cur = p.scenario.currency
    d = run.decisions
    how = f"{run.method}, {run.iterations} iterations on {run.executor}, gap " \
        f"{max(0.0, run.gap):.2g}" if run.method == "benders" else run.method
    table = Table(title=f"Invest {esc(p.scenario.name)}: {p.n_scenarios} scenario(s), "
                        f"{how}, {run.seconds:.1f} s", title_justify="left")
    for col in ("option", "decide", "in service", "modules", "share of scenarios",
                "discounted cost"):
        table.add_column(col, justify="left" if col == "option" else "right")
    for row in d.itertuples():
        table.add_row(esc(row.option), row.decide, row.in_service, str(row.modules),
                      f"{row.scenario_share:.0%}", fmt(row.cost_discounted, cur))
    console.print(table if len(d) else "Decision: build nothing.")
    console.print(f"Expected NPV {fmt(float(p.probability @ run.npv), cur)}; P5 "
                  f"{fmt(run.percentile(5), cur)}, P50 {fmt(run.percentile(50), cur)}, P95 "
                  f"{fmt(run.percentile(95), cur)}; CVaR 95 % {fmt(run.cvar(0.95), cur)} "
                  "(NPV: discounted plan margin net of shortfall penalties, less option "
                  "costs)")
    v = run.values
    if v is not None:
        noise = 1e-7 * max(1.0, abs(v.rp))  # solver tolerance: shown as 0, not -0.0

        def diff(x: float) -> str:
            return fmt(0.0 if abs(x) < noise else x, cur)

        console.print(f"RP {fmt(v.rp, cur)}, WS {fmt(v.ws, cur)}, EEV {fmt(v.eev, cur)}: "
                      f"EVPI {diff(v.evpi)}, VSS {diff(v.vss)}")
