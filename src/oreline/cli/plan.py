"""``oreline plan``: solve a plan, print its summary, optionally write tables and a report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oreline.cli.console import console, esc
from oreline.cli.options import check_out
from oreline.cli.printers import print_plan

__all__ = ["plan"]


def plan(
    source: Annotated[str, typer.Argument(help="Built-in scenario name or scenario file/folder")]
    = "kmp",
    out: Annotated[Path | None, typer.Option(help="Write tables and report.html here")] = None,
    report: Annotated[bool, typer.Option(help="Write report.html with --out")] = True,
    quiet: Annotated[bool, typer.Option(help="Print only the output paths")] = False,
) -> None:
    """Solve a plan and print its summary; with --out also write tables and an HTML report."""
    from oreline.planner import run_plan

    check_out(out)
    with console.status("planning", spinner="dots") as status:
        result = run_plan(source, progress=lambda step: status.update(step))
        written = []
        if out is not None:
            from oreline.report import write_outputs

            written = write_outputs(result, out, report=report,
                                    progress=lambda step: status.update(step))
    if not quiet:
        print_plan(result)
    if written and out is not None:
        console.print(f"Wrote {len(written)} files to {esc(out)}" +
                      (f" (open {esc(out / 'report.html')})" if report else ""))
