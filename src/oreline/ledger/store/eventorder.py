"""Where a page of ordered query results starts: positions, sort columns, keyset bounds.

Events in capture order page by sequence number. ``orderBy=eventTime`` pages through
:data:`~oreline.ledger.store.schema.event_times` (each event's time as sortable UTC
text, indexed with ``seq``), ``orderBy=recordTime`` through ``entries.recorded_at``:
a :class:`Position` holds the last event's key and ``seq``, and the next page starts
strictly after that pair, so a page never repeats or skips an event however many share
one time. An order by an extension field is sorted in Python
(:func:`~oreline.ledger.store.eventquery.find_page`) and its position is the last
event's ``seq`` alone.

Examples
--------
>>> from datetime import datetime, timedelta, timezone
>>> sortable_utc(datetime(2026, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=9))))
'2026-03-01T00:00:00.000000Z'

"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from oreline.ledger.profile.queryorder import Order
from oreline.ledger.store.schema import entries, event_times

__all__ = ["Position", "after_position", "sort_column", "sortable_utc", "tie_column"]


def sortable_utc(when: datetime) -> str:
    """``when`` as UTC text that sorts as time does (fixed width, microseconds)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Position:
    """The last event of the pages served: its ``seq``, sort ``key``, events so far.

    ``Position()`` is the start. ``count`` lets ``eventCountLimit`` hold across pages.
    """

    seq: int = 0
    key: str | None = None
    count: int = 0

    @property
    def at_start(self) -> bool:
        """Whether no page has been served yet."""
        return self.seq == 0 and self.key is None


def sort_column(order: Order | None) -> Any:
    """The column an order by eventTime or recordTime sorts on (None: by ``seq``)."""
    if order is None or not order.column:
        return None
    return event_times.c.event_at if order.field == "eventTime" else entries.c.recorded_at


def tie_column(order: Order | None) -> Any:
    """The ``seq`` that breaks ties: the sort column's own table's, so one index serves."""
    if order is not None and order.field == "eventTime":
        return event_times.c.seq
    return entries.c.seq


def after_position(order: Order | None, pos: Position) -> ColumnElement[bool] | None:
    """The bound that starts a page strictly after ``pos`` (None: from the start)."""
    column = sort_column(order)
    seq = tie_column(order)
    if column is None:
        return seq > pos.seq if pos.seq else None
    if pos.at_start or pos.key is None:
        return None
    assert order is not None
    if order.descending:
        return or_(column < pos.key, and_(column == pos.key, seq < pos.seq))
    return or_(column > pos.key, and_(column == pos.key, seq > pos.seq))
