"""Transformation campaigns read from the ledger (``campaign_lines`` and their taps' edges).

The campaign rules are :mod:`oreline.ledger.rules.campaign`; this module reads the rows
they need. Every function takes an open connection and never writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from oreline.ledger.rules.campaign import Campaign, add_taken, from_lines, taps
from oreline.ledger.store.schema import campaign_lines, edges

__all__ = ["event_lines", "load"]

#: IDs per ``IN (...)`` list.
_CHUNK = 500


def load(conn: Connection, campaign_ids: Iterable[str], declared: Sequence[str]
         ) -> dict[str, Campaign]:
    """Campaigns named by a document and those of the events it declares in error."""
    c = campaign_lines.c
    ids = set(campaign_ids)
    for i in range(0, len(declared), _CHUNK):
        ids.update(conn.execute(select(c.campaign).where(
            c.event_id.in_(declared[i:i + _CHUNK])).distinct()).scalars())
    wanted = sorted(ids)
    found: dict[str, Campaign] = {}
    for i in range(0, len(wanted), _CHUNK):
        found.update(from_lines(
            (r.campaign, r.site, r.step, r.role, r.lot_id, float(r.kg), r.kind, r.event_id)
            for r in conn.execute(select(campaign_lines).where(
                c.campaign.in_(wanted[i:i + _CHUNK])).order_by(c.id))))
    owner = taps(found)
    outputs = sorted(owner)
    for i in range(0, len(outputs), _CHUNK):
        add_taken(owner, ((r.child, r.parent, float(r.kg)) for r in conn.execute(
            select(edges.c.child, edges.c.parent, edges.c.kg).where(
                edges.c.child.in_(outputs[i:i + _CHUNK])).order_by(edges.c.id))))
    return found


def event_lines(conn: Connection, pending: Sequence[Mapping[str, Any]], event_id: str
                ) -> list[dict[str, Any]]:
    """Campaign lines an event wrote (stored or pending in this capture), oldest first."""
    c = campaign_lines.c
    rows = [dict(r._mapping) for r in conn.execute(select(campaign_lines).where(
        c.event_id == event_id, c.kind != "retract").order_by(c.id))]
    return rows + [dict(r) for r in pending if r["event_id"] == event_id
                   and r["kind"] != "retract"]
