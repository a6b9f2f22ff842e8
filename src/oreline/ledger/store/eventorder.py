"""Where a page of ordered query results starts: positions, sort columns, keyset bounds.

Events in capture order page by sequence number. ``orderBy=eventTime`` pages through the
index of ``entries`` on (``event_time``, ``seq``): capture writes every event time in
UTC as Python's ``isoformat`` does (``2026-03-01T00:00:00+00:00``, or with ``.250000``
when the millisecond is not zero), and such texts sort byte by byte as their instants do
(the ``+`` of a whole second sorts before the ``.`` of a fraction). SQLite compares
bytes; PostgreSQL is told to (``COLLATE "C"``, which its index uses too), as a database
collation could order ``+`` and ``.`` otherwise. ``orderBy=recordTime`` pages by
sequence number: the ledger records events one capture at a time under its write lock,
taking each capture's record time inside the lock, so record times never decrease along
the chain (unless the server's clock is set back, when the sequence is still the order
the events were recorded in), and the primary key serves the order without an index of
its own. A :class:`Position` holds the last
event's key and ``seq``, and the next page starts strictly after that pair, so a page
never repeats or skips an event however many share one time. An order by an extension
field is sorted in Python (:func:`~oreline.ledger.store.eventquery.find_page`) and its
position is the last event's ``seq`` alone.

Examples
--------
>>> from datetime import datetime, timedelta, timezone
>>> utc = [datetime(2026, 3, 1, 9, 0, 0, ms * 1000, tzinfo=timezone(timedelta(hours=h)))
...        .astimezone(timezone.utc).isoformat() for h, ms in ((9, 250), (9, 0), (8, 0))]
>>> utc
['2026-03-01T00:00:00.250000+00:00', '2026-03-01T00:00:00+00:00', '2026-03-01T01:00:00+00:00']
>>> sorted(utc) == [utc[1], utc[0], utc[2]]
True

"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from oreline.ledger.profile.queryorder import Order
from oreline.ledger.store.schema import entries

__all__ = ["Position", "after_position", "backwards", "sort_column", "tie_column"]


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


def sort_column(order: Order | None, dialect: str = "sqlite") -> Any:
    """The column an order by eventTime sorts on (None: by ``seq``, which recordTime is).

    ``dialect`` is the database's (``conn.dialect.name``): on PostgreSQL the event time
    is compared byte by byte (``COLLATE "C"``), as its index is.
    """
    if order is None or not order.column or order.field == "recordTime":
        return None
    return entries.c.event_time.collate("C") if dialect == "postgresql" \
        else entries.c.event_time


def backwards(order: Order | None) -> bool:
    """Whether events in sequence come last first (``orderBy=recordTime``, DESC)."""
    return order is not None and order.field == "recordTime" and order.descending


def tie_column(order: Order | None) -> Any:
    """The ``seq`` that breaks ties."""
    return entries.c.seq


def after_position(order: Order | None, pos: Position,
                   dialect: str = "sqlite") -> ColumnElement[bool] | None:
    """The bound that starts a page strictly after ``pos`` (None: from the start)."""
    column = sort_column(order, dialect)
    seq = tie_column(order)
    if column is None:
        if not pos.seq:
            return None
        bound: ColumnElement[bool] = seq < pos.seq if backwards(order) else seq > pos.seq
        return bound
    if pos.at_start or pos.key is None:
        return None
    assert order is not None
    if order.descending:
        return or_(column < pos.key, and_(column == pos.key, seq < pos.seq))
    return or_(column > pos.key, and_(column == pos.key, seq > pos.seq))
