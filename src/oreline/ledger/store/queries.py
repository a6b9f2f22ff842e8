"""Read-side queries: lots, trace back (genealogy), trace forward (recall), stock by origin.

Every function takes an open SQLAlchemy connection and never writes. A lot may be
named in any of its spellings (an EPC class URN or a GS1 Digital Link URI): lots are
stored and found under :func:`~oreline.ledger.epcis.identity.canonical_key`.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, literal, or_, select

from oreline.errors import LotNotFoundError
from oreline.ledger.epcis.identity import canonical_key
from oreline.ledger.records import (
    LotRecord,
    LotRow,
    OnHandRow,
    Shipment,
    StockRow,
    TraceForward,
    TraceInput,
    TraceNode,
    TraceTree,
)
from oreline.ledger.store import lotsearch
from oreline.ledger.store.schema import edges, entries, lots, movements, retractions
from oreline.origin import STAGES

__all__ = [
    "all_lots",
    "find_lots",
    "leaves",
    "lot_info",
    "lots_on_hand",
    "origin_label",
    "shipments_of",
    "shipped_from_origin",
    "stock_by_origin",
    "trace_back",
    "trace_forward",
]


def origin_label(stages: dict[str, str | None]) -> str:
    """A short label of an origin class (unknown stages shown as ``?``).

    Examples
    --------
    >>> origin_label({"mined": "AU", "separated": "MY", "refined": None})
    'mined AU / separated MY'
    >>> origin_label({"mined": None, "separated": "CN", "refined": "KR"})
    'mined ? / separated CN / refined KR'

    """
    shown = [s for s in STAGES if stages.get(s) is not None or s in ("mined", "separated")]
    return " / ".join(f"{s} {stages.get(s) or '?'}" for s in shown)


def _row_to_lot(row: Any, on_hand: float, retracted: bool) -> LotRecord:
    return {
        "lot": row.lot_id, "material": row.material, "form": row.form,
        "custody": row.custody, "kg": float(row.kg), "on_hand_kg": on_hand,
        "site": row.site, "assay": json.loads(row.assay), "origin": json.loads(row.origin),
        "claim_share": json.loads(row.claim) if row.claim else None,
        "event_id": row.event_id, "event_time": row.event_time, "retracted": retracted,
    }


def _lots(conn: Connection, ids: list[str]) -> dict[str, LotRecord]:
    out: dict[str, LotRecord] = {}
    if not ids:
        return out
    rows = conn.execute(select(lots).where(lots.c.lot_id.in_(ids))).all()
    made_by = [r.event_id for r in rows]
    gone = {r[0] for r in conn.execute(select(retractions.c.event_id).where(
        retractions.c.event_id.in_(made_by)))}
    stock = dict(conn.execute(select(movements.c.lot_id, func.sum(movements.c.delta_kg)).where(
        movements.c.lot_id.in_(ids)).group_by(movements.c.lot_id)).all())
    for row in rows:
        on_hand = round(float(stock.get(row.lot_id, 0.0)), 6) + 0.0  # no -1e-14, no -0.0
        out[row.lot_id] = _row_to_lot(row, on_hand, row.event_id in gone)
    return out


def lot_info(conn: Connection, lot: str) -> LotRecord:
    """Master data, on-hand stock and origin of one lot.

    Raises
    ------
    LotNotFoundError
        When the ledger holds no such lot.

    """
    lot = canonical_key(lot)
    found = _lots(conn, [lot]).get(lot)
    if found is None:
        hint = conn.execute(select(lots.c.lot_id).where(lots.c.lot_id.like(
            f"%{lot[-12:]}%")).limit(3)).scalars().all()
        more = f"; similar: {', '.join(hint)}" if hint else ""
        raise LotNotFoundError(f"lot {lot!r} is not in the ledger{more}; list its lots with "
                               "`oreline trace lots` (`--form alloy`, `--site S`)")
    return found


def trace_back(conn: Connection, lot: str, max_depth: int = 50) -> TraceTree:
    """Genealogy of a lot down to its received lots (mines), with quantities and shares.

    Each node lists its ``inputs``: the kilograms of each parent consumed for it and the
    parent's share of the node's inputs.
    """
    lot = canonical_key(lot)
    start = select(edges.c.child, edges.c.parent, edges.c.kg,
                   literal(1).label("depth")).where(edges.c.child == lot)
    anc = start.cte("anc", recursive=True)
    step = select(edges.c.child, edges.c.parent, edges.c.kg, (anc.c.depth + 1)).join(
        anc, edges.c.child == anc.c.parent).where(anc.c.depth < max_depth)
    anc = anc.union_all(step)
    rows = conn.execute(select(anc.c.child, anc.c.parent, anc.c.kg, anc.c.depth)).all()
    links: dict[str, list[tuple[str, float]]] = {}
    seen_edges: set[tuple[str, str]] = set()
    for r in rows:
        if (r.child, r.parent) not in seen_edges:
            seen_edges.add((r.child, r.parent))
            links.setdefault(r.child, []).append((r.parent, float(r.kg)))
    depth = max((int(r.depth) for r in rows), default=0)
    nodes = _lots(conn, sorted({r.parent for r in rows} | {lot}))
    if lot not in nodes:
        lot_info(conn, lot)  # raises LotNotFoundError with a hint

    def build(lot_id: str, seen: frozenset[str]) -> TraceNode:
        parents = links.get(lot_id, [])
        total = sum(kg for _, kg in parents) or 1.0
        inputs: list[TraceInput] = [
            {"kg": kg, "share": kg / total, "lot": build(p, seen | {lot_id})}
            for p, kg in sorted(parents) if p not in seen and p in nodes
        ]
        return {**nodes[lot_id], "inputs": inputs}

    return {**build(lot, frozenset()), "depth": depth}


def leaves(tree: TraceNode) -> list[TraceNode]:
    """Received lots (no inputs) of a trace-back tree."""
    if not tree["inputs"]:
        return [tree]
    return [leaf for i in tree["inputs"] for leaf in leaves(i["lot"])]


def trace_forward(conn: Connection, lot: str, max_depth: int = 50) -> TraceForward:
    """Every lot made from ``lot`` and the shipments of those lots (the recall question)."""
    lot = canonical_key(lot)
    lot_info(conn, lot)
    seen = {lot}
    frontier = [lot]
    depth = 0
    while frontier and depth < max_depth:
        kids = conn.execute(select(edges.c.child).where(edges.c.parent.in_(frontier))).scalars()
        frontier = sorted(set(kids) - seen)
        seen.update(frontier)
        depth += 1
    found = _lots(conn, sorted(seen))
    descendants = [found[x] for x in sorted(seen) if x != lot and x in found and
                   not found[x]["retracted"]]
    return {"lot": lot, "descendants": descendants,
            "shipments": _shipments(conn, sorted(seen))}


def _cbv_word(value: str) -> str:
    """The word of a CBV term in any of its forms, other values as they are.

    Examples
    --------
    >>> [_cbv_word(v) for v in ("https://ref.gs1.org/cbv/BTT-po",
    ...                         "urn:epcglobal:cbv:btt:po", "po", "urn:x:my-po")]
    ['po', 'po', 'po', 'urn:x:my-po']

    """
    if value.startswith("https://ref.gs1.org/cbv/"):
        return value.rsplit("/", 1)[-1].split("-", 1)[-1]
    if value.startswith("urn:epcglobal:cbv:"):
        return value.rsplit(":", 1)[-1]
    return value


def shipments_of(conn: Connection, ids: list[str]) -> list[Shipment]:
    """The shipments of lots ``ids`` (declared-in-error ones left out), oldest first."""
    return _shipments(conn, ids)


def _shipments(conn: Connection, ids: list[str]) -> list[Shipment]:
    m = movements.c
    retracted = select(retractions.c.event_id)
    rows = conn.execute(
        select(m.lot_id, m.site, m.delta_kg, m.event_id, entries.c.event_time, entries.c.body)
        .join(entries, entries.c.seq == m.seq)
        .where(m.lot_id.in_(ids), m.kind == "shipping", m.event_id.not_in(retracted))
        .order_by(entries.c.event_time, m.seq)).all()
    out: list[Shipment] = []
    for r in rows:
        body = json.loads(r.body)
        dest = [d.get("destination") for d in body.get("destinationList", []) or []]
        biz = [{"type": _cbv_word(str(b.get("type", ""))), "id": str(b["bizTransaction"])}
               for b in body.get("bizTransactionList", []) or []
               if isinstance(b, dict) and "bizTransaction" in b]
        out.append({"lot": r.lot_id, "kg": -float(r.delta_kg), "from_site": r.site,
                    "event_id": r.event_id, "time": r.event_time, "destination": dest,
                    "local_time": str(body.get("eventTime") or r.event_time),
                    "business_transactions": biz})
    return out


def shipped_from_origin(conn: Connection, stage: str, country: str) -> list[Shipment]:
    """Shipments of lots holding material whose ``stage`` took place in ``country``."""
    rows = conn.execute(select(lots.c.lot_id, lots.c.origin)).all()
    hit = [r.lot_id for r in rows
           if any(p["stages"].get(stage) == country for p in json.loads(r.origin))]
    return _shipments(conn, hit)


def all_lots(conn: Connection, form: str | None = None,
             site: str | None = None) -> list[LotRow]:
    """Every lot, shipped and consumed ones too, oldest first.

    Each row: ``lot``, ``material``, ``form``, ``site`` (where it was received or made),
    ``kg`` (as created), ``on_hand_kg`` (at any site), ``event_time`` (UTC) and
    ``retracted``; ``form`` and ``site`` narrow the list.
    """
    m = movements.c
    on_hand = (select(m.lot_id, func.sum(m.delta_kg).label("kg")).group_by(m.lot_id)
               .subquery())
    stmt = (select(lots.c.lot_id, lots.c.material, lots.c.form, lots.c.site, lots.c.kg,
                   lots.c.event_time, lots.c.event_id, on_hand.c.kg.label("on_hand"))
            .join(on_hand, on_hand.c.lot_id == lots.c.lot_id, isouter=True)
            .order_by(lots.c.seq, lots.c.lot_id))
    if form is not None:
        stmt = stmt.where(lots.c.form == form)
    if site is not None:
        stmt = stmt.where(lots.c.site == site)
    rows = conn.execute(stmt).all()
    gone = {r[0] for r in conn.execute(select(retractions.c.event_id))}
    return [{"lot": r.lot_id, "material": r.material, "form": r.form, "site": r.site,
             "kg": float(r.kg), "on_hand_kg": round(float(r.on_hand or 0.0), 6) + 0.0,
             "event_time": r.event_time, "retracted": r.event_id in gone} for r in rows]


def find_lots(conn: Connection, text: str = "", limit: int = 100, *,
              indexed: bool = True) -> tuple[int, list[LotRow]]:
    """Lots whose id, material, form or site contains ``text`` (any case), newest first.

    Returns the number found and at most ``limit`` of them, as :func:`all_lots` writes
    them. The filter and the page are SQL (``LIKE`` with bound, escaped parameters), and
    stock is summed for the page's lots only. On SQLite a text of three characters or
    more is answered by the trigram index of :mod:`~oreline.ledger.store.lotsearch`
    (the same rows, order and count; ``indexed=False`` runs the plain ``LIKE``, which
    the tests compare it with); PostgreSQL's trigram indexes serve the ``LIKE`` itself.
    """
    needle = text.strip().lower()
    cond = _contains(needle)
    stmt = (select(lots.c.lot_id, lots.c.material, lots.c.form, lots.c.site, lots.c.kg,
                   lots.c.event_time, lots.c.event_id)
            .order_by(lots.c.seq.desc(), lots.c.lot_id).limit(limit))
    count = select(func.count()).select_from(lots)
    if (indexed and len(needle) >= lotsearch.MIN_CHARS and "\x00" not in needle
            and lotsearch.installed(conn)):
        # the index holds the lots up to its mark; those captured since, the LIKE tests
        tail = and_(lotsearch.tail(lotsearch.indexed_upto(conn)), cond)
        total = lotsearch.count_matching(conn, needle) + int(
            conn.execute(count.where(tail)).scalar_one())
        # Many matches: the newest lots hold a page of them, so walk lots newest first
        # with the plain test; few: fetch the matches by rowid and sort them.
        dense = total * _DENSE >= _lot_count_bound(conn)
        stmt = stmt.where(cond) if dense else stmt.where(
            or_(lotsearch.matching(needle), tail))
    elif needle:
        total = int(conn.execute(count.where(cond)).scalar_one())
        stmt = stmt.where(cond)
    else:
        total = int(conn.execute(count).scalar_one())
    rows = conn.execute(stmt).all() if total else []
    ids = [r.lot_id for r in rows]
    m = movements.c
    on_hand = dict(conn.execute(select(m.lot_id, func.sum(m.delta_kg)).where(
        m.lot_id.in_(ids)).group_by(m.lot_id)).all()) if ids else {}
    gone = set(conn.execute(select(retractions.c.event_id).where(
        retractions.c.event_id.in_([r.event_id for r in rows]))).scalars()) if ids else set()
    return total, [{"lot": r.lot_id, "material": r.material, "form": r.form, "site": r.site,
                    "kg": float(r.kg),
                    "on_hand_kg": round(float(on_hand.get(r.lot_id) or 0.0), 6) + 0.0,
                    "event_time": r.event_time, "retracted": r.event_id in gone}
                   for r in rows]


#: A search is "dense" when at least one lot in this many matches it.
_DENSE = 100


def _contains(needle: str) -> ColumnElement[bool]:
    """Lots whose id, material, form or site contains ``needle`` (lower case)."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(*(func.lower(c).like(pattern, escape="\\")
                 for c in (lots.c.lot_id, lots.c.material, lots.c.form, lots.c.site)))


def _lot_count_bound(conn: Connection) -> int:
    """At least the number of lots, from the largest rowid (one index step, not a count)."""
    return int(conn.exec_driver_sql("SELECT coalesce(max(rowid), 0) FROM lots").scalar_one())


def lots_on_hand(conn: Connection, site: str | None = None) -> list[OnHandRow]:
    """Lots with stock on hand: ``lot``, ``site``, ``material``, ``form``, ``kg``, by site."""
    m = movements.c
    stmt = (select(m.lot_id, m.site, func.sum(m.delta_kg).label("kg"), lots.c.material,
                   lots.c.form)
            .join(lots, lots.c.lot_id == m.lot_id)
            .group_by(m.lot_id, m.site, lots.c.material, lots.c.form))
    if site is not None:
        stmt = stmt.where(m.site == site)
    rows: list[OnHandRow] = [
        {"lot": r.lot_id, "site": r.site, "material": r.material, "form": r.form,
         "kg": round(float(r.kg), 6)} for r in conn.execute(stmt) if r.kg > 1e-6]
    return sorted(rows, key=lambda r: (r["site"], r["lot"]))


def stock_by_origin(conn: Connection, site: str | None = None) -> list[StockRow]:
    """Stock on hand by site, material, form and origin class (kg split by origin share).

    The planner reads this as its initial stock by origin class. Each row has ``site``,
    ``material``, ``form``, ``origin`` (label), ``stages`` (stage -> ISO country or
    ``None``), ``custody`` and ``kg``.
    """
    m = movements.c
    stmt = select(m.lot_id, m.site, func.sum(m.delta_kg).label("kg")).group_by(m.lot_id, m.site)
    if site is not None:
        stmt = stmt.where(m.site == site)
    held = [(r.lot_id, r.site, float(r.kg)) for r in conn.execute(stmt) if r.kg > 1e-6]
    info: dict[str, Any] = {}
    ids = sorted({h[0] for h in held})
    for i in range(0, len(ids), 500):
        info.update({r.lot_id: r for r in conn.execute(
            select(lots.c.lot_id, lots.c.material, lots.c.form, lots.c.origin,
                   lots.c.custody).where(lots.c.lot_id.in_(ids[i:i + 500])))})
    table: dict[tuple[str, str, str, str, str], float] = {}
    stages: dict[str, dict[str, str | None]] = {}
    for lot_id, where, kg in held:
        row = info[lot_id]
        parts = json.loads(row.origin) or [{"share": 1.0, "stages": {}, "custody": "n/a"}]
        for part in parts:
            label = origin_label(part["stages"]) if part["stages"] else "not controlled"
            stages[label] = part["stages"]
            key = (where, row.material, row.form, label, part["custody"])
            table[key] = table.get(key, 0.0) + kg * float(part["share"])
    return [{"site": k[0], "material": k[1], "form": k[2], "origin": k[3],
             "stages": stages[k[3]], "custody": k[4], "kg": v}
            for k, v in sorted(table.items())]
