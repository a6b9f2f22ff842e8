"""Transformation campaigns that run over several captured documents.

A *campaign* is every ``TransformationEvent`` sharing one ``transformationID`` at one
site and step: an electrolysis campaign feeds oxide and taps metal for weeks, and each
day's events arrive in their own document. The ledger keeps what a campaign has consumed
and produced so far in ``campaign_lines`` (one row per input or output quantity, signed
``kg``; a retracted event adds the negated rows), and each capture checks the campaign on
its running totals:

* cumulative output of each element <= cumulative input x the step's maximum recovery,
  and no element in the outputs that no input brought (Dy or Tb from nowhere);
* the cell is well mixed: a tap draws on what is **still in the cell**. Each input lot
  fed has a remaining amount (input kg fed less the input kg attributed to the live taps
  made since, read from their genealogy edges). An event's taps take the fraction
  ``rare-earth kg tapped / rare-earth kg remaining`` of every remaining amount (all of
  it when the event closes the campaign), split between its outputs by output kg; their
  origin parts merge the remaining inputs weighted by remaining rare-earth kg
  (:func:`draw`). Over a campaign the edges from an input sum to at most what it
  brought (exactly that once closed), and events are taken in document order, so a
  campaign in one document and the same events over many give the same result;
* the recovery floor (an unexplained loss) is checked when the campaign **closes**: an
  event of the campaign carrying ``"oreline:closeCampaign": true`` (normally its last
  tap, or a last output recording the residue). The close also debits the compliant
  part of the campaign's element losses from the site's mass-balance account. A closed
  campaign takes no more events; declaring the closing event in error reopens it. Until
  it closes, a campaign's material is treated as still in process (no loss debited).

A transformation without ``transformationID`` is a campaign of one event, closed at once.
The rules here take the campaign's rows as values; ``ledger/store/campaigns.py`` reads
them.

Examples
--------
>>> camp = Campaign("urn:oreline:campaign:E1", "urn:oreline:site:kmp",
...                 "electrolytic_reduction")
>>> _ = line(camp, 3, "input", "urn:oreline:lot:ox1", 400.0, "feed", "ev-1")
>>> _ = line(camp, 4, "output", "urn:oreline:lot:m1", 163.2, "tap", "ev-2")
>>> camp.inputs, camp.closed_by
({'urn:oreline:lot:ox1': 400.0}, None)
>>> camp.taken["urn:oreline:lot:m1"] = {"urn:oreline:lot:ox1": 100.0}
>>> camp.remaining()
{'urn:oreline:lot:ox1': 300.0}
>>> edge_kg([("urn:oreline:lot:ox1", 400.0), ("urn:oreline:lot:ox2", 400.0)], 163.2, 326.4)
[('urn:oreline:lot:ox1', 200.0), ('urn:oreline:lot:ox2', 200.0)]

"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from oreline.ledger.profile.model import ParsedEvent
from oreline.ledger.rules import custody

__all__ = ["CLOSE_FIELD", "Campaign", "CampaignLine", "add_taken", "closes", "draw",
           "edge_kg", "from_lines", "line", "problems", "retraction", "taps"]

#: Below this many kg an amount left in the cell counts as nothing.
_EPS = 1e-9

#: Extension field of a campaign event that closes the campaign.
CLOSE_FIELD = "oreline:closeCampaign"
#: A ``campaign_lines`` row: campaign, site, step, role, lot, kg, kind, event ID.
CampaignLine = tuple[str, str, str, str, str, float, str, str]


@dataclass
class Campaign:
    """Running totals of one campaign: kg fed and tapped per lot, and who closed it.

    ``taken`` holds, for each live output (tap), the input kg attributed to it per input
    lot (its genealogy edges); :meth:`remaining` is what is still in the cell.
    """

    campaign_id: str
    site: str
    step: str
    inputs: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, float] = field(default_factory=dict)
    closed_by: str | None = None
    taken: dict[str, dict[str, float]] = field(default_factory=dict)

    def apply(self, role: str, lot: str, kg: float, kind: str, event_id: str) -> None:
        """Add one ``campaign_lines`` row to the totals."""
        if role == "close":
            self.closed_by = event_id if kind == "close" else None
            return
        book = self.inputs if role == "input" else self.outputs
        book[lot] = book.get(lot, 0.0) + kg
        if abs(book[lot]) < 1e-9:
            del book[lot]
            if role == "output":  # a retracted tap gives back what it took
                self.taken.pop(lot, None)

    def remaining(self) -> dict[str, float]:
        """Input kg of each lot fed that the live taps have not taken (fed - attributed)."""
        left = dict(self.inputs)
        for lot in self.outputs:
            for parent, kg in self.taken.get(lot, {}).items():
                left[parent] = left.get(parent, 0.0) - kg
        return left

    def element_kg(self, assay: Callable[[str], Mapping[str, float]]
                   ) -> tuple[dict[str, float], dict[str, float]]:
        """Element kg fed and tapped so far (``assay`` gives a lot's assay)."""
        return (custody.element_kg((kg, assay(lot)) for lot, kg in self.inputs.items()),
                custody.element_kg((kg, assay(lot)) for lot, kg in self.outputs.items()))


def closes(pe: ParsedEvent) -> bool:
    """Whether an event closes its campaign (``"oreline:closeCampaign": true``)."""
    return pe.raw.get(CLOSE_FIELD) is True


def from_lines(lines: Iterable[CampaignLine]) -> dict[str, Campaign]:
    """Campaigns from their ``campaign_lines`` rows, in ledger order.

    Examples
    --------
    >>> found = from_lines([("c", "s", "alloying", "input", "ox1", 400.0, "feed", "e1"),
    ...                     ("c", "s", "alloying", "close", "", 0.0, "close", "e2")])
    >>> found["c"].inputs, found["c"].closed_by
    ({'ox1': 400.0}, 'e2')

    """
    found: dict[str, Campaign] = {}
    for campaign_id, site, step, role, lot, kg, kind, event_id in lines:
        camp = found.setdefault(campaign_id, Campaign(campaign_id, site, step))
        camp.apply(role, lot, float(kg), kind, event_id)
    return found


def taps(found: Mapping[str, Campaign]) -> dict[str, Campaign]:
    """The campaign of each live output (tap) of ``found``."""
    return {lot: camp for camp in found.values() for lot in camp.outputs}


def add_taken(owner: Mapping[str, Campaign], edges: Iterable[tuple[str, str, float]]) -> None:
    """Record the genealogy edges ``(child, parent, kg)`` of taps in their campaigns."""
    for child, parent, kg in edges:
        took = owner[child].taken.setdefault(child, {})
        took[parent] = took.get(parent, 0.0) + float(kg)


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


def edge_kg(fed: Sequence[tuple[str, float]], out_kg: float, total_out_kg: float
            ) -> list[tuple[str, float]]:
    """Kilograms of each input attributed to an output of ``out_kg``: pro-rata.

    Each input is linked with ``kg x out_kg / total_out_kg`` where ``total_out_kg`` is
    everything the transformation produced: the split of a transformation without
    ``transformationID`` and of a campaign replayed under the rules before revision 0004
    (campaigns since then draw on what is left in the cell, :func:`draw`).
    """
    return [(lot, kg * out_kg / total_out_kg) for lot, kg in fed]


def draw(camp: Campaign, outputs: Sequence[tuple[str, float, float]],
         re_of: Callable[[str, float], float], closing: bool
         ) -> tuple[list[tuple[str, float]], dict[str, list[tuple[str, float]]]]:
    """What one event's outputs take from the cell, recorded in ``camp.taken``.

    ``outputs`` are ``(lot, kg, rare-earth kg)``; ``re_of(lot, kg)`` gives the rare-earth
    kg in ``kg`` of an input lot. The event takes the fraction ``phi`` = rare-earth kg
    tapped / rare-earth kg remaining of every input's remaining kg (``phi`` = 1 when it
    closes the campaign; at most 1, which only a flagged over-tap reaches), each output
    its share by kg. Returns the origin weights (rare-earth kg remaining per input, which
    :func:`~oreline.ledger.rules.custody.merge_parts` takes) and each output's edges (input
    kg). When nothing is left (a flagged over-tap) the weights are everything fed and
    the edges link every input with 0 kg.

    Examples
    --------
    >>> camp = Campaign("c", "s", "electrolytic_reduction", inputs={"ox1": 500.0})
    >>> draw(camp, [("m1", 200.0, 200.0)], lambda lot, kg: 0.8 * kg, False)
    ([('ox1', 400.0)], {'m1': [('ox1', 250.0)]})
    >>> camp.outputs["m1"] = 200.0
    >>> camp.inputs["ox2"] = 500.0
    >>> draw(camp, [("m2", 100.0, 100.0), ("m3", 100.0, 100.0)],
    ...      lambda lot, kg: 0.8 * kg, True)[1]
    {'m2': [('ox1', 125.0), ('ox2', 250.0)], 'm3': [('ox1', 125.0), ('ox2', 250.0)]}

    """
    left = {lot: kg for lot, kg in camp.remaining().items() if kg > _EPS}
    weights = [(lot, re_of(lot, kg)) for lot, kg in left.items()]
    held = sum(w for _lot, w in weights)
    tapped = sum(re for _lot, _kg, re in outputs)
    phi = (1.0 if closing else min(1.0, tapped / held) if held > _EPS
           else 1.0 if tapped > _EPS else 0.0)
    if held <= _EPS:
        weights = [(lot, re_of(lot, kg)) for lot, kg in camp.inputs.items() if kg > _EPS]
    total = sum(kg for _lot, kg, _re in outputs)
    found: dict[str, list[tuple[str, float]]] = {}
    for lot, kg, _re in outputs:
        share = kg / total if total > 0 else 1.0 / len(outputs)
        found[lot] = ([(parent, phi * have * share) for parent, have in left.items()]
                      if left else [(parent, 0.0) for parent in camp.inputs])
        camp.taken[lot] = dict(found[lot])
    return weights, found


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
    after = replace(camp, inputs=dict(camp.inputs), outputs=dict(camp.outputs),
                    taken=dict(camp.taken))
    rows = [line(after, seq, r["role"], r["lot_id"], -float(r["kg"]), "retract", target)
            for r in lines]
    problems = custody.check_balance(camp.step, *after.element_kg(assay), floor=False)
    if problems:
        return [], (f"without it campaign {camp.campaign_id} does not balance: {problems[0]}"
                    "; declare the taps made since in error first")
    left = after.remaining()
    for lot in dict.fromkeys(r["lot_id"] for r in lines if r["role"] == "input"):
        if left.get(lot, 0.0) < -1e-6:
            fed = after.inputs.get(lot, 0.0)
            return [], (f"without it campaign {camp.campaign_id} holds {fed:g} kg of lot "
                        f"{lot} but its taps took {fed - left[lot]:g} kg of it; declare the "
                        "taps made since in error first")
    for r in rows:
        camp.apply(r["role"], r["lot_id"], r["kg"], r["kind"], r["event_id"])
    return rows, None
