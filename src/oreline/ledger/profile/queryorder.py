"""``orderBy``, ``orderDirection``, ``eventCountLimit`` and ``maxEventCount``.

``orderBy`` is ``eventTime``, ``recordTime`` or the name of a top-level extension
field (``ex:grade`` or ``https://ex.com/voc/#grade``) whose values are numbers, times
or text; ``orderDirection`` is ``ASC`` or ``DESC`` (the standard's default). Events
with the same key keep capture order (ascending) or its reverse (descending); events
without the field come last. ``eventCountLimit`` (needs ``orderBy``) keeps the first N
events of that order; ``maxEventCount`` refuses a query that would answer more than N
(the REST binding's 413 ``QueryTooLargeException``). The two exclude each other.

Examples
--------
>>> o = order_of({"orderBy": ["eventTime"], "orderDirection": ["ASC"], "eventCountLimit": ["1"]})
>>> o.field, o.descending, o.limit
('eventTime', False, 1)
>>> order_of({"eventCountLimit": ["5"]})
Traceback (most recent call last):
...
oreline.errors.QueryError: eventCountLimit needs orderBy (the first N events of which ...

"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from oreline.errors import QueryError
from oreline.ledger.profile.queryfields import field_name, field_values
from oreline.ledger.profile.queryvalues import parse_time, whole

__all__ = ["ORDER_PARAMETERS", "Order", "SortKey", "event_key", "limits_of", "order_of", "sort_key"]

#: The parameters this module reads.
ORDER_PARAMETERS = frozenset({"orderBy", "orderDirection", "eventCountLimit",
                              "maxEventCount"})
#: A sort key: (0, number) for numbers and times (as seconds), (1, text) for text.
SortKey = tuple[int, float | str]


@dataclass(frozen=True)
class Order:
    """How results are ordered: by a column (eventTime, recordTime) or a field."""

    field: str
    descending: bool = True
    limit: int | None = None
    #: a field's name as written (it matches events that write it so)
    written: str = ""

    @property
    def column(self) -> bool:
        """Whether the ledger's indexed columns give this order (no body read)."""
        return self.field in ("eventTime", "recordTime")


def order_of(params: Mapping[str, list[str]]) -> Order | None:
    """The :class:`Order` the parameters ask for, or None (capture order)."""
    by = params.get("orderBy")
    direction = params.get("orderDirection")
    limit = whole("eventCountLimit", params["eventCountLimit"]) \
        if "eventCountLimit" in params else None
    if "eventCountLimit" in params and "maxEventCount" in params:
        raise QueryError("eventCountLimit", "eventCountLimit and maxEventCount exclude each "
                                            "other; keep one (eventCountLimit to cut the "
                                            "answer, maxEventCount to refuse a larger one)")
    if direction is not None and (len(direction) != 1 or direction[0] not in ("ASC", "DESC")):
        raise QueryError("orderDirection", f"orderDirection={'|'.join(direction)!r} is "
                                           "neither ASC nor DESC; give one of them")
    if by is None:
        if limit is not None:
            raise QueryError("eventCountLimit", "eventCountLimit needs orderBy (the first N "
                                                "events of which order?); add "
                                                "orderBy=eventTime or orderBy=recordTime")
        return None
    if len(by) != 1 or (by[0] not in ("eventTime", "recordTime") and field_name(by[0]) is None):
        raise QueryError("orderBy", f"orderBy={'|'.join(by)!r} is not eventTime, recordTime "
                                    "nor an extension field; give one of them (a field as "
                                    "prefix:name or namespace#name)")
    field = by[0] if by[0] in ("eventTime", "recordTime") else str(field_name(by[0]))
    return Order(field, direction != ["ASC"], limit, by[0])


def limits_of(params: Mapping[str, list[str]]) -> int | None:
    """The ``maxEventCount`` of the parameters, or None."""
    return whole("maxEventCount", params["maxEventCount"]) if "maxEventCount" in params \
        else None


def sort_key(value: Any) -> SortKey | None:
    """The key a field's value sorts by (None: it has no value that sorts)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return (0, float(value))
    if isinstance(value, str):
        when = parse_time(value)
        return (0, when.astimezone(UTC).timestamp()) if when else (1, value)
    if isinstance(value, Mapping) and "@value" in value:
        return sort_key(value["@value"])
    return None


def event_key(order: Order, event: Mapping[str, Any]) -> SortKey | None:
    """The sort key of ``event`` under a field order (the first value that sorts)."""
    for value in field_values(event, "", False, frozenset({order.field, order.written})):
        got = sort_key(value)
        if got is not None:
            return got
    return None
