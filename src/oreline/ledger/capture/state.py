"""The ledger state a capture works on, and the rows it adds.

:func:`load_state` reads what a document's events need (their lots, stock, sites and
campaigns; :mod:`oreline.ledger.capture.idempotence` reads the events held) with a few
indexed lookups; the ``add_*`` helpers record a new lot, a stock movement or a receipt's
mass-balance credit in the state and in the rows the capture will insert.
:mod:`oreline.ledger.capture.transaction` checks the events against it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from oreline.errors import Issue
from oreline.ledger.capture.templates import ReceiptTemplate, origin_text
from oreline.ledger.profile.model import LotMaster, ParsedEvent
from oreline.ledger.records import OriginPart
from oreline.ledger.rules import campaign
from oreline.ledger.store import balances, campaigns
from oreline.ledger.store.schema import sites

__all__ = [
    "LotInfo",
    "SiteInfo",
    "State",
    "add_lot",
    "add_movement",
    "add_receipt_credit",
    "check_evidence_dates",
    "chunks",
    "dumps_sorted",
    "load_state",
    "period_of",
    "select_in",
    "site_of",
]

#: ``json.dumps(value, sort_keys=True)`` without building an encoder per call.
dumps_sorted = json.JSONEncoder(sort_keys=True).encode
CHUNK = 1000


@dataclass
class LotInfo:
    """What capture needs to know about a lot."""

    material: str
    form: str
    custody: str
    assay: dict[str, float]
    parts: list[OriginPart]
    claim: float | None
    created_by: str


@dataclass(frozen=True)
class SiteInfo:
    """A site (facility) with its country, stage type and violation policy."""

    site_id: str
    name: str
    country: str
    stage: str
    policy: str = "reject"


@dataclass
class State:
    """What a capture knows of the ledger, and the rows it will insert, by table.

    Loaded by :func:`load_state`, then updated event by event.
    """

    conn: Connection
    lots: dict[str, LotInfo] = field(default_factory=dict)
    stock: dict[tuple[str, str], float] = field(default_factory=dict)
    sites: dict[str, SiteInfo] = field(default_factory=dict)
    #: eventIDs of the events held (not of error declarations)
    events: set[str] = field(default_factory=set)
    #: the hash ID of each held event by eventID, and held hash IDs (see ``idempotence``)
    held: dict[str, str] = field(default_factory=dict)
    held_hashes: set[str] = field(default_factory=set)
    #: error declarations held before their event: the errorDeclaration by eventID
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    retracted: set[str] = field(default_factory=set)
    credit: dict[tuple[str, str, str], float] = field(default_factory=dict)
    #: each account's credit before this capture, as :meth:`available_credit` read it
    opening: dict[tuple[str, str, str], float] = field(default_factory=dict)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    flags: list[tuple[ParsedEvent, str]] = field(default_factory=list)
    campaigns: dict[str, campaign.Campaign] = field(default_factory=dict)
    #: seqs of events replayed as captured before revision 0004 (no campaign lines, loss
    #: debits or mass-balance reversals; campaigns within one document, as then)
    legacy: frozenset[int] = frozenset()

    def add(self, table: str, row: dict[str, Any]) -> None:
        """Queue ``row`` for insertion into ``table``."""
        self.rows.setdefault(table, []).append(row)

    def on_hand(self, lot: str, site: str) -> float:
        """Kilograms of ``lot`` at ``site`` so far."""
        return self.stock.get((lot, site), 0.0)

    def sites_holding(self, lot: str) -> list[str]:
        """Sites holding some of ``lot``."""
        return [s for (lt, s), kg in self.stock.items() if lt == lot and kg > 1e-9]

    def available_credit(self, site: str, element: str, char: str) -> float:
        """Credit left in an account (read once from the ledger, then kept up to date)."""
        key = (site, element, char)
        if key not in self.credit:
            self.credit[key] = self.opening[key] = balances.credit_balance(
                self.conn, site, element, char)
        return self.credit[key]


def chunks(items: Sequence[str]) -> list[Sequence[str]]:
    """``items`` in slices of at most :data:`CHUNK`."""
    return [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]


def select_in(conn: Connection, sql: str, ids: Sequence[str]) -> Iterator[Any]:
    """Rows of ``sql`` (a fixed statement with ``IN ({marks})``) for ``ids``, by chunks.

    The IDs are bound parameters; only the placeholders are written into the statement
    (SQLAlchemy's expanding ``in_()`` costs more than the query for thousands of IDs).
    """
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    for chunk in chunks(ids):
        yield from conn.exec_driver_sql(sql.format(marks=", ".join([mark] * len(chunk))),
                                        tuple(chunk))


def load_state(state: State, events: list[ParsedEvent]) -> None:
    """Read what ``events`` need from the ledger into ``state`` (indexed lookups only)."""
    conn = state.conn
    state.campaigns = campaigns.load(
        conn, {str(pe.transformation_id) for pe in events if pe.transformation_id},
        sorted({pe.event_id for pe in events if pe.error_declaration is not None}))
    lot_ids = sorted({q.lot for pe in events for q in (*pe.quantities, *pe.inputs,
                                                       *pe.outputs)}
                     | {count[1] for pe in events for count in pe.counts}
                     | {lot for c in state.campaigns.values() for lot in (*c.inputs,
                                                                          *c.outputs)})
    for lot_id, material, form, custody_model, assay, origin, claim, event_id in select_in(
            conn, "SELECT lot_id, material, form, custody, assay, origin, claim, event_id "
            "FROM lots WHERE lot_id IN ({marks})", lot_ids):
        state.lots[lot_id] = LotInfo(material, form, custody_model, json.loads(assay),
                                     json.loads(origin), json.loads(claim) if claim else None,
                                     event_id)
    for lot_id, site, kg in select_in(
            conn, "SELECT lot_id, site, SUM(delta_kg) FROM movements "
            "WHERE lot_id IN ({marks}) GROUP BY lot_id, site", lot_ids):
        state.stock[(lot_id, site)] = float(kg)
    for row in conn.execute(select(sites)):
        state.sites[row.site_id] = SiteInfo(row.site_id, row.name, row.country, row.stage,
                                            row.policy)


def period_of(pe: ParsedEvent) -> str:
    """Accounting period (local ``YYYY-MM`` of the event, as written with its offset)."""
    return str(pe.raw["eventTime"])[:7]


def site_of(state: State, pe: ParsedEvent, issues: list[Issue]) -> SiteInfo | None:
    """The site at ``pe``'s ``bizLocation`` (an issue if it is unknown)."""
    if pe.location is None:
        return None
    site = state.sites.get(pe.location)
    if site is None:
        issues.append(Issue(pe.label, "bizLocation.id", f"site {pe.location!r} is unknown",
                            "declare it in epcisHeader.epcisMasterData (BusinessLocation with "
                            "oreline:country) or with `Ledger.register_site`", code="site.unknown"))
    return site


def add_movement(state: State, pe: ParsedEvent, seq: int, lot: str, site: str, kg: float,
                 kind: str) -> None:
    """Move ``kg`` of ``lot`` into (or, negative, out of) ``site``."""
    state.stock[(lot, site)] = state.on_hand(lot, site) + kg
    state.add("movements", {"seq": seq, "lot_id": lot, "site": site, "delta_kg": kg,
                            "kind": kind, "event_id": pe.event_id})


def add_receipt_credit(state: State, pe: ParsedEvent, seq: int, site: str, kg: float,
                       template: ReceiptTemplate) -> None:
    """Credit a received lot's compliant rare earths to ``site``'s accounts."""
    share = template.share
    period = period_of(pe)
    for el, frac in template.rare_earths:
        el_kg = kg * frac
        state.available_credit(site, el, "ex-china")
        state.credit[(site, el, "ex-china")] += el_kg * share
        state.add("mb_entries", {"seq": seq, "site": site, "element": el,
                                 "characteristic": "ex-china", "period": period,
                                 "input_kg": el_kg, "credit_kg": el_kg * share,
                                 "debit_kg": 0.0, "event_id": pe.event_id, "kind": "receipt"})


def add_lot(state: State, pe: ParsedEvent, seq: int, lot: str, kg: float, site: str,
            info: LotInfo, template: ReceiptTemplate | None = None) -> None:
    """Record a new lot (its stored texts from ``template`` when it is a receipt)."""
    state.lots[lot] = info
    state.add("lots", {
        "lot_id": lot, "material": info.material, "form": info.form, "custody": info.custody,
        "assay": dumps_sorted(info.assay) if template is None else template.assay_text,
        "origin": origin_text(info.parts) if template is None else template.origin_text(lot),
        "claim": json.dumps(info.claim) if info.claim is not None else None,
        "site": site, "kg": kg, "seq": seq, "event_id": pe.event_id,
        "event_time": pe.time.isoformat(),
    })


def check_evidence_dates(pe: ParsedEvent, lot: str, master: LotMaster,
                          issues: list[Issue]) -> None:
    """Evidence must be valid at the event's time, not at report time."""
    day: date | None = None
    for stage, origin in master.origin.items():
        for ev in origin.evidence:
            if isinstance(ev, str):
                continue
            if day is None:
                day = date.fromisoformat(str(pe.raw["eventTime"])[:10])  # local date as written
            if (ev.valid_from and day < ev.valid_from) or (ev.valid_to and day > ev.valid_to):
                issues.append(Issue(
                    pe.label, f"ilmd.oreline:lotMaster[{lot}].origin.{stage}.evidence",
                    f"{ev.type} {ev.sha256[:12]}... is valid {ev.valid_from or '...'} to "
                    f"{ev.valid_to or '...'}, not on the event date {day}",
                    "attach evidence valid when the material moved", code="evidence.expired"))
