"""``oreline scenario``: list, show, validate and export scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from oreline.cli.console import console, esc
from oreline.cli.handler import Command, group
from oreline.cli.printers import print_scenario, print_scenarios

__all__ = ["app"]

app = group("List, show, validate and export scenarios.")


@app.command("list", cls=Command)
def scenario_list() -> None:
    """List the built-in scenarios."""
    from oreline.scenario import builtin_names, load_scenario

    print_scenarios({name: load_scenario(name) for name in builtin_names()})


@app.command("show", cls=Command)
def scenario_show(name: Annotated[str, typer.Argument(help="Built-in name or file")]) -> None:
    """Print a scenario's entities and counts."""
    from oreline.scenario import load_scenario

    print_scenario(load_scenario(name))


@app.command("validate", cls=Command)
def scenario_validate(source: Annotated[str, typer.Argument(help="Scenario file or folder")]
                      ) -> None:
    """Check a scenario; list every problem with its file and line."""
    from oreline.network import compile_network
    from oreline.scenario import load_scenario

    sc = load_scenario(source)
    net = compile_network(sc)
    console.print(f"[green]valid[/green]: {esc(sc.name)} ({len(sc.commodities)} commodities, "
                  f"{len(sc.processes)} processes, {len(sc.contracts)} contracts, "
                  f"{len(sc.customers)} customers, {len(sc.options)} investment options; "
                  f"{len(net.classes) - 1} origin classes)")


@app.command("export", cls=Command)
def scenario_export(
    name: Annotated[str, typer.Argument(help="Built-in name or scenario file")],
    fmt: Annotated[Literal["yaml", "csv", "xlsx"], typer.Option(
        "--format", help="YAML file, CSV folder or Excel workbook")] = "yaml",
    out: Annotated[Path | None, typer.Option(help="Output file or folder")] = None,
) -> None:
    """Write a scenario as YAML, a CSV folder or an Excel workbook to start your own from."""
    from oreline.scenario import export_scenario, load_scenario

    sc = load_scenario(name)
    target = out or Path(f"{sc.name}{'' if fmt == 'csv' else '.' + fmt}")
    export_scenario(sc, target, fmt)
    console.print(f"Wrote {esc(target)}")
