"""Capture of events outside the Oreline profile: kept, with findings, never refused.

Valid EPCIS that our profile does not govern is stored in the hash chain like any event
(queries, export and verify see it), and what keeps it outside the profile is recorded
as a *finding* (table ``findings``; code, field, message and fix, as an
:class:`~oreline.errors.Issue` has):

* aggregation and association events: each child (EPC, or lot class) is recorded as an
  item ``contained_in`` / ``associated_with`` the parent (``removed_from`` /
  ``dissociated_from`` for ``DELETE``); they move no stock;
* transaction events: a record of business transactions; they move no stock;
* transformations with serialised EPC lists or quantities without kilograms (items
  transformations): their inputs in kilograms are consumed from stock (the profile's
  custody still holds: no more than is on hand), and every output is recorded as an item
  ``made_from`` every input, so a magnet serial traces back to its alloy lot; they are
  not mass-balanced;
* a lot the ledger does not hold, named by an observation, an aggregation or a
  transaction, and a new lot without Oreline master data;
* the quantity findings of parsing (:mod:`oreline.ledger.profile.quantities`), but for
  an ``ObjectEvent`` counting a lot the ledger holds in pieces: :func:`resolve_counts`
  converts those by the ``massPerPiece`` the lot's creating event gave in its ILMD.

See ``docs/trace.md``, "Events outside the Oreline profile".
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from oreline.errors import Issue
from oreline.ledger.capture.state import State, add_movement
from oreline.ledger.profile.model import ParsedEvent, QtyRef

__all__ = ["add_finding", "add_not_held", "apply_items_transformation",
           "apply_outside_event", "record_findings", "resolve_counts"]

_EPS = 1e-6
#: The relation of each child to the parent, by event type and whether the action is DELETE.
_RELATIONS = {("AggregationEvent", False): "contained_in",
              ("AggregationEvent", True): "removed_from",
              ("AssociationEvent", False): "associated_with",
              ("AssociationEvent", True): "dissociated_from"}
_CODES = {"AggregationEvent": "outside.aggregation", "AssociationEvent": "outside.association"}


def add_finding(state: State, pe: ParsedEvent, seq: int, finding: Issue) -> None:
    """Record a finding of ``pe`` (its ``where`` is the event, named by ``event_id``)."""
    state.add("findings", {"seq": seq, "event_id": pe.event_id, "code": finding.code,
                           "field": finding.field, "message": finding.message,
                           "fix": finding.fix})


def record_findings(state: State, pe: ParsedEvent, seq: int) -> None:
    """Record the findings parsing gave ``pe`` (quantities without kilograms)."""
    for finding in pe.findings:
        add_finding(state, pe, seq, finding)


def add_not_held(state: State, pe: ParsedEvent, seq: int, field: str, lot: str) -> None:
    """Record that ``pe`` names a lot the ledger does not hold (kept as named)."""
    add_finding(state, pe, seq, Issue(
        pe.label, field, f"lot {lot} is not held by this ledger: kept as named, not "
        "traced to an origin", "capture the lot's receipt (with oreline:lotMaster) first "
        "to include it", code="finding.lot_not_held"))


def _add_item(state: State, pe: ParsedEvent, seq: int, item: str, relation: str,
              other: str) -> None:
    state.add("items", {"seq": seq, "event_id": pe.event_id, "item": item,
                        "relation": relation, "other": other})


def apply_outside_event(state: State, pe: ParsedEvent, seq: int,
                        issues: list[Issue]) -> None:
    """An aggregation, association or transaction event: items and findings, no stock."""
    for j, q in enumerate(pe.quantities):
        if q.lot not in state.lots:
            name = "childQuantityList" if pe.raw.get("childQuantityList") else "quantityList"
            add_not_held(state, pe, seq, f"{name}[{j}].epcClass", q.lot)
    relation = _RELATIONS.get((pe.type, pe.action == "DELETE"))
    if relation is None:
        add_finding(state, pe, seq, Issue(
            pe.label, "type", f"{pe.type} kept as a record of its business transactions; "
            "it moves no stock and is not part of the mass balance", "move stock with "
            "ObjectEvents (receiving, shipping) to include it", code="outside.transaction"))
        return
    children = [*pe.epcs.get("childEPCs", []), *(q.lot for q in pe.quantities),
                *pe.uncounted.get("childQuantityList", [])]
    if pe.parent is not None:
        for child in children:
            _add_item(state, pe, seq, child, relation, pe.parent)
    add_finding(state, pe, seq, Issue(
        pe.label, "type", f"{pe.type} kept: {len(children)} child(ren) recorded as "
        f"{relation} {pe.parent or 'no parent'}; it moves no stock and is not part of the "
        "mass balance", "move stock with ObjectEvents (receiving, shipping) to include it",
        code=_CODES[pe.type]))


def apply_items_transformation(state: State, pe: ParsedEvent, seq: int,
                               issues: list[Issue]) -> None:
    """A transformation with serialised or uncounted items: consume, link, no balance."""
    site = state.sites.get(pe.location or "")
    for j, q in enumerate(pe.inputs):
        where = f"inputQuantityList[{j}]"
        if q.lot not in state.lots:
            add_not_held(state, pe, seq, f"{where}.epcClass", q.lot)
            continue
        holders = [site.site_id] if site is not None else state.sites_holding(q.lot)
        src = holders[0] if holders else ""
        if state.on_hand(q.lot, src) + _EPS < q.kg:
            issues.append(Issue(pe.label, f"{where}.quantity", f"consumes {q.kg:g} kg of lot "
                                f"{q.lot} but {state.on_hand(q.lot, src):g} kg is on hand"
                                + (f" at {src}" if src else ""), "correct the quantity, or "
                                "move the lot to this site with a receiving event first",
                                code="stock.short"))
            continue
        add_movement(state, pe, seq, q.lot, src, -q.kg, "consume")
    ins = [*(q.lot for q in pe.inputs), *pe.epcs.get("inputEPCList", []),
           *pe.uncounted.get("inputQuantityList", [])]
    outs = [*pe.epcs.get("outputEPCList", []), *pe.uncounted.get("outputQuantityList", []),
            *(q.lot for q in pe.outputs)]
    for out in outs:
        for parent in ins:
            _add_item(state, pe, seq, out, "made_from", parent)
    add_finding(state, pe, seq, Issue(
        pe.label, "outputEPCList" if pe.epcs.get("outputEPCList") else "outputQuantityList",
        f"transformation with serialised or uncounted items: {len(outs)} output(s) traced "
        f"to {len(ins)} input(s), inputs in kilograms consumed; not mass-balanced",
        "give the outputs as lots in kilograms (or in pieces with massPerPiece in their "
        "ilmd.oreline:lotMaster) to include it in the mass balance",
        code="outside.transformation"))
    for j, q in enumerate(pe.outputs):
        add_finding(state, pe, seq, Issue(
            pe.label, f"outputQuantityList[{j}]", f"output lot {q.lot} ({q.kg:g} kg) is "
            "recorded as an item, not a lot: the transformation also lists serialised or "
            "uncounted items", "report outputs in kilograms in a transformation of their "
            "own to hold them as lots", code="finding.output_not_lot"))


def _creating_body(state: State, event_id: str) -> Any:
    """The event ``event_id`` as captured: from this capture's rows, else the ledger."""
    for row in reversed(state.rows.get("entries", [])):
        if row["event_id"] == event_id:
            return json.loads(row["body"])
    body = state.conn.exec_driver_sql(
        "SELECT body FROM entries WHERE event_id = "
        + ("?" if state.conn.dialect.paramstyle == "qmark" else "%s"), (event_id,)).scalar()
    return json.loads(body) if body else {}


def _mass_per_piece(state: State, lot: str) -> float | None:
    """The ``massPerPiece`` (kg) a held lot's creating event gave it, if any."""
    info = state.lots.get(lot)
    if info is None:
        return None
    ilmd = _creating_body(state, info.created_by).get("ilmd")
    master = ilmd.get("oreline:lotMaster", {}).get(lot) if isinstance(ilmd, dict) else None
    value = master.get("massPerPiece") if isinstance(master, dict) else None
    return float(value) if isinstance(value, int | float) and value > 0 else None


def resolve_counts(state: State, pe: ParsedEvent) -> None:
    """Convert an ``ObjectEvent``'s counts of held lots by their mass per piece.

    The lot's master data, in the ILMD of the event that created it (in the hash chain),
    gives ``massPerPiece``; the count then moves stock like kilograms, and its
    ``finding.pieces`` is dropped. An ``ADD`` without ``bizLocation`` keeps the finding
    (there is no site to move the lot to).
    """
    if pe.type != "ObjectEvent" or (pe.action == "ADD" and pe.location is None):
        return
    for name, lot, pieces, finding in pe.counts:
        per_piece = _mass_per_piece(state, lot) if name == "quantityList" else None
        if per_piece is not None:
            pe.quantities.append(QtyRef(lot, float(Fraction(pieces) * Fraction(per_piece))))
            pe.findings.remove(finding)
