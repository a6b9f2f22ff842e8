"""Read-side queries of events outside the profile: findings, and serialised items.

An item (a serial EPC, or a class counted without kilograms) is traced through the
``items`` table: what it was ``made_from`` by an items transformation, and the
containers it was packed in; where that is a lot the ledger holds, the lot's own
genealogy (:func:`~oreline.ledger.store.queries.trace_back`) follows. Rows of retracted
events are left out.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from oreline.errors import LotNotFoundError
from oreline.ledger.records import FindingRow, ItemLink, ItemTrace
from oreline.ledger.store.queries import trace_back
from oreline.ledger.store.schema import findings, items, lots, retractions

__all__ = ["finding_rows", "item_trace"]


def finding_rows(conn: Connection, event_id: str | None = None,
                 code: str | None = None) -> list[FindingRow]:
    """Every finding, oldest first, or those of one event or of one code."""
    stmt = select(findings).order_by(findings.c.id)
    if event_id is not None:
        stmt = stmt.where(findings.c.event_id == event_id)
    if code is not None:
        stmt = stmt.where(findings.c.code == code)
    return [{"seq": r.seq, "event_id": r.event_id, "code": r.code, "field": r.field,
             "message": r.message, "fix": r.fix} for r in conn.execute(stmt)]


def item_trace(conn: Connection, item: str, max_depth: int = 20) -> ItemTrace:
    """What ``item`` was made from or packed in, down to the lots' own genealogy.

    Raises
    ------
    LotNotFoundError
        When no event the ledger holds names ``item`` as a serialised item.

    """
    gone = select(retractions.c.event_id)
    rows = conn.execute(select(items).where(items.c.item == item,
                                            items.c.event_id.not_in(gone))
                        .order_by(items.c.seq, items.c.id)).all()
    if not rows:
        raise LotNotFoundError(
            f"item {item!r} is not in the ledger: no transformation, aggregation or "
            "association names it; lots are shown by `oreline trace lot`, findings by "
            "`oreline trace findings`")
    held = set(conn.execute(select(lots.c.lot_id).where(
        lots.c.lot_id.in_(sorted({r.other for r in rows})))).scalars())
    links: list[ItemLink] = []
    for r in rows:
        sub: ItemTrace | None = None
        if r.relation == "made_from" and r.other not in held and max_depth > 0:
            try:
                sub = item_trace(conn, r.other, max_depth - 1)
            except LotNotFoundError:
                sub = None  # an input the ledger knows only by this name
        links.append({"relation": r.relation, "other": r.other, "event_id": r.event_id,
                      "seq": r.seq, "item": sub,
                      "lot": trace_back(conn, r.other) if r.other in held else None})
    return {"item": item, "links": links}
