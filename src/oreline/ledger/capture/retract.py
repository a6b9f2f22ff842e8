"""Capture of error declarations: an earlier event retracted, its effects reversed.

The declared event's stock movements are reversed, and its mass-balance rows and
campaign lines too (unless it was replayed under the rules before revision 0004), as
long as nothing made from it has been consumed or shipped since.

A declaration for an event the ledger does not hold yet is kept (its entry is chained
like any other) and applied when the event arrives: the event is captured, then
reversed at once (:meth:`oreline.ledger.capture.transaction._Capture.apply`).
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from oreline.errors import Issue
from oreline.ledger.capture.state import State, add_movement, period_of
from oreline.ledger.profile.model import ParsedEvent
from oreline.ledger.rules import campaign
from oreline.ledger.store import accounts, campaigns
from oreline.ledger.store.schema import entries, lots, movements

__all__ = ["apply_error_declaration"]


def apply_error_declaration(state: State, pe: ParsedEvent, seq: int,
                            issues: list[Issue]) -> None:
    """Retract the event ``pe`` declares in error, or say why it cannot be."""
    target = pe.event_id
    if target not in state.events:  # held until the event arrives (see .idempotence)
        state.pending[target] = dict(pe.error_declaration or {})
        return
    if target in state.retracted:
        issues.append(Issue(pe.label, "eventID", f"event {target} is already declared in error",
                            "nothing to do", code="retract.twice"))
        return
    stored = _stored_seq(state.conn, target)  # rows are found by seq (an ascending index)
    rows, created = _made_by(state, target, stored)
    for lot_id, site, delta in rows:
        if lot_id in created and state.on_hand(lot_id, site) + 1e-6 < delta:
            issues.append(Issue(pe.label, "eventID",
                                f"lot {lot_id} made by {target} has since been consumed or "
                                "shipped", "declare the later events in error first",
                                code="retract.used"))
            return
    if seq not in state.legacy and not _undo_accounts(state, pe, seq, stored, issues):
        return
    for lot_id, site, delta in rows:
        state.stock.setdefault((lot_id, site), 0.0)
        add_movement(state, pe, seq, lot_id, site, -float(delta), "retract")
    reason = str(pe.error_declaration.get("reason", "") if pe.error_declaration else "")
    state.retracted.add(target)
    state.add("retractions", {"event_id": target, "seq": seq, "reason": reason[:300]})


def _made_by(state: State, target: str, stored: int | None
             ) -> tuple[list[tuple[str, str, float]], set[str]]:
    """The movements of event ``target`` (stored and pending) and the lots it created."""
    m = movements.c
    rows = [(r.lot_id, r.site, float(r.delta_kg)) for r in state.conn.execute(
        select(m.lot_id, m.site, m.delta_kg).where(m.seq == stored))]
    rows += [(r["lot_id"], r["site"], r["delta_kg"]) for r in state.rows.get("movements", [])
             if r["event_id"] == target]
    created = {r.lot_id for r in state.conn.execute(
        select(lots.c.lot_id).where(lots.c.seq == stored))}
    created |= {r["lot_id"] for r in state.rows.get("lots", []) if r["event_id"] == target}
    return rows, created


def _stored_seq(conn: Connection, event_id: str) -> int | None:
    """The seq of a stored event's entry (``None`` if it is in this capture only)."""
    e = entries.c
    return conn.execute(select(e.seq).where(e.event_id == event_id, e.kind == "event")
                        .order_by(e.seq).limit(1)).scalar()


def _undo_accounts(state: State, pe: ParsedEvent, seq: int, stored: int | None,
                   issues: list[Issue]) -> bool:
    """Reverse a retracted event's mass-balance rows and campaign lines, if allowed.

    ``stored`` is the seq of the event's entry if it was captured before this document.
    """
    target = pe.event_id
    declared = str((pe.error_declaration or {}).get("declarationTime", ""))[:7]
    undo, problem = accounts.reversal_rows(state.conn, state.rows.get("mb_entries", []),
                                          target, stored, seq, state.available_credit,
                                          declared or period_of(pe))  # the month declared
    lines = campaigns.event_lines(state.conn, state.rows.get("campaign_lines", []), target)
    if lines and problem is None:
        lines, problem = campaign.retraction(state.campaigns[lines[0]["campaign"]], lines,
                                             target, seq, lambda lot: state.lots[lot].assay)
    if problem is not None:
        issues.append(Issue(pe.label, "eventID", f"event {target} cannot be declared in "
                            f"error: {problem}", "declare the later events in error first",
                            code="retract.blocked"))
        return False
    for row in undo:
        key = (row["site"], row["element"], row["characteristic"])
        state.credit[key] = state.available_credit(*key) + row["credit_kg"] - row["debit_kg"]
        state.add("mb_entries", row)
    for row in lines:
        state.add("campaign_lines", row)
    return True
