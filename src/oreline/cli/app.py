"""The ``oreline`` command line: the root app, its groups and the console entry point.

A thin layer over the library: each command parses its options, calls the library and
calls a printer (:mod:`oreline.cli.printers`, :mod:`oreline.cli.trace_printers`). Every
command is a :class:`~oreline.cli.handler.Command`, so an
:class:`~oreline.errors.OrelineError` prints its message (never a traceback) and exits
with the error's code.
"""

from __future__ import annotations

from typing import Annotated

import typer

from oreline.cli.console import console
from oreline.cli.handler import Command, Group
from oreline.cli.invest import invest
from oreline.cli.plan import plan
from oreline.cli.scenario import app as scenario_app
from oreline.cli.serve import app as serve_app
from oreline.cli.stress import stress
from oreline.cli.trace import app as trace_app

__all__ = ["app", "main"]

app = typer.Typer(
    cls=Group,
    name="oreline",
    help="Plan, stress-test and trace mine-to-metal supply chains for critical metals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"oreline {version('oreline')}", highlight=False)
        raise typer.Exit


@app.callback()
def _root(
    _version: Annotated[bool, typer.Option(
        "--version", is_eager=True, callback=_print_version,
        help="Print the installed version and exit.")] = False,
) -> None:
    pass


app.command("plan", cls=Command)(plan)
app.command("stress", cls=Command)(stress)
app.command("invest", cls=Command)(invest)
app.add_typer(scenario_app, name="scenario")
app.add_typer(trace_app, name="trace")
app.add_typer(serve_app, name="serve")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``oreline`` console script (click exits 2 on usage errors)."""
    app(args=argv)


if __name__ == "__main__":  # pragma: no cover
    main()
