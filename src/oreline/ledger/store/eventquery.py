"""Events that answer an EPCIS query, in capture order, a page at a time.

The indexed columns of ``entries`` (event type, business step, eventID, record time,
sequence) are filtered in SQL with bound parameters; the rest of the query
(:meth:`~oreline.ledger.epcis.query.EventQuery.matches`) is tested on each event's
stored body, a chunk of rows at a time, until a page is full. Error declarations are
entries of their own and are not returned as events.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, select

from oreline.ledger.epcis.canonical import loads_json
from oreline.ledger.epcis.query import EventQuery, utc_text
from oreline.ledger.store.schema import entries

__all__ = ["FoundEvent", "distinct_values", "event_by_id", "find_events"]

_CHUNK = 500


@dataclass(frozen=True)
class FoundEvent:
    """One stored event: its sequence number in the ledger and its body as captured."""

    seq: int
    body: dict[str, Any]


def _statement(query: EventQuery, after: int, upto: int | None) -> Select[Any]:
    e = entries.c
    stmt = select(e.seq, e.body).where(e.kind == "event", e.seq > after)
    if upto is not None:
        stmt = stmt.where(e.seq <= upto)
    if query.event_types:
        stmt = stmt.where(e.event_type.in_(query.event_types))
    if query.biz_steps:
        stmt = stmt.where(e.biz_step.in_(query.biz_steps))
    if query.event_ids:
        stmt = stmt.where(e.event_id.in_(query.event_ids))
    if query.ge_record_time is not None:
        stmt = stmt.where(e.recorded_at >= utc_text(query.ge_record_time))
    if query.lt_record_time is not None:
        stmt = stmt.where(e.recorded_at < utc_text(query.lt_record_time))
    return stmt.order_by(e.seq)


def _scan(conn: Connection, query: EventQuery, after: int,
          upto: int | None) -> Iterator[FoundEvent]:
    while True:
        rows = conn.execute(_statement(query, after, upto).limit(_CHUNK)).all()
        for seq, body in rows:
            event = loads_json(body)
            if query.matches(event):
                yield FoundEvent(seq, event)
        if len(rows) < _CHUNK:
            return
        after = rows[-1][0]


def find_events(conn: Connection, query: EventQuery, *, after: int = 0, limit: int = 30,
                upto: int | None = None) -> tuple[list[FoundEvent], bool]:
    """Up to ``limit`` events answering ``query`` with ``seq`` above ``after``.

    ``upto`` bounds the sequence numbers (the events of one capture, for a
    subscription). Returns the events and whether more follow.
    """
    if not query.needs_body:
        rows = conn.execute(_statement(query, after, upto).limit(limit + 1)).all()
        found = [FoundEvent(seq, loads_json(body)) for seq, body in rows]
    else:
        found = []
        for ev in _scan(conn, query, after, upto):
            found.append(ev)
            if len(found) > limit:
                break
    return found[:limit], len(found) > limit


def event_by_id(conn: Connection, event_id: str) -> dict[str, Any] | None:
    """The event with ``event_id`` as captured, or None."""
    e = entries.c
    body = conn.execute(select(e.body).where(e.event_id == event_id, e.kind == "event")
                        .order_by(e.seq).limit(1)).scalar()
    return None if body is None else dict(loads_json(body))


def distinct_values(conn: Connection, column: str) -> list[str]:
    """The distinct event types (``event_type``) or business steps (``biz_step``) held."""
    col = {"event_type": entries.c.event_type, "biz_step": entries.c.biz_step}[column]
    return sorted(v for v in conn.execute(
        select(col).where(entries.c.kind == "event").distinct()).scalars() if v)
