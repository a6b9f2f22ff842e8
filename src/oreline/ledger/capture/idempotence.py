"""Idempotent capture: events the ledger already holds, and declarations held early.

A partner may send a document twice, or a document that overlaps one sent before. An
event is *held* when the ledger has an event with its eventID and its CBV 2.0 event hash
ID, or (under another eventID) its hash ID. An event captured before the ledger wrote
CBV 2.0 hash IDs is held under its earlier hash ID
(:mod:`oreline.ledger.epcis.hashid_legacy`), which is matched too. :func:`new_events`
drops held events, so
capturing them again is a no-op that the capture result counts (``held``); an eventID
held with other content is still refused (``event.captured``) by
:mod:`oreline.ledger.capture.transaction`.

An error declaration is held when its event is already declared in error, or when the
same declaration waits for its event: a declaration for an event the ledger does not
hold yet is stored (chained like any entry) and applied when the event arrives
(:mod:`oreline.ledger.capture.retract`).
"""

from __future__ import annotations

from sqlalchemy import select

from oreline.ledger.capture.state import State, select_in
from oreline.ledger.epcis.canonical import loads_json
from oreline.ledger.epcis.hashid_legacy import legacy_event_hash_id
from oreline.ledger.profile.model import ParsedEvent
from oreline.ledger.store.schema import entries

__all__ = ["load_held", "new_events"]


def load_held(state: State, events: list[ParsedEvent]) -> None:
    """Read the held events, retractions and waiting declarations ``events`` name.

    Indexed lookups only: entries by eventID and by hash ID, retractions by eventID.
    """
    conn = state.conn
    ids = sorted({pe.event_id for pe in events})
    declared: dict[str, int] = {}
    for event_id, hash_id, kind, seq in select_in(
            conn, "SELECT event_id, hash_id, kind, seq FROM entries "
            "WHERE event_id IN ({marks})", ids):
        if kind == "error":
            declared[event_id] = seq
        else:
            state.events.add(event_id)
            state.held[event_id] = hash_id
    state.retracted |= {r[0] for r in select_in(
        conn, "SELECT event_id FROM retractions WHERE event_id IN ({marks})", ids)}
    hashes = sorted({pe.hash_id for pe in events if pe.error_declaration is None}
                    - set(state.held.values()))
    # an event captured without eventID has its hash ID as eventID (the eventID index
    # finds it: the first query above did for the hash IDs that are eventIDs here); the
    # hash index holds only the entries whose two IDs differ
    asked = set(ids)
    state.held_hashes |= set(state.held.values()) | {r[0] for r in select_in(
        conn, "SELECT event_id FROM entries WHERE event_id IN ({marks}) "
        "AND hash_id = event_id AND kind = 'event'", [h for h in hashes if h not in asked])
    } | {r[0] for r in select_in(
        conn, "SELECT hash_id FROM entries WHERE hash_id IN ({marks}) "
        "AND hash_id <> event_id AND kind = 'event'", hashes)}
    waiting = sorted(seq for event_id, seq in declared.items()
                     if event_id not in state.retracted and event_id not in state.events)
    if waiting:
        e = entries.c
        for event_id, body in conn.execute(select(e.event_id, e.body).where(
                e.seq.in_(waiting))):
            state.pending[event_id] = dict(loads_json(body)["errorDeclaration"])


def new_events(state: State, events: list[ParsedEvent]) -> list[ParsedEvent]:
    """``events`` without those the ledger (or this document, earlier) already holds.

    Call after :func:`load_held`.
    """
    out: list[ParsedEvent] = []
    hashes: set[str] = set()
    declarations: set[str] = set()
    for pe in events:
        if pe.error_declaration is not None:
            target = pe.event_id
            if target in state.retracted or target in state.pending or target in declarations:
                continue
            declarations.add(target)
        else:
            held = state.held.get(pe.event_id)
            if held == pe.hash_id or (held is None and (pe.hash_id in state.held_hashes
                                                        or pe.hash_id in hashes)):
                continue
            if held is not None and held == legacy_event_hash_id(pe.raw):
                continue  # held since before the CBV 2.0 hash ID: the same event
            hashes.add(pe.hash_id)
        out.append(pe)
    return out
