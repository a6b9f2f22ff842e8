"""Capture of object events: receipts, moves between sites, shipments and claims.

An ``ObjectEvent`` with action ``ADD`` creates lots (a receipt, with master data) or,
as a ``receiving`` event for a lot the ledger holds, moves it to this site; a shipping,
destroying or disposing event with action ``OBSERVE`` or ``DELETE`` takes stock out (and
spends mass-balance credits for a claim it carries). Other event types only need the
lots they name to exist. Each function appends problems to ``issues`` and changes
``state`` only for quantities that pass.
"""

from __future__ import annotations

from oreline.errors import Issue
from oreline.ledger.capture.outside import add_finding, add_not_held
from oreline.ledger.capture.state import (
    LotInfo,
    SiteInfo,
    State,
    add_lot,
    add_movement,
    add_receipt_credit,
    check_evidence_dates,
    period_of,
    site_of,
)
from oreline.ledger.capture.templates import receipt_template
from oreline.ledger.profile.model import ParsedEvent, QtyRef, step_name
from oreline.ledger.rules import custody

__all__ = ["apply_object_event"]

_REMOVAL_STEPS = ("shipping", "destroying", "disposing")
#: Slack of stock comparisons (kg), for sums of floats.
_EPS = 1e-6


def apply_object_event(state: State, pe: ParsedEvent, seq: int, issues: list[Issue]) -> None:
    """Apply an ``ObjectEvent``: new lots and moves (``ADD``), or stock taken out."""
    if pe.action == "ADD" and pe.quantities:
        site = site_of(state, pe, issues)
        for j, q in enumerate(pe.quantities):
            if q.lot in state.lots:
                _move_in(state, pe, seq, q, f"quantityList[{j}]", site, issues)
            else:
                _receive(state, pe, seq, q, site, issues)
        return
    step = step_name(pe.step)
    for j, q in enumerate(pe.quantities):
        where = f"quantityList[{j}]"
        if q.lot not in state.lots and not (step in _REMOVAL_STEPS and pe.action in (
                "OBSERVE", "DELETE")):  # an observation of a lot held elsewhere: kept
            add_not_held(state, pe, seq, f"{where}.epcClass", q.lot)
        elif q.lot not in state.lots:
            issues.append(Issue(pe.label, f"{where}.epcClass", f"lot {q.lot} is unknown",
                                "capture the lot's receipt or production first",
                                code="lot.unknown"))
        elif step in _REMOVAL_STEPS and pe.action in ("OBSERVE", "DELETE"):
            _take_out(state, pe, seq, q, where, step, issues)


def _move_in(state: State, pe: ParsedEvent, seq: int, q: QtyRef, where: str,
             site: SiteInfo | None, issues: list[Issue]) -> None:
    """A ``receiving`` ADD of a lot the ledger holds: move it from where it is."""
    holders = state.sites_holding(q.lot)
    if step_name(pe.step) != "receiving" or not holders:
        issues.append(Issue(pe.label, where, f"lot {q.lot} already exists",
                            "use a new lot ID, or a receiving event to move it",
                            code="lot.exists"))
        return
    if site is None:
        if pe.location is None:  # an unknown site is reported by site_of
            issues.append(Issue(pe.label, "bizLocation", f"bizLocation is missing: lot {q.lot} "
                                "is held by the ledger and a receiving event moves it to a "
                                "site", "give the site it arrives at, e.g. "
                                "{\"id\": \"urn:oreline:site:kmp\"}", code="location.missing"))
        return
    src = holders[0]
    if state.on_hand(q.lot, src) + _EPS < q.kg:
        issues.append(Issue(pe.label, where, f"moving {q.kg:g} kg of lot {q.lot} but only "
                            f"{state.on_hand(q.lot, src):g} kg is at {src}",
                            "correct the quantity", code="stock.short"))
        return
    add_movement(state, pe, seq, q.lot, src, -q.kg, "transfer")
    add_movement(state, pe, seq, q.lot, site.site_id, q.kg, "transfer")


def _receive(state: State, pe: ParsedEvent, seq: int, q: QtyRef, site: SiteInfo | None,
             issues: list[Issue]) -> None:
    """A new lot received at ``site``, with its master data and mass-balance credit."""
    master = pe.masters.get(q.lot)
    if master is None:  # valid EPCIS (a partner's commissioning): kept, not held as a lot
        add_finding(state, pe, seq, Issue(
            pe.label, "ilmd.oreline:lotMaster", f"new lot {q.lot} has no master data: "
            "kept, not held as a lot (no stock, origin or mass balance)",
            "add ilmd.oreline:lotMaster[lot] with material, form, assay and origin to "
            "include it", code="finding.no_master"))
        return
    if site is None:
        return
    template = receipt_template(master)
    if template.dated_evidence:
        check_evidence_dates(pe, q.lot, master, issues)
    info = LotInfo(master.material, master.form, master.custody, dict(master.assay),
                   template.parts(q.lot), master.claim.share if master.claim else None,
                   pe.event_id)
    add_lot(state, pe, seq, q.lot, q.kg, site.site_id, info, template)
    add_movement(state, pe, seq, q.lot, site.site_id, q.kg, "create")
    add_receipt_credit(state, pe, seq, site.site_id, q.kg, template)


def _take_out(state: State, pe: ParsedEvent, seq: int, q: QtyRef, where: str, step: str,
              issues: list[Issue]) -> None:
    """Ship, destroy or dispose of ``q`` (and spend the credits of a claim)."""
    holders = ([pe.location] if pe.location in state.sites
               else state.sites_holding(q.lot))
    src = holders[0] if holders else ""
    if state.on_hand(q.lot, src) + _EPS < q.kg:
        issues.append(Issue(pe.label, f"{where}.quantity",
                            f"ships {q.kg:g} kg of lot {q.lot} but "
                            f"{state.on_hand(q.lot, src):g} kg is on hand",
                            "correct the quantity or capture the missing production",
                            code="stock.short"))
        return
    add_movement(state, pe, seq, q.lot, src, -q.kg, step)
    if pe.claim is not None:
        _debit_claim(state, pe, seq, src, q.kg, state.lots[q.lot], issues)


def _debit_claim(state: State, pe: ParsedEvent, seq: int, site: str, kg: float,
                 info: LotInfo, issues: list[Issue]) -> None:
    claim = pe.claim or {}
    char = str(claim.get("characteristic", "ex-china"))
    share = float(claim["share"])
    for el, frac in info.assay.items():
        if el not in custody.RARE_EARTHS or frac <= 0:
            continue
        need = kg * frac * share
        have = state.available_credit(site, el, char)
        if need > have + _EPS:
            issues.append(Issue(pe.label, "oreline:claim",
                                f"claim needs {need:.3f} kg {el} {char} credits at {site} but "
                                f"{have:.3f} kg remain (a credit is spent once and never moves "
                                "between sites)", "lower the claimed share or buy more "
                                "certified feed at this site", code="claim.short"))
            continue
        state.credit[(site, el, char)] = have - need
        state.add("mb_entries", {"seq": seq, "site": site, "element": el,
                                 "characteristic": char, "period": period_of(pe),
                                 "input_kg": 0.0, "credit_kg": 0.0, "debit_kg": need,
                                 "event_id": pe.event_id, "kind": "claim"})
