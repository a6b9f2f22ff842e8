"""Numbers and tables for people: the one formatting module every page and report uses.

The server's templates format through these functions (registered as Jinja filters in
:mod:`oreline.api.routing`) and so does the static ``report.html``
(:mod:`oreline.report.html`), so a tonnage, a price or a share reads the same
everywhere: thousands separators, a unit, no ``-0.0`` and no ``29.999999999999996``.

Examples
--------
>>> number(29.999999999999996)
'30'
>>> number(-0.00001, 2)
'0'
>>> tonnes(12345.678)
'12,345.7 t'
>>> money(-1_234_567, "USD")
'-1.23 M USD'
>>> percent(0.98765)
'98.8 %'
>>> header("unqualified_demand_t")
'unqualified demand (t)'

"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["Table", "header", "money", "number", "percent", "table", "timestamp", "tonnes",
           "value"]

#: Column-name endings and the unit they stand for (longest first).
_UNITS = {"_per_t_yr": "per t a year", "_per_t": "per t", "_seconds": "s", "_usd": "USD",
          "_kg": "kg", "_t": "t"}
#: Whole column names said in words where the name alone is terse.
_WORDS = {
    "origin_class": "origin class",
    "fill_rate": "fill rate", "kind": "kind", "period": "month", "seq": "entry",
    "utilisation": "utilisation", "dfars": "DFARS 2027", "crma": "CRMA",
    "margin_change_p10": "margin change, numbers at P10 (currency)",
    "margin_change_p90": "margin change, numbers at P90 (currency)",
    "worst": "worst margin change (currency)", "best": "best margin change (currency)",
    "cost": "cost (currency)", "revenue": "revenue (currency)", "margin": "margin (currency)",
    "p_extra_shortfall": "chance of extra shortfall", "kg": "mass (kg)",
}
#: Columns shown as whole numbers (counts, and sums of money).
_WHOLE = ("seq", "count", "cost", "revenue", "margin", "price_per_t", "objective", "penalty",
          "margin_change_p10", "margin_change_p90", "worst", "best")
#: Most decimals a small non-zero amount gets.
_SMALL_DIGITS = 4
#: Columns that hold shares between 0 and 1 (shown as percentages).
_SHARES = ("fill_rate", "utilisation", "share", "probability", "dfars_share")


def _clean(x: float, digits: int) -> float:
    """``x`` rounded to ``digits`` with negative zero folded into zero."""
    r = round(x, digits)
    return 0.0 if r == 0 else r


def number(x: float | int | None, digits: int = 1) -> str:
    """``x`` with thousands separators and at most ``digits`` decimals, no trailing zeros.

    >>> number(1234.5)
    '1,234.5'
    >>> number(2.0)
    '2'
    >>> number(float("nan"))
    '–'
    """
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    r = _clean(float(x), digits)
    text = f"{r:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def tonnes(x: float | None, digits: int = 1) -> str:
    """A mass in tonnes (below 1 t, kilograms read better).

    >>> tonnes(0.25)
    '250 kg'
    """
    if x is not None and math.isfinite(x) and 0 < abs(x) < 1:
        return f"{number(x * 1000, 1)} kg"
    return f"{number(x, digits)} t"


def money(x: float | None, currency: str = "USD") -> str:
    """A sum of money in millions above a million, else in full.

    >>> money(950.4, "EUR")
    '950 EUR'
    """
    if x is None or not math.isfinite(x):
        return "–"
    if abs(x) >= 1e6:
        return f"{number(x / 1e6, 2)} M {currency}"
    return f"{number(x, 0)} {currency}"


def percent(x: float | None, digits: int = 1) -> str:
    """A share as a percentage."""
    if x is None or not math.isfinite(x):
        return "–"
    return f"{number(x * 100, digits)} %"


def header(column: str) -> str:
    """A column name in words, with its unit in brackets."""
    if column in _WORDS:
        return _WORDS[column]
    for end, unit in _UNITS.items():
        if column.endswith(end):
            return f"{column[: -len(end)].replace('_', ' ')} ({unit})"
    return column.replace("_", " ")


_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")


def timestamp(text: str) -> str:
    """An ISO 8601 time as a person reads it (minutes, and UTC named); other text as it is.

    >>> timestamp("2026-12-23T01:40:00+00:00"), timestamp("2026-12-23T01:40:00.5+02:00")
    ('2026-12-23 01:40 UTC', '2026-12-23 01:40 +02:00')
    """
    match = _ISO.match(text)
    if not match:
        return text
    day, minute, zone = match.groups()
    return f"{day} {minute} {'UTC' if zone in ('Z', '+00:00') else zone}"


def value(column: str, x: Any, digits: int | None = None) -> str:
    """One cell: shares as percentages, masses and prices as numbers, text as it is.

    ``digits`` overrides the decimals a number column gets by its name.

    A small amount that would round to 0 gets up to four decimals (solver noise below
    that still reads 0); sums of money are whole.

    >>> value("quantity_t", 0.00046), value("imbalance_t", -1e-9), value("cost", 910.24)
    ('0.0005', '0', '910')
    """
    if isinstance(x, bool) or x is None:
        return "–" if x is None else ("yes" if x else "no")
    if isinstance(x, (int, float)):
        if column.startswith("p_") or any(column.endswith(s) for s in _SHARES):
            return percent(float(x))
        if digits is None:
            digits = 0 if column in _WHOLE else 2 if column.endswith("_kg") else 1
        if 0 < abs(x) < 0.5 * 10.0 ** -digits:  # not a misleading 0 for a small amount
            digits = min(_SMALL_DIGITS, max(digits, 1 - math.floor(math.log10(abs(x)))))
        return number(x, digits)
    return timestamp(x) if isinstance(x, str) else str(x)


@dataclass(frozen=True)
class Table:
    """A table ready for a template: headers in words, formatted cells, its truncation."""

    columns: list[str]
    headers: list[str]
    rows: list[list[str]]
    raw: list[list[Any]]
    total: int

    @property
    def truncated(self) -> bool:
        """Whether rows were left out."""
        return self.total > len(self.rows)


def _plain(x: Any) -> Any:
    """A JSON-ready scalar (numpy numbers become Python ones, NaN becomes None)."""
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def table(data: pd.DataFrame | Sequence[Mapping[str, Any]], limit: int = 500,
          columns: Sequence[str] | None = None, digits: int | None = None) -> Table:
    """The first ``limit`` rows of ``data`` formatted for people (``digits``: see :func:`value`).

    >>> t = table(pd.DataFrame({"customer": ["a", "b"], "quantity_t": [1.0, -0.0]}), limit=1)
    >>> t.headers, t.rows, t.truncated
    (['customer', 'quantity (t)'], [['a', '1']], True)
    """
    df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(list(data))
    cols = list(columns) if columns is not None else [str(c) for c in df.columns]
    shown = df.head(limit)
    raw = [[_plain(v) for v in row] for row in shown[cols].itertuples(index=False)] \
        if cols else []
    rows = [[value(c, v, digits) for c, v in zip(cols, r, strict=True)] for r in raw]
    return Table(cols, [header(c) for c in cols], rows, raw, len(df))
