"""Capture: check a parsed document against the ledger's state and build its rows.

:func:`build_rows` runs inside the write transaction (the ledger's lock is held) in
phases: register the document's sites, apply each event (each event type has its
handler in :data:`HANDLERS`: :mod:`.objects`, :mod:`.transform`, :mod:`.retract`), chain
its entry (:class:`EntryChain`), then either return every row to insert or raise
:class:`~oreline.errors.CaptureError` listing every problem. Events the ledger holds
already are dropped first (:mod:`.idempotence`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from oreline.countries import is_country, suggest_country
from oreline.errors import CaptureError, Issue
from oreline.ledger.capture.idempotence import load_held, new_events
from oreline.ledger.capture.objects import apply_object_event
from oreline.ledger.capture.outside import (
    apply_items_transformation,
    apply_outside_event,
    record_findings,
    resolve_counts,
)
from oreline.ledger.capture.retract import apply_error_declaration
from oreline.ledger.capture.state import LotInfo, SiteInfo, State, dumps_sorted, load_state
from oreline.ledger.capture.transform import apply_transformation
from oreline.ledger.epcis.canonical import canonical_json, sha256_hex
from oreline.ledger.profile.model import ParsedEvent
from oreline.ledger.store import balances
from oreline.ledger.store.entryhash import entry_hash_text

__all__ = ["HANDLERS", "EntryChain", "LotInfo", "SiteInfo", "build_rows",
           "site_rows_from_master_data"]

#: How a capture applies an event of each type: ``handler(capture, event, seq)``.
#: A new event type is one entry here (types not listed only need their lots to exist).
Handler = Callable[["_Capture", ParsedEvent, int], None]


def site_rows_from_master_data(master: Mapping[str, Any]) -> tuple[list[SiteInfo], list[Issue]]:
    """Sites declared in ``epcisHeader.epcisMasterData`` (BusinessLocation vocabulary).

    Each element needs attributes ``oreline:country`` and ``oreline:stage`` and may give
    ``oreline:name`` and ``oreline:policy`` (``reject`` or ``flag``).
    """
    found: list[SiteInfo] = []
    issues: list[Issue] = []
    for i, vocab in enumerate(master.get("vocabularyList", []) or []):
        if "BusinessLocation" not in str(vocab.get("type", "")):
            continue
        for j, el in enumerate(vocab.get("vocabularyElementList", []) or []):
            attrs = {str(a.get("id")).removeprefix("oreline:"): a.get("attribute")
                     for a in el.get("attributes", []) or []}
            # the element's JSON path, and the site it declares
            where = (f"epcisHeader.epcisMasterData.vocabularyList[{i}].vocabularyElementList"
                     f"[{j}]" + (f" ({el['id']})" if el.get("id") else ""))
            country = attrs.get("country")
            if not isinstance(country, str) or not is_country(country):
                issues.append(Issue(where, "oreline:country", f"country is {country!r}, not "
                                    "an ISO 3166-1 alpha-2 code",
                                    suggest_country(str(country),
                                                    "give one such as 'KR'"), code="site.country"))
                continue
            policy = attrs.get("policy", "reject")
            if policy not in ("reject", "flag"):
                issues.append(Issue(where, "oreline:policy", f"policy is {policy!r}",
                                    "use 'reject' or 'flag'", code="site.policy"))
                continue
            found.append(SiteInfo(str(el.get("id")), str(attrs.get("name", el.get("id"))),
                                  country, str(attrs.get("stage", "unknown")), str(policy)))
    return found, issues


class _Capture:
    """The apply phase: the state, the problems found, and open campaign groups."""

    def __init__(self, state: State, events: list[ParsedEvent]) -> None:
        self.state = state
        self.issues: list[Issue] = []
        #: events of each campaign in this document (applied together, at the last one)
        self.sizes: dict[str, int] = {}
        for pe in events:
            if (pe.type == "TransformationEvent" and pe.transformation_id
                    and pe.error_declaration is None and not pe.items_transformation):
                key = str(pe.transformation_id)
                self.sizes[key] = self.sizes.get(key, 0) + 1
        self.pending: dict[str, list[tuple[ParsedEvent, int]]] = {}

    def register_sites(self, new_sites: list[SiteInfo]) -> None:
        """Add the document's sites; a known site must be declared as it was."""
        state = self.state
        for site in new_sites:
            old = state.sites.get(site.site_id)
            if old is not None and (old.country, old.stage, old.policy) != (
                    site.country, site.stage, site.policy):
                self.issues.append(Issue(
                    "epcisMasterData", site.site_id, f"site already registered as "
                    f"{old.country}/{old.stage}/{old.policy}",
                    "sites are append-only; use a new site ID", code="site.changed"))
            elif old is None:
                state.sites[site.site_id] = site
                state.add("sites", {"site_id": site.site_id, "name": site.name,
                                    "country": site.country, "stage": site.stage,
                                    "policy": site.policy})

    def apply(self, pe: ParsedEvent, seq: int) -> None:
        """Check ``pe`` and apply it to the state (its problems go to :attr:`issues`).

        An event whose error declaration the ledger holds already is applied, then
        declared in error at once.
        """
        state = self.state
        if pe.error_declaration is not None:
            apply_error_declaration(state, pe, seq, self.issues)
            return
        if pe.event_id in state.events:
            self.issues.append(Issue(pe.label, "eventID", "an event with this eventID but "
                                     f"other content (hash ID {state.held.get(pe.event_id)}) "
                                     "is already in the ledger", "give the new event its own "
                                     "eventID, or use errorDeclaration to correct the held "
                                     "one", code="event.captured"))
            return
        resolve_counts(state, pe)
        HANDLERS.get(pe.type, _other)(self, pe, seq)
        record_findings(state, pe, seq)
        state.events.add(pe.event_id)
        state.held[pe.event_id] = pe.hash_id
        state.held_hashes.add(pe.hash_id)
        declared = state.pending.pop(pe.event_id, None)
        if declared is not None:
            apply_error_declaration(state, replace(pe, error_declaration=declared), seq,
                                    self.issues)

    def transformation(self, pe: ParsedEvent, seq: int) -> None:
        """Apply a transformation, or hold a campaign's event until its last one."""
        if pe.items_transformation:
            apply_items_transformation(self.state, pe, seq, self.issues)
            return
        key = str(pe.transformation_id or "")
        group = self.pending.setdefault(key, []) if key else []
        group.append((pe, seq))
        if not key or len(group) == self.sizes[key]:
            apply_transformation(self.state, group, self.issues)


def _other(capture: _Capture, pe: ParsedEvent, seq: int) -> None:
    apply_outside_event(capture.state, pe, seq, capture.issues)


HANDLERS: dict[str, Handler] = {
    "ObjectEvent": lambda c, pe, seq: apply_object_event(c.state, pe, seq, c.issues),
    "TransformationEvent": _Capture.transformation,
}


class EntryChain:
    """The hash phase: each event's entry, chained to the one before.

    Parameters
    ----------
    last
        The seq and entry hash of the ledger's last entry.
    actor, doc_id
        Who captures, and the document's ID (kept in every entry).

    """

    def __init__(self, last: tuple[int, str], actor: str, doc_id: str) -> None:
        self.seq, self.prev = last
        self.actor = actor
        self.doc_id = doc_id
        self.recorded = datetime.now(UTC).isoformat(timespec="milliseconds")
        # the entry context (JSON column and canonical text) of each site used, once
        self._contexts: dict[SiteInfo | None, tuple[str, str | None]] = {}

    def context(self, used: SiteInfo | None) -> tuple[str, str | None]:
        """The stored JSON and the canonical text of a site's entry context."""
        texts = self._contexts.get(used)
        if texts is None:
            context = ({"site": used.site_id, "name": used.name, "stage": used.stage,
                        "country": used.country, "policy": used.policy}
                       if used is not None else {})
            texts = self._contexts[used] = (
                dumps_sorted(context),
                canonical_json(context).decode("utf-8") if context else None)
        return texts

    def entry(self, pe: ParsedEvent, used: SiteInfo | None) -> dict[str, Any]:
        """The ``entries`` row of ``pe`` at :attr:`seq` (call after advancing it)."""
        raw_bytes = pe.content or canonical_json(pe.raw)
        chash = sha256_hex(raw_bytes)
        texts = self._contexts.get(used)  # one call fewer per event than self.context(used)
        stored, canonical = texts if texts is not None else self.context(used)
        seq, prev, recorded, actor = self.seq, self.prev, self.recorded, self.actor
        ehash = entry_hash_text(seq, prev, pe.hash_id, chash, recorded, actor, canonical)
        self.prev = ehash
        return {
            "seq": seq, "event_id": pe.event_id, "hash_id": pe.hash_id,
            "kind": "error" if pe.error_declaration is not None else "event",
            "event_type": pe.type, "event_time": pe.time.isoformat(), "biz_step": pe.step,
            "doc_id": self.doc_id, "body": raw_bytes.decode("utf-8"), "content_hash": chash,
            "recorded_at": recorded, "actor": actor, "prev_hash": prev,
            "entry_hash": ehash, "context": stored,
        }


def build_rows(
    conn: Connection,
    events: list[ParsedEvent],
    new_sites: list[SiteInfo],
    last: tuple[int, str],
    actor: str,
    doc_id: str,
    legacy: frozenset[int] = frozenset(),
) -> tuple[dict[str, list[dict[str, Any]]], list[tuple[ParsedEvent, str]]]:
    """Check events against the ledger and build the rows of one capture.

    ``legacy`` holds the seqs of events a replay captured under the rules before
    revision 0004 (see :class:`State`). Events the ledger already holds are left out
    (:func:`~oreline.ledger.capture.idempotence.new_events`): the rows hold an entry for
    each new event only.

    Raises
    ------
    CaptureError
        Listing every problem found; nothing is written.

    """
    state = State(conn, legacy=legacy)
    load_state(state, events)
    load_held(state, events)
    events = new_events(state, events)
    capture = _Capture(state, events)
    capture.register_sites(new_sites)
    chain = EntryChain(last, actor, doc_id)
    for pe in events:
        chain.seq += 1
        capture.apply(pe, chain.seq)
        state.add("entries", chain.entry(pe, state.sites.get(pe.location or "")))
    if capture.issues:
        raise CaptureError(capture.issues)
    _finish(state, chain.seq)
    return state.rows, state.flags


def _finish(state: State, seq: int) -> None:
    """The rows of the flags raised and of the account balances after the capture."""
    for pe, msg in state.flags:
        state.add("flags", {"seq": next(r["seq"] for r in state.rows["entries"]
                                        if r["event_id"] == pe.event_id),
                            "event_id": pe.event_id, "message": msg})
    if state.rows.get("mb_entries"):
        state.rows["mb_balances"] = balances.balance_rows(state.conn, state.rows["mb_entries"],
                                                          seq, state.opening)
