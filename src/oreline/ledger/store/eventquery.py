"""Events that answer an EPCIS query, in capture order, a page at a time.

The indexed columns of ``entries`` (event type, business step, eventID, record time,
sequence) are filtered in SQL with bound parameters; the rest of the query
(:meth:`~oreline.ledger.profile.query.EventQuery.matches`) is tested on each event's
stored body, a chunk of rows at a time, until a page is full. ``orderBy`` eventTime or
recordTime is done by SQL too (:mod:`oreline.ledger.store.eventorder`); an order by an
extension field reads every answering event and sorts them. Filters on master data
(``HASATTR_``, ``EQATTR_``) are resolved against the ledger's sites first. An error declaration is
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
from oreline.ledger.epcis.identity import canonical_key
from oreline.ledger.profile.query import EventQuery, utc_text
from oreline.ledger.profile.queryfields import field_name
from oreline.ledger.profile.queryorder import SortKey, event_key
from oreline.ledger.store.eventorder import (
    Position,
    after_position,
    backwards,
    sort_column,
    tie_column,
)
from oreline.ledger.store.schema import entries, sites

__all__ = ["FoundEvent", "Page", "count_events", "distinct_values", "event_by_id",
           "find_events", "find_page"]

_CHUNK = 500


@dataclass(frozen=True)
class FoundEvent:
    """One stored event: its sequence number in the ledger and its body as captured."""

    seq: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Page:
    """A page of events, whether more follow, and the position the next page starts at."""

    events: list[FoundEvent]
    more: bool
    next: Position


def _statement(query: EventQuery, pos: Position, upto: int | None,
               dialect: str) -> Select[Any]:
    e = entries.c
    column = sort_column(query.order, dialect)
    tie = tie_column(query.order)
    stmt = select(e.seq, e.body, e.event_id, column if column is not None else e.seq)
    stmt = stmt.where(e.kind == "event")
    bound = after_position(query.order, pos, dialect)
    if bound is not None:
        stmt = stmt.where(bound)
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
    if column is None:
        return stmt.order_by(e.seq.desc() if backwards(query.order) else e.seq)
    if query.order is not None and query.order.descending:
        return stmt.order_by(column.desc(), tie.desc())
    return stmt.order_by(column, tie)


def _scan(conn: Connection, query: EventQuery, pos: Position,
          upto: int | None) -> Iterator[tuple[FoundEvent, Any]]:
    """Each event answering ``query`` after ``pos``, in order, with its sort value."""
    while True:
        stmt = _statement(query, pos, upto, conn.dialect.name)
        rows = conn.execute(stmt.limit(_CHUNK)).all()
        chunk = [(seq, _with_id(loads_json(body), event_id), key)
                 for seq, body, event_id, key in rows]
        if query.reads_declarations:
            _declare(conn, [event for _, event, _ in chunk])
        for seq, event, key in chunk:
            if not query.needs_body or query.matches(event):
                yield FoundEvent(seq, event), key
        if len(rows) < _CHUNK:
            return
        pos = Position(rows[-1][0], rows[-1][3] if isinstance(rows[-1][3], str) else None)


def _master(conn: Connection) -> dict[str, dict[str, str]]:
    """The master data the ledger holds: each site's attributes by their one name."""
    names = {c: str(field_name(f"oreline:{c}")) for c in ("name", "country", "stage",
                                                          "policy")}
    return {canonical_key(r.site_id): {names[c]: getattr(r, c) for c in names}
            for r in conn.execute(select(sites))}


def _bound(conn: Connection, query: EventQuery) -> EventQuery:
    return query.bind(_master(conn)) if query.reads_master_data else query


def _by_field(conn: Connection, query: EventQuery, pos: Position,
              upto: int | None) -> Iterator[tuple[FoundEvent, Any]]:
    """Every event answering ``query`` sorted by its field; events without it last."""
    assert query.order is not None
    keyed: list[tuple[SortKey, FoundEvent]] = []
    missing: list[FoundEvent] = []
    for found, _ in _scan(conn, query.in_capture_order(), Position(), upto):
        key = event_key(query.order, found.body)
        if key is None:
            missing.append(found)
        else:
            keyed.append((key, found))
    keyed.sort(key=lambda kf: (kf[0], kf[1].seq), reverse=query.order.descending)
    ordered = [f for _, f in keyed] + missing
    start = 0
    if not pos.at_start:
        start = next((i + 1 for i, f in enumerate(ordered) if f.seq == pos.seq), len(ordered))
    for found in ordered[start:]:
        yield found, None


def find_page(conn: Connection, query: EventQuery, *, after: Position | None = None,
              limit: int = 30, upto: int | None = None) -> Page:
    """Up to ``limit`` events answering ``query`` after position ``after``, in its order.

    ``upto`` bounds the sequence numbers (the events of one capture, for a
    subscription). ``eventCountLimit`` holds across pages through ``after.count``.
    """
    pos = after or Position()
    query = _bound(conn, query)
    cap = limit
    if query.order is not None and query.order.limit is not None:
        cap = min(limit, query.order.limit - pos.count)
        if cap <= 0:
            return Page([], False, pos)
    if query.order is not None and not query.order.column:
        source = _by_field(conn, query, pos, upto)
    elif not query.needs_body and not query.reads_declarations:
        stmt = _statement(query, pos, upto, conn.dialect.name)
        rows = conn.execute(stmt.limit(cap + 1)).all()
        source = iter([(FoundEvent(seq, _with_id(loads_json(body), event_id)), key)
                       for seq, body, event_id, key in rows])
    else:
        source = _scan(conn, query, pos, upto)
    found: list[tuple[FoundEvent, Any]] = []
    for item in source:
        found.append(item)
        if len(found) > cap:
            break
    page = found[:cap]
    _declare(conn, [f.body for f, _ in page])
    more = len(found) > cap
    if not page:
        return Page([], False, pos)
    last, key = page[-1]
    return Page([f for f, _ in page], more, Position(
        last.seq, key if isinstance(key, str) else None, pos.count + len(page)))


def find_events(conn: Connection, query: EventQuery, *, after: int = 0, limit: int = 30,
                upto: int | None = None) -> tuple[list[FoundEvent], bool]:
    """Up to ``limit`` events answering ``query`` with ``seq`` above ``after``.

    Capture order (the query's orderBy is left aside). ``upto`` bounds the sequence
    numbers (the events of one capture, for a subscription). Returns the events and
    whether more follow.
    """
    page = find_page(conn, query.in_capture_order(), after=Position(after), limit=limit,
                     upto=upto)
    return page.events, page.more


def count_events(conn: Connection, query: EventQuery, cap: int) -> int:
    """How many events answer ``query``, counting no further than ``cap``."""
    query = _bound(conn, query.in_capture_order())
    counted = 0
    for _ in _scan(conn, query, Position(), None):
        counted += 1
        if counted >= cap:
            break
    return counted


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
