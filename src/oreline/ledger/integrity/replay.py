"""Deep verification: re-derive every derived table from the chained events.

Lots, origins, genealogy edges, stock movements, retractions, flags, findings, items,
mass-balance entries and campaign lines are projections of the events. :func:`replay_check` captures
the stored events again, document by document, into an in-memory ledger with the same
sites, and compares each projection row by row, so an edited origin or stock row is
found even though it is not itself in the hash chain.
"""

from __future__ import annotations

import json
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, select

from oreline.errors import ChainError
from oreline.ledger.capture.transaction import build_rows
from oreline.ledger.epcis.canonical import loads_json
from oreline.ledger.epcis.document import make_document
from oreline.ledger.profile.model import OUR_PREFIXES
from oreline.ledger.profile.parse import parse_document
from oreline.ledger.store.balances import check_balances
from oreline.ledger.store.engine import Store
from oreline.ledger.store.schema import (
    campaign_lines,
    edges,
    entries,
    findings,
    flags,
    items,
    lots,
    mb_entries,
    movements,
    retractions,
    sites,
)

__all__ = ["replay_check"]

_COMPARED = {
    "lots": (lots, ("lot_id",), ("material", "form", "custody", "assay", "origin", "claim",
                                 "site", "kg", "seq", "event_id", "event_time")),
    "edges": (edges, ("seq", "child", "parent"), ("kg",)),
    "movements": (movements, ("seq", "lot_id", "site", "kind"), ("delta_kg", "event_id")),
    "retractions": (retractions, ("event_id",), ("seq", "reason")),
    "flags": (flags, ("seq", "event_id", "message"), ()),
    "findings": (findings, ("seq", "event_id", "code", "field"), ("message", "fix")),
    "items": (items, ("seq", "event_id", "item", "relation", "other"), ()),
    "mb_entries": (mb_entries, ("seq", "site", "element", "characteristic", "event_id"),
                   ("period", "input_kg", "credit_kg", "debit_kg", "kind")),
    "campaign_lines": (campaign_lines, ("seq", "campaign", "event_id", "role", "lot_id"),
                       ("site", "step", "kg", "kind")),
}


def _rows(conn: Connection, name: str) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Rows of a derived table keyed for comparison."""
    table, key, values = _COMPARED[name]
    grouped: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    for r in conn.execute(select(*[table.c[c] for c in (*key, *values)])):
        grouped.setdefault(tuple(r[: len(key)]), []).append(tuple(r[len(key):]))
    return {k: tuple(sorted(v, key=repr)) for k, v in grouped.items()}


def _difference(name: str, key: tuple[Any, ...], stored: tuple[Any, ...] | None,
                derived: tuple[Any, ...] | None) -> str:
    """What differs between a stored row of a derived table and the one the events give.

    Examples
    --------
    >>> text = _difference("edges", (9, "urn:l:2", "urn:l:1"), ((5.0,),), ((6.0,),))
    >>> for part in text.split(": ")[:2]:
    ...     print(part.split(";")[0])
    edges row seq 9, child urn:l:2, parent urn:l:1 differs from what the events give
    kg is 5.0, the events give 6.0

    """
    _, key_cols, value_cols = _COMPARED[name]
    label = f"{name} row " + ", ".join(f"{c} {v}" if len(key) > 1 else str(v)
                                         for c, v in zip(key_cols, key, strict=True))
    tail = "; the derived tables were edited outside the write path"
    if stored is None:
        return f"{label} is missing from the ledger, though the events give it{tail}"
    if derived is None:
        return f"{label} is in the ledger but no event gives it{tail}"
    if len(stored) == len(derived) == 1:
        diffs = [f"{c} is {x}, the events give {y}"
                 for c, a, b in zip(value_cols, stored[0], derived[0], strict=True) if a != b
                 for x, y in [_around_difference(a, b)]]
        return f"{label} differs from what the events give: {'; '.join(diffs)}{tail}"
    return (f"{label} differs from what the events give: stored {_short(stored)}, the "
            f"events give {_short(derived)}{tail}")


def _around_difference(a: Any, b: Any, context: int = 80) -> tuple[str, str]:
    """``repr`` of two values; for long texts, the part around where they first differ.

    Examples
    --------
    >>> _around_difference("x" * 200 + "AU" + "y" * 200, "x" * 200 + "CN" + "y" * 200, 3)
    ("'...xxxAUy...'", "'...xxxCNy...'")

    """
    if not (isinstance(a, str) and isinstance(b, str)) or max(len(a), len(b)) <= 2 * context:
        return _short(a), _short(b)
    first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                 min(len(a), len(b)))
    start = max(0, first - context)

    def cut(text: str) -> str:
        part = text[start:first + context]
        return repr(("..." if start else "") + part
                    + ("..." if start + len(part) < len(text) else ""))
    return cut(a), cut(b)


def _short(value: Any, limit: int = 300) -> str:
    """``repr`` of a value, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _chained_sites(conn: Connection) -> list[dict[str, Any]]:
    """Sites as the chain recorded them, checked against ``sites``.

    Every attribute an entry's context holds (country and policy; name and stage for
    entries chained since revision 0004) must agree across entries and with the table.
    """
    table = {r.site_id: dict(r._mapping) for r in conn.execute(select(sites))}
    chained: dict[str, dict[str, Any]] = {}
    for (text,) in conn.execute(select(entries.c.context).distinct()):
        ctx = json.loads(text or "{}")
        if not ctx:
            continue
        seen = chained.setdefault(ctx["site"], {})
        for key, value in ctx.items():
            if seen.setdefault(key, value) != value:
                raise ChainError(f"site {ctx['site']} is recorded with {key} {seen[key]!r} "
                                 f"and {value!r} in the chain")
    for site_id, recorded in chained.items():
        row = table.get(site_id)
        stored = None if row is None else {k: row[k] for k in recorded if k != "site"}
        if stored != {k: v for k, v in recorded.items() if k != "site"}:
            raise ChainError(f"sites row {site_id!r} is changed in the ledger: stored "
                             f"{stored!r}, the chain recorded {recorded!r}")
    return list(table.values())


def _legacy_seqs(conn: Connection) -> frozenset[int]:
    """Entries captured before revision 0004: their site context has no ``name``.

    Those events were captured without campaign lines across documents, loss debits and
    mass-balance reversals, and are replayed under those rules.
    """
    rows = conn.execute(select(entries.c.seq, entries.c.context).where(
        entries.c.context != "{}", entries.c.context.not_like('%"name"%')))
    return frozenset(int(seq) for seq, text in rows if "name" not in json.loads(text))


def replay_check(conn: Connection) -> dict[str, int]:
    """Re-derive the projections from the events and compare; raises ChainError on a diff.

    Returns the number of rows compared per table.
    """
    mem = Store.open("sqlite://")
    try:
        with mem.write() as mconn:
            mem.insert_rows(mconn, {"sites": _chained_sites(conn)})
        legacy = _legacy_seqs(conn)
        result = conn.execute(select(entries.c.seq, entries.c.doc_id, entries.c.body,
                                     entries.c.actor, entries.c.prev_hash)
                              .order_by(entries.c.seq))
        for doc_id, group in groupby(result, key=lambda r: r.doc_id):
            rows = list(group)
            first = rows[0]
            events, _ = parse_document(make_document([loads_json(r.body) for r in rows],
                                                         prefixes=OUR_PREFIXES))
            with mem.write() as mconn:
                built, _ = build_rows(mconn, events, [], (int(first.seq) - 1,
                                                          str(first.prev_hash)),
                                      str(first.actor), str(doc_id), legacy)
                # entries go in too: a later document's error declaration looks its
                # target up there
                mem.insert_rows(mconn, built)
        counts: dict[str, int] = {}
        with mem.read() as mconn:
            for name in _COMPARED:
                stored, derived = _rows(conn, name), _rows(mconn, name)
                for key in sorted(set(stored) | set(derived), key=str):
                    if stored.get(key) != derived.get(key):
                        raise ChainError(_difference(name, key, stored.get(key),
                                                     derived.get(key)))
                counts[name] = len(stored)
        counts["mb_balances"] = check_balances(conn)
        return counts
    finally:
        mem.dispose()
