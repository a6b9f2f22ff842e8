"""The one console of the command line, and the printers every group shares.

Results go to :data:`console` (stdout), errors to :data:`err_console` (stderr). Both print
ids such as ``urn:oreline:lot:x`` as written (no emoji codes) and never break them across
lines (soft wrap), so they can be copied whatever the terminal's width.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

__all__ = ["console", "emit", "err_console", "esc", "fmt", "print_json", "print_table",
           "print_wide", "printable"]

console = Console(emoji=False, soft_wrap=True)
err_console = Console(stderr=True, emoji=False, soft_wrap=True)


def fmt(x: float, unit: str = "") -> str:
    """A quantity with one decimal and thousands separators, in millions from 1e6.

    Examples
    --------
    >>> fmt(1234.56, "t"), fmt(2.5e6, "USD")
    ('1,234.6 t', '2.5 M USD')

    """
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.1f} M{(' ' + unit) if unit else ''}"
    return f"{x:,.1f}{(' ' + unit) if unit else ''}"


def esc(value: object) -> str:
    r"""``value`` as text that Rich prints as written, never as a markup tag.

    Every piece of user text (names, ids, descriptions, origins such as
    ``[mined=AU, separated=MY]``, ledger fields, paths) that goes into a printed
    string or a table cell passes through here; Rich would otherwise take
    ``[...]`` for a style and swallow it.

    Examples
    --------
    >>> esc("lynas [mined=AU, separated=MY]")
    'lynas \\[mined=AU, separated=MY]'

    """
    return escape(printable(str(value)))


def printable(text: str) -> str:
    r"""``text`` with what UTF-8 cannot encode (a lone surrogate from the input) escaped.

    Examples
    --------
    >>> printable("urn:x:\ud800")
    'urn:x:\\ud800'

    """
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def print_json(data: Any) -> None:
    """Print ``data`` as JSON: highlighted in a terminal, exactly as text when piped."""
    text = json.dumps(data, default=str, indent=2)
    if console.is_terminal:
        console.print_json(text)
    else:  # piped or redirected: the JSON exactly, for the next program
        sys.stdout.write(text + "\n")


def print_table(table: Table) -> None:
    """A table at its natural width when piped, folded (never cut) in a terminal."""
    for column in table.columns:
        column.overflow = "fold"  # whole URIs, never cut to "urn:oreline..."
    print_wide(table)


def print_wide(thing: Table | Tree) -> None:
    """Print to the terminal, or when piped at full width (nothing cut at 80 columns)."""
    if console.is_terminal:
        console.print(thing)
    else:  # no terminal width to fit: each line as long as it needs
        Console(file=sys.stdout, width=10_000, emoji=False, soft_wrap=True).print(thing)


def emit(text: str, output: Path | None, summary: str) -> None:
    """Print ``text`` as it is (JSON, HTML, EPCIS), or write it to ``output`` and say so."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {esc(output)}: {esc(summary)}")
