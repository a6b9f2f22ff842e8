"""Values of EPCIS query parameters: times, numbers, booleans, and how they compare.

Every parser takes the parameter's name and its values (already split on ``|``) and
raises :class:`~oreline.errors.QueryError` naming the parameter and the fix.
:func:`compare` is the one comparison of the ``EQ_`` / ``GT_`` / ``GE_`` / ``LT_`` /
``LE_`` families: numbers as numbers, times as instants, anything else as text.

Examples
--------
>>> number("GE_quantity", ["2.5"])
2.5
>>> compare("GE", 3, 2.5), compare("LT", "2026-01-01T09:00:00+09:00", "2026-01-01T00:00:01Z")
(True, True)
>>> number("GE_quantity", ["ten"])
Traceback (most recent call last):
...
oreline.errors.QueryError: GE_quantity='ten' is not a number; give one such as 1000 or 2.5

"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from oreline.errors import QueryError

__all__ = ["OPERATORS", "compare", "flag", "instant", "number", "parse_time", "scalar", "whole"]

#: The comparison prefixes of parameter names, and what each asks of a value.
OPERATORS = ("EQ", "GT", "GE", "LT", "LE")


def _one(name: str, values: list[str], example: str) -> str:
    if len(values) != 1:
        raise QueryError(name, f"{name} takes one value, got {len(values)}; give one such "
                               f"as {example}")
    return values[0]


def parse_time(text: str) -> datetime | None:
    """``text`` as an instant when it is a time with its offset, else None."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def instant(name: str, values: list[str]) -> datetime:
    """The one time a parameter such as ``GE_eventTime`` gives."""
    if len(values) != 1:
        raise QueryError(name, f"{name} takes one time, got {len(values)}; give one "
                               "such as 2026-03-01T00:00:00Z")
    when = parse_time(values[0])
    if when is None:
        raise QueryError(name, f"{name}={values[0]!r} is not a time with its offset; give "
                               "one such as 2026-03-01T00:00:00Z or 2026-03-01T09:00:00+09:00")
    return when


def number(name: str, values: list[str]) -> float:
    """The one number a parameter such as ``GE_quantity`` gives."""
    text = _one(name, values, "1000 or 2.5")
    try:
        got = float(text)
    except ValueError:
        got = math.nan
    if not math.isfinite(got):
        raise QueryError(name, f"{name}={text!r} is not a number; give one such as 1000 "
                               "or 2.5")
    return got


def whole(name: str, values: list[str]) -> int:
    """The one whole number above zero a parameter such as ``eventCountLimit`` gives."""
    text = _one(name, values, "10")
    if not text.isdigit() or int(text) < 1:
        raise QueryError(name, f"{name}={text!r} is not a whole number above zero; give "
                               "one such as 10")
    return int(text)


def flag(name: str, values: list[str]) -> bool:
    """A boolean parameter: ``true`` or ``false`` (no value at all is true)."""
    text = _one(name, values or ["true"], "true or false").lower()
    if text not in ("true", "false"):
        raise QueryError(name, f"{name}={values[0]!r} is not a boolean; give true or false")
    return text == "true"


def scalar(text: str) -> float | datetime | str:
    """A query value as the kind it reads as: a number, a time, or text."""
    try:
        got = float(text)
    except ValueError:
        return parse_time(text) or text
    return got if math.isfinite(got) else text


def _kind(value: Any) -> float | datetime | str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return parse_time(value) or value
    return None


def compare(op: str, got: Any, want: Any) -> bool:
    """Whether a field's value ``got`` stands in ``op`` (EQ, GT, GE, LT, LE) to ``want``.

    A number compares with a number, a time with a time (as instants) and text with
    text (``EQ`` only, or lexically); a value of another kind never matches.
    """
    a, b = _kind(got), _kind(want) if not isinstance(want, float | datetime) else want
    if isinstance(a, str) and not isinstance(b, str):
        a = scalar(a) if isinstance(b, float) else a
    if a is None or b is None or type(a) is not type(b):
        return False
    if op == "EQ":
        return bool(a == b)
    if op == "GT":
        return bool(a > b)  # type: ignore[operator]
    if op == "GE":
        return bool(a >= b)  # type: ignore[operator]
    if op == "LT":
        return bool(a < b)  # type: ignore[operator]
    return bool(a <= b)  # type: ignore[operator]
