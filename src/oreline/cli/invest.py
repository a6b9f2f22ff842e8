"""``oreline invest``: which options to fund and when, with the value of the decision."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.table import Table

from oreline.cli.console import console, esc, fmt
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
    out: Annotated[Path | None, typer.Option(help="Write the decision and NPV tables here")]
    = None,
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
    from oreline.invest.runner import run_invest

    check_out(out)
    chosen: str = "dask" if scheduler is not None else executor
    with _progress() as (status, bar):
        run = run_invest(source, stress, samples, seed, risk_weight, alpha, method, values,
                         progress=status, executor=chosen, workers=workers,
                         scheduler=scheduler, gap=gap, on_benders=bar)
    print_invest(run)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        run.decisions.to_csv(out / "decisions.csv", index=False)
        import pandas as pd

        pd.DataFrame({"scenario": run.problem.names, "npv": run.npv}).to_csv(
            out / "npv.csv", index=False)
        console.print(f"Wrote decisions.csv and npv.csv to {esc(out)}")


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
