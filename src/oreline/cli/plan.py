"""``oreline plan``: solve a plan, print its summary, optionally write tables and a report."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from oreline.cli.console import console, esc
from oreline.cli.options import check_out
from oreline.cli.printers import print_plan, print_seeded
from oreline.errors import ConfigError

if TYPE_CHECKING:
    from oreline.scenario import Scenario

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
    stock_from: Annotated[str | None, typer.Option(
        "--stock-from", help="Opening stock from this ledger (SQLite path or SQLAlchemy URL), "
        "mapped by the scenario's ledger_map")] = None,
    ledger_map: Annotated[Path | None, typer.Option(
        "--ledger-map", help="YAML file mapping ledger sites, materials and forms to the "
        "scenario's (default: the scenario's ledger_map)")] = None,
) -> None:
    """Solve a plan and print its summary; with --out also write tables and an HTML report."""
    from oreline.planner import run_plan

    check_out(out)
    if ledger_map is not None and stock_from is None:
        raise ConfigError("--ledger-map needs --stock-from LEDGER (the ledger it maps)")
    with console.status("planning", spinner="dots") as status:
        scenario: str | Scenario = source
        if stock_from is not None:
            from oreline.seed import seed_from_ledger

            status.update("reading the ledger's stock")
            scenario = seed_from_ledger(source, stock_from, ledger_map)
        result = run_plan(scenario, progress=lambda step: status.update(step),
                          demand=demand.mode)
        written = []
        if out is not None:
            from oreline.report import write_outputs

            written = write_outputs(result, out, report=report,
                                    progress=lambda step: status.update(step))
    if not quiet:
        if stock_from is not None:
            print_seeded(result.scenario, stock_from)
        print_plan(result)
    if written and out is not None:
        console.print(f"Wrote {len(written)} files to {esc(out)}" +
                      (f" (open {esc(out / 'report.html')})" if report else ""))
