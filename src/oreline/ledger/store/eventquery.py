"""Events that answer an EPCIS query, in capture order, a page at a time.

The indexed columns of ``entries`` (event type, business step, eventID, record time,
sequence) are filtered in SQL with bound parameters; the rest of the query
(:meth:`~oreline.ledger.profile.query.EventQuery.matches`) is tested on each event's
stored body, a chunk of rows at a time, until a page is full. An error declaration is
an entry of its own (the event re-sent with ``errorDeclaration``): an event is returned
with the ``errorDeclaration`` of its declaration, as the standard's queries return it,
and an event captured without an eventID with the one the ledger gave it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, select

from oreline.ledger.epcis.canonical import loads_json
from oreline.ledger.profile.query import EventQuery, utc_text
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
    stmt = select(e.seq, e.body, e.event_id).where(e.kind == "event", e.seq > after)
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
        for seq, body, event_id in rows:
            event = loads_json(body)
            if query.matches(event):
                yield FoundEvent(seq, _with_id(event, event_id))
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
        found = [FoundEvent(seq, _with_id(loads_json(body), event_id))
                 for seq, body, event_id in rows]
    else:
        found = []
        for ev in _scan(conn, query, after, upto):
            found.append(ev)
            if len(found) > limit:
                break
    page = found[:limit]
    _declare(conn, [f.body for f in page])
    return page, len(found) > limit


def _with_id(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    """The event with the eventID the ledger gave it when it came without one."""
    if "eventID" not in event:
        event["eventID"] = event_id
    return event


def _declare(conn: Connection, events: list[dict[str, Any]]) -> None:
    """Add the ``errorDeclaration`` of each event declared in error (in place)."""
    ids = sorted({str(ev.get("eventID")) for ev in events if ev.get("eventID")})
    if not ids:
        return
    e = entries.c
    declared: dict[str, Any] = {}
    for i in range(0, len(ids), _CHUNK):
        for event_id, body in conn.execute(select(e.event_id, e.body).where(
                e.kind == "error", e.event_id.in_(ids[i:i + _CHUNK])).order_by(e.seq)):
            declared[event_id] = loads_json(body).get("errorDeclaration")
    for ev in events:
        found = declared.get(str(ev.get("eventID")))
        if found is not None and "errorDeclaration" not in ev:
            ev["errorDeclaration"] = found


def event_by_id(conn: Connection, event_id: str) -> dict[str, Any] | None:
    """The event with ``event_id`` as captured (with its error declaration), or None.

    A declaration the ledger holds for an event it has not received is returned as it
    was sent (the event with its ``errorDeclaration``).
    """
    e = entries.c
    rows: list[tuple[str, dict[str, Any]]] = [
        (k, _with_id(dict(loads_json(b)), event_id)) for k, b in conn.execute(
            select(e.kind, e.body).where(e.event_id == event_id).order_by(e.seq))]
    bodies = [b for k, b in rows if k == "event"] or [b for k, b in rows if k == "error"]
    if not bodies:
        return None
    first: dict[str, Any] = bodies[0]
    _declare(conn, [first])
    return first


def distinct_values(conn: Connection, column: str) -> list[str]:
    """The distinct event types (``event_type``) or business steps (``biz_step``) held."""
    col = {"event_type": entries.c.event_type, "biz_step": entries.c.biz_step}[column]
    return sorted(v for v in conn.execute(
        select(col).where(entries.c.kind == "event").distinct()).scalars() if v)
