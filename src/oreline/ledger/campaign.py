"""Transformation campaigns that run over several captured documents.

A *campaign* is every ``TransformationEvent`` sharing one ``transformationID`` at one
site and step: an electrolysis campaign feeds oxide and taps metal for weeks, and each
day's events arrive in their own document. The ledger keeps what a campaign has consumed
and produced so far in ``campaign_lines`` (one row per input or output quantity, signed
``kg``; a retracted event adds the negated rows), and each capture checks the campaign on
its running totals:

* cumulative output of each element <= cumulative input x the step's maximum recovery,
  and no element in the outputs that no input brought (Dy or Tb from nowhere);
* an output's origin parts merge **every** input fed to the campaign so far, weighted by
  rare-earth mass (material in a cell mixes; a lot fed once is in everything tapped
  after it), and its genealogy edges link it to every one of those inputs;
* the recovery floor (an unexplained loss) is checked when the campaign **closes**: an
  event of the campaign carrying ``"oreline:closeCampaign": true`` (normally its last
  tap, or a last output recording the residue). The close also debits the compliant
  part of the campaign's element losses from the site's mass-balance account. A closed
  campaign takes no more events; declaring the closing event in error reopens it. Until
  it closes, a campaign's material is treated as still in process (no loss debited).

A transformation without ``transformationID`` is a campaign of one event, closed at once.

Examples
--------
>>> camp = Campaign("urn:oreline:campaign:E1", "urn:oreline:site:kmp",
...                 "electrolytic_reduction")
>>> _ = line(camp, 3, "input", "urn:oreline:lot:ox1", 400.0, "feed", "ev-1")
>>> _ = line(camp, 4, "output", "urn:oreline:lot:m1", 163.2, "tap", "ev-2")
>>> camp.inputs, camp.closed_by
({'urn:oreline:lot:ox1': 400.0}, None)
>>> edge_kg([("urn:oreline:lot:ox1", 400.0), ("urn:oreline:lot:ox2", 400.0)], 163.2, 326.4)
[('urn:oreline:lot:ox1', 200.0), ('urn:oreline:lot:ox2', 200.0)]

"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, select

from oreline.ledger import custody
from oreline.ledger.epcis import ParsedEvent
from oreline.ledger.store import campaign_lines

__all__ = ["CLOSE_FIELD", "Campaign", "closes", "edge_kg", "event_lines", "line", "load",
           "problems", "retraction"]

#: Extension field of a campaign event that closes the campaign.
CLOSE_FIELD = "oreline:closeCampaign"


@dataclass
class Campaign:
    """Running totals of one campaign: kg fed and tapped per lot, and who closed it."""

    campaign_id: str
    site: str
    step: str
    inputs: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, float] = field(default_factory=dict)
    closed_by: str | None = None

    def apply(self, role: str, lot: str, kg: float, kind: str, event_id: str) -> None:
        """Add one ``campaign_lines`` row to the totals."""
        if role == "close":
            self.closed_by = event_id if kind == "close" else None
            return
        book = self.inputs if role == "input" else self.outputs
        book[lot] = book.get(lot, 0.0) + kg
        if abs(book[lot]) < 1e-9:
            del book[lot]

    def element_kg(self, assay: Callable[[str], Mapping[str, float]]
                   ) -> tuple[dict[str, float], dict[str, float]]:
        """Element kg fed and tapped so far (``assay`` gives a lot's assay)."""
        return (custody.element_kg((kg, assay(lot)) for lot, kg in self.inputs.items()),
                custody.element_kg((kg, assay(lot)) for lot, kg in self.outputs.items()))


def closes(pe: ParsedEvent) -> bool:
    """Whether an event closes its campaign (``"oreline:closeCampaign": true``)."""
    return pe.raw.get(CLOSE_FIELD) is True


def load(conn: Connection, campaign_ids: Iterable[str], declared: Sequence[str]
         ) -> dict[str, Campaign]:
    """Campaigns named by a document and those of the events it declares in error."""
    c = campaign_lines.c
    ids = set(campaign_ids)
    for i in range(0, len(declared), 500):
        ids.update(conn.execute(select(c.campaign).where(
            c.event_id.in_(declared[i:i + 500])).distinct()).scalars())
    found: dict[str, Campaign] = {}
    wanted = sorted(ids)
    for i in range(0, len(wanted), 500):
        for r in conn.execute(select(campaign_lines).where(c.campaign.in_(wanted[i:i + 500]))
                              .order_by(c.id)):
            camp = found.setdefault(r.campaign, Campaign(r.campaign, r.site, r.step))
            camp.apply(r.role, r.lot_id, float(r.kg), r.kind, r.event_id)
    return found


def problems(camp: Campaign | None, key: str, where: tuple[str | None, str], closing: bool,
             has_inputs: bool, has_outputs: bool) -> list[tuple[str, str, str]]:
    """Why a document's events cannot join campaign ``key``: ``(field, message, fix)``.

    ``camp`` is the campaign so far (``None`` if new), ``where`` the events' site and
    step; a closing campaign needs inputs and outputs (in this or earlier documents).
    """
    found = []
    if camp is not None and camp.closed_by is not None:
        found.append(("transformationID", f"campaign {key} was closed by event "
                      f"{camp.closed_by}", "start a new campaign with a new "
                      "transformationID, or declare the closing event in error"))
    elif camp is not None and (camp.site, camp.step) != where:
        found.append(("bizLocation/bizStep", f"campaign {key} runs at {camp.site} as "
                      f"{camp.step}", "keep one site and one step per transformationID"))
    if closing and not (has_inputs and has_outputs):
        missing = "inputs" if not has_inputs else "outputs"
        found.append(("transformationID", f"campaign {key} has no {missing} but is closed",
                      f"capture its {missing} in this or an earlier document, or close it "
                      f"later (\"{CLOSE_FIELD}\": true)"))
    return found


def line(camp: Campaign, seq: int, role: str, lot: str, kg: float, kind: str,
         event_id: str) -> dict[str, Any]:
    """A ``campaign_lines`` row, applied to ``camp``'s totals."""
    camp.apply(role, lot, kg, kind, event_id)
    return {"seq": seq, "campaign": camp.campaign_id, "site": camp.site, "step": camp.step,
            "role": role, "lot_id": lot, "kg": kg, "kind": kind, "event_id": event_id}


def event_lines(conn: Connection, pending: Sequence[Mapping[str, Any]], event_id: str
                ) -> list[dict[str, Any]]:
    """Campaign lines an event wrote (stored or pending in this capture), oldest first."""
    c = campaign_lines.c
    rows = [dict(r._mapping) for r in conn.execute(select(campaign_lines).where(
        c.event_id == event_id, c.kind != "retract").order_by(c.id))]
    return rows + [dict(r) for r in pending if r["event_id"] == event_id
                   and r["kind"] != "retract"]


def edge_kg(fed: Sequence[tuple[str, float]], out_kg: float, total_out_kg: float
            ) -> list[tuple[str, float]]:
    """Kilograms of each input attributed to an output of ``out_kg``.

    Every input fed so far is linked, each with ``kg x out_kg / total_out_kg`` where
    ``total_out_kg`` is everything the campaign has produced so far (this output
    included): the output's share of the campaign's production applied to the feed. For
    a one-event transformation it is the plain pro-rata split.
    """
    return [(lot, kg * out_kg / total_out_kg) for lot, kg in fed]


def retraction(camp: Campaign, lines: Sequence[Mapping[str, Any]], target: str, seq: int,
               assay: Callable[[str], Mapping[str, float]]
               ) -> tuple[list[dict[str, Any]], str | None]:
    """Rows undoing ``target``'s lines in ``camp``, or why it cannot be declared in error.

    An event of a closed campaign cannot be retracted before the closing event (its loss
    debit would be stale), and retracting a feed must leave the campaign's running totals
    in balance (else the taps made from it must be declared in error first).
    """
    if camp.closed_by is not None and camp.closed_by != target:
        return [], (f"campaign {camp.campaign_id} was closed by event {camp.closed_by}; "
                    "declare the closing event in error first (that reopens the campaign)")
    after = replace(camp, inputs=dict(camp.inputs), outputs=dict(camp.outputs))
    rows = [line(after, seq, r["role"], r["lot_id"], -float(r["kg"]), "retract", target)
            for r in lines]
    problems = custody.check_balance(camp.step, *after.element_kg(assay), floor=False)
    if problems:
        return [], (f"without it campaign {camp.campaign_id} does not balance: {problems[0]}"
                    "; declare the taps made since in error first")
    for r in rows:
        camp.apply(r["role"], r["lot_id"], r["kg"], r["kind"], r["event_id"])
    return rows, None
