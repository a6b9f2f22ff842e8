"""``oreline stress``: a stress sweep on live HiGHS models, with a progress bar and summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from oreline.cli.console import console, esc
from oreline.cli.options import check_out
from oreline.cli.printers import print_stress

__all__ = ["stress"]


def stress(
    source: Annotated[str, typer.Argument(help="Stress file, or a built-in set (kmp)")] = "kmp",
    samples: Annotated[int | None, typer.Option(min=1, help="Monte Carlo samples "
                                                         "(file default)")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (file default)")] = None,
    executor: Annotated[Literal["inprocess", "process", "dask"], typer.Option(
        help="Where samples are solved")] = "process",
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
    from oreline.stress.campaign import run_stress

    check_out(out)
    chosen: str = executor
    if dask_local is not None or scheduler is not None:
        chosen, workers = "dask", dask_local or workers
    with _progress_bar() as progress:
        run = run_stress(source, samples, seed, chosen, workers, scheduler, mitigation,
                         progress)
    print_stress(run)
    if out is not None:
        from oreline.report.stress import render_stress_report, write_stress_outputs

        page = render_stress_report(
            run.stress.name, run.stress.description, run.summary, run.customers, run.tornado,
            run.sweep.metrics, run.sweep.base["margin"], run.named,
            run.mitigation.table if run.mitigation else None,
            run.mitigated_sweep.metrics if run.mitigated_sweep else None)
        written = write_stress_outputs(out, run.tables(), page)
        console.print(f"Wrote {len(written)} files to {esc(out)} "
                      f"(open {esc(out / 'stress_report.html')})")


@contextmanager
def _progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback ``(phase, done, total)`` drawing one bar per phase."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

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

        yield progress
