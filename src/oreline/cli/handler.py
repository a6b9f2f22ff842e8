"""The one error handler of the command line, and the command classes that use it.

Every command is a :class:`Command`, every group a :class:`Group` (:func:`group` makes
one). A :class:`~oreline.errors.OrelineError` raised by a command is printed by
:func:`report` (its message, never a traceback) and the command exits with the error
class's code (the tree is drawn in :mod:`oreline.errors`). A failed check exits 9.

Flags take no value, so their help shows no type: typer (0.27 on) fills the type column
of its rich help from each parameter's annotation, flags and ``--help`` too (``<bool>``);
:class:`Command` and :class:`Group` blank it for flags, where a value type would mislead.
"""

from __future__ import annotations

import re
from typing import Any

import typer
from rich.text import Text
from typer.core import TyperCommand, TyperGroup

from oreline.cli.console import err_console, esc, printable
from oreline.errors import CaptureError, Issue, OrelineError

__all__ = ["Command", "Group", "ReportsErrors", "group", "report"]

#: Problems of a capture listed one by one (more: the first ones, then a count by kind).
_MAX_SHOWN, _SHOWN = 40, 25


def report(exc: OrelineError) -> None:
    """Print an Oreline error on stderr: its message, or a capture's problems one a line."""
    if isinstance(exc, CaptureError):
        err_console.print(f"[bold red]{esc(exc.title)}[/]: {len(exc.issues)} problem(s); "
                          "nothing was written")
        shown = exc.issues if len(exc.issues) <= _MAX_SHOWN else exc.issues[:_SHOWN]
        for issue in shown:
            err_console.print(Text.assemble(("  - ", "red"), printable(str(issue))),
                              highlight=False)
        if len(shown) < len(exc.issues):
            err_console.print(f"  ... and {len(exc.issues) - len(shown)} more: "
                              + esc(_kinds(exc.issues[len(shown):])), highlight=False)
        return
    err_console.print(Text.assemble(("error", "bold red"), f": {printable(str(exc))}"),
                      highlight=False)


def _kinds(issues: list[Issue]) -> str:
    """Counts of problems by field and message (IDs and numbers left out), most first."""
    counts: dict[str, int] = {}
    for issue in issues:
        what = re.sub(r"(?:urn|ni|https?):\S+|\d[\d.,:+-]*", "...",
                      f"{issue.field}: {issue.message}")
        counts[what] = counts.get(what, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    return "; ".join(f"{n} x {what}" for what, n in ranked[:5]) + (
        "; ..." if len(ranked) > 5 else "")


def _untyped_flags(params: list[Any]) -> list[Any]:
    """``params`` with the help type of every flag blanked (a flag takes no value)."""
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""  # the rich help prints a metavar in place of the type
    return params


class ReportsErrors:
    """Mixin for a click command or group: an OrelineError becomes a message and exit code."""

    def invoke(self, ctx: Any) -> Any:
        """Run; an :class:`OrelineError` is reported and exits with its code."""
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except OrelineError as exc:
            report(exc)
            raise typer.Exit(exc.exit_code) from None


class Command(ReportsErrors, TyperCommand):
    """A command whose Oreline errors become a message and the error's exit code."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The parameters, flags without a help type."""
        return _untyped_flags(super().get_params(ctx))


class Group(TyperGroup):
    """A group of commands whose help shows no type for its flags (``--help``)."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The parameters, flags without a help type."""
        return _untyped_flags(super().get_params(ctx))


def group(help_text: str) -> typer.Typer:
    """A typer group of :class:`Command` s: help on no arguments, no completion options."""
    return typer.Typer(cls=Group, help=help_text, no_args_is_help=True, add_completion=False,
                       pretty_exceptions_enable=False)
