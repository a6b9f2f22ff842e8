"""``oreline plan``: solve a plan, print its summary, optionally write tables and a report."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import typer

from oreline.cli.console import console
from oreline.cli.options import check_out
from oreline.cli.printers import print_plan

__all__ = ["DemandChoice", "plan"]


class DemandChoice(StrEnum):
    """``--demand``: how much of the sales pipeline the plan serves."""

    firm = "firm"
    expected = "expected"
    all = "all"

    @property
    def mode(self) -> Literal["firm", "expected", "all"]:
        """The library's demand mode."""
        return self.value  # type: ignore[return-value]


def plan(
    source: Annotated[str, typer.Argument(help="Built-in scenario name or scenario file/folder")]
    = "kmp",
    out: Annotated[Path | None, typer.Option(help="Write tables and report.html here")] = None,
    report: Annotated[bool, typer.Option(help="Write report.html with --out")] = True,
    quiet: Annotated[bool, typer.Option(help="Print only the output paths")] = False,
    demand: Annotated[DemandChoice, typer.Option(
        help="Demand to plan for: firm (signed contracts), expected (contracts + "
             "probability-weighted enquiries) or all (every enquiry as if converted)")]
    = DemandChoice.expected,
) -> None:
    """Solve a plan and print its summary; with --out also write tables and an HTML report."""
    from oreline.planner import run_plan

    check_out(out)
    with console.status("planning", spinner="dots") as status:
        result = run_plan(source, progress=lambda step: status.update(step),
                          demand=demand.mode)
        written = []
        if out is not None:
            from oreline.report import write_outputs

            written = write_outputs(result, out, report=report,
                                    progress=lambda step: status.update(step))
    if not quiet:
        print_plan(result)
    if written and out is not None:
        console.print(f"Wrote {len(written)} files to {out}" +
                      (f" (open {out / 'report.html'})" if report else ""))
