"""Capture of transformations, in named phases: validate, balance, apply, debit losses.

One transformation is one event, or a document's events of one campaign (events
sharing a ``transformationID``) that continue the campaign of earlier documents
(:mod:`oreline.ledger.rules.campaign`): balance, origins and genealogy cover everything
the campaign has consumed and produced so far; the recovery floor and the loss debit
apply when it closes (at once for an event without ``transformationID``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from oreline.errors import Issue
from oreline.ledger.capture.state import (
    LotInfo,
    SiteInfo,
    State,
    add_lot,
    add_movement,
    period_of,
    site_of,
)
from oreline.ledger.profile.model import OUR_STEPS, LotMaster, ParsedEvent, QtyRef, step_name
from oreline.ledger.records import OriginPart
from oreline.ledger.rules import campaign, custody

__all__ = ["apply_transformation"]

#: A quantity of an event of the group, with the event and its seq.
_Line = tuple[QtyRef, ParsedEvent, int]


@dataclass(slots=True)
class _Transform:
    """What a transformation's phases share: the group, its campaign and its lots.

    Plain fields, computed once by :meth:`of` (capture's hot path reads them often).
    """

    group: list[tuple[ParsedEvent, int]]
    last: tuple[ParsedEvent, int]  # the group's last event (names the transformation)
    key: str  # the transformationID ("" for a one-event transformation)
    legacy: bool  # captured under the rules before revision 0004 (see State)
    camp: campaign.Campaign | None  # the campaign so far (None if new or legacy)
    closer: tuple[ParsedEvent, int] | None  # the event closing the campaign, if any
    closing: bool  # the transformation ends here (recovery floor, loss debit)
    label: str
    step: str
    ins: list[_Line]
    outs: list[_Line]
    masters: dict[str, LotMaster]
    prior_in: list[tuple[str, float]]  # what the campaign consumed before, by lot
    prior_out: list[tuple[str, float]]  # what the campaign produced before, by lot

    @classmethod
    def of(cls, state: State, group: list[tuple[ParsedEvent, int]]) -> _Transform:
        """The shared facts of ``group`` (its last event names the transformation)."""
        last = group[-1]
        pe, seq = last
        key = str(pe.transformation_id or "")
        legacy = seq in state.legacy
        camp = state.campaigns.get(key) if key and not legacy else None
        closer = next((g for g in reversed(group) if campaign.closes(g[0])), None)
        return cls(
            group, last, key, legacy, camp, closer, not key or legacy or closer is not None,
            pe.label + (f" (campaign {key})" if len(group) > 1 or camp else ""),
            step_name(pe.step),
            [(q, e, sq) for e, sq in group for q in e.inputs],
            [(q, e, sq) for e, sq in group for q in e.outputs],
            {lot: m for e, _sq in group for lot, m in e.masters.items()},
            list(camp.inputs.items()) if camp else [],
            list(camp.outputs.items()) if camp else [])


def apply_transformation(state: State, group: list[tuple[ParsedEvent, int]],
                         issues: list[Issue]) -> None:
    """Apply one transformation: one event, or this document's events of a campaign."""
    t = _Transform.of(state, group)
    site = site_of(state, t.last[0], issues)
    start = len(issues)
    _validate(state, t, site, issues)
    if len(issues) > start or site is None:
        return
    fed = t.prior_in + [(q.lot, q.kg) for q, _e, _sq in t.ins]
    out_el = _balance(state, t, fed, site, issues)
    if out_el is None:
        return
    _apply(state, t, fed, site)
    if t.closing and not t.legacy:
        _debit_losses(state, t, fed, out_el, site)


def _validate(state: State, t: _Transform, site: SiteInfo | None,
              issues: list[Issue]) -> None:
    """Phase 1: one site and step, a campaign that may continue, lots that may move."""
    pe = t.last[0]
    for other, _seq in t.group[:-1]:
        if other.location != pe.location or other.step != pe.step:
            issues.append(Issue(other.label, "bizLocation/bizStep",
                                f"campaign {pe.transformation_id} mixes sites or steps",
                                "keep one site and one step per transformationID",
                                code="campaign.mixed"))
    if t.key:
        issues.extend(Issue(t.label, where, msg, fix, code="campaign.invalid")
                      for where, msg, fix in campaign.problems(
                          t.camp, t.key, (pe.location, t.step), t.closing,
                          bool(t.ins or t.prior_in), bool(t.outs or t.prior_out)))
    _validate_inputs(state, t, site, issues)
    _validate_outputs(state, t, issues)
    closer = t.closer
    if closer is not None and closer is not t.group[-1] and not t.legacy:
        issues.append(Issue(t.group[t.group.index(closer) + 1][0].label, "transformationID",
                            f"campaign {t.key} was closed by event {closer[0].event_id} "
                            "earlier in this document", "close the campaign on its last "
                            "event, or start a new campaign with a new transformationID",
                            code="campaign.closed"))


def _validate_inputs(state: State, t: _Transform, site: SiteInfo | None,
                     issues: list[Issue]) -> None:
    """Every input lot exists and is on hand at the site (each lot reported once)."""
    wanted: dict[str, float] = {}
    for q, _e, _sq in t.ins:
        wanted[q.lot] = wanted.get(q.lot, 0.0) + q.kg
    for q, e, _sq in t.ins:
        where = f"inputQuantityList[{e.inputs.index(q)}]"
        if q.lot not in state.lots:
            issues.append(Issue(e.label, f"{where}.epcClass", f"input lot {q.lot} is unknown",
                                "capture its receipt or production first",
                                code="lot.unknown"))
        elif site is not None and state.on_hand(q.lot, site.site_id) + 1e-6 < wanted[q.lot]:
            issues.append(Issue(e.label, f"{where}.quantity",
                                f"consumes {wanted[q.lot]:g} kg of lot {q.lot} but "
                                f"{state.on_hand(q.lot, site.site_id):g} kg is on hand at "
                                f"{site.site_id}", "correct the quantity, or move the lot "
                                "to this site with a receiving event first",
                                code="stock.short"))
            wanted[q.lot] = -1.0  # report a lot once


def _validate_outputs(state: State, t: _Transform, issues: list[Issue]) -> None:
    """Every output lot is new, once, with master data and no declared origin."""
    seen_out: set[str] = set()
    for q, e, _sq in t.outs:
        where = f"outputQuantityList[{e.outputs.index(q)}]"
        if q.lot in state.lots or q.lot in seen_out:
            issues.append(Issue(e.label, f"{where}.epcClass", f"output lot {q.lot} already "
                                "exists", "give each output a new lot ID", code="lot.exists"))
        elif q.lot not in t.masters:
            issues.append(Issue(e.label, "ilmd.oreline:lotMaster",
                                f"output lot {q.lot} has no master data",
                                "add its material, form and assay in ilmd.oreline:lotMaster",
                                code="lot.no_master"))
        elif t.masters[q.lot].origin:
            issues.append(Issue(e.label, f"ilmd.oreline:lotMaster[{q.lot}].origin",
                                "origin of a transformation output is computed from its "
                                "inputs, not declared", "remove the origin block",
                                code="origin.declared"))
        seen_out.add(q.lot)


def _balance(state: State, t: _Transform, fed: list[tuple[str, float]], site: SiteInfo,
             issues: list[Issue]) -> dict[str, float] | None:
    """Phase 2: element balance; the output element masses, or ``None`` if rejected.

    A site whose policy is ``flag`` records the problem and accepts the transformation.
    """
    in_el = custody.element_kg((kg, state.lots[lot].assay) for lot, kg in fed)
    out_el = custody.element_kg([(kg, state.lots[lot].assay) for lot, kg in t.prior_out]
                                + [(q.kg, t.masters[q.lot].assay) for q, _e, _sq in t.outs])
    problems = custody.check_balance(t.step, in_el, out_el, floor=t.closing)
    if problems and site.policy == "flag":
        state.flags.extend((t.last[0], msg) for msg in problems)
    elif problems:
        issues.extend(Issue(t.label, "outputQuantityList", msg,
                            "or set the site's policy to 'flag' to record it",
                            code="balance.violated") for msg in problems)
        return None
    return out_el


def _apply(state: State, t: _Transform, fed: list[tuple[str, float]], site: SiteInfo) -> None:
    """Phase 3: consume the inputs, create the outputs with their origins and edges."""
    for q, e, sq in t.ins:
        add_movement(state, e, sq, q.lot, site.site_id, -q.kg, "consume")
    stage = OUR_STEPS[t.step]
    if not t.key or t.legacy:
        _pro_rata(state, fed, t.outs, t.masters, bool(t.key), stage, site)
        return
    camp = state.campaigns.setdefault(t.key, campaign.Campaign(t.key, site.site_id, t.step))
    _campaign_events(state, camp, t.group, t.masters, t.closer, stage, site)
    if t.closer is not None:
        state.add("campaign_lines", campaign.line(camp, t.closer[1], "close", "", 0.0,
                                                  "close", t.closer[0].event_id))


def _debit_losses(state: State, t: _Transform, fed: list[tuple[str, float]],
                  out_el: Mapping[str, float], site: SiteInfo) -> None:
    """Phase 4: debit the compliant part of what the process lost (mass balance)."""
    cpe, cseq = t.closer or t.last
    for row in custody.loss_rows(
            [(kg, state.lots[lot].assay, custody.compliant_share(
                state.lots[lot].parts, state.lots[lot].claim)) for lot, kg in fed],
            out_el, lambda el: state.available_credit(site.site_id, el, "ex-china"),
            {"seq": cseq, "site": site.site_id, "characteristic": "ex-china",
             "period": period_of(cpe), "event_id": cpe.event_id}):
        state.credit[(site.site_id, row["element"], "ex-china")] -= row["debit_kg"]
        state.add("mb_entries", row)


def _out_custody(lots_in: Sequence[LotInfo], one_lot: bool) -> str:
    """Custody model of a transformation's outputs from the inputs with rare earths."""
    custodies = {info.custody for info in lots_in if custody.re_kg(1.0, info.assay) > 0}
    return ("mass_balance" if "mass_balance" in custodies else
            "identity_preserved" if custodies == {"identity_preserved"} and one_lot
            else "segregated")


def _output(state: State, e: ParsedEvent, sq: int, q: QtyRef, master: LotMaster,
            out_custody: str, parts: list[OriginPart], site: SiteInfo,
            links: Sequence[tuple[str, float]]) -> None:
    info = LotInfo(master.material, master.form, out_custody, dict(master.assay), parts,
                   None, e.event_id)
    add_lot(state, e, sq, q.lot, q.kg, site.site_id, info)
    add_movement(state, e, sq, q.lot, site.site_id, q.kg, "produce")
    for parent, kg in links:
        state.add("edges", {"child": q.lot, "parent": parent, "kg": kg, "seq": sq})


def _pro_rata(state: State, fed: list[tuple[str, float]], outs: list[_Line],
              masters: Mapping[str, LotMaster], keyed: bool, stage: str | None,
              site: SiteInfo) -> None:
    """Outputs of a one-event transformation (or a legacy campaign): pro-rata split."""
    infos = [(kg, state.lots[lot]) for lot, kg in fed]
    parts = custody.merge_parts(
        [(custody.re_kg(kg, info.assay), info.parts) for kg, info in infos],
        stage, site.country)
    out_custody = _out_custody([info for _kg, info in infos],
                               (len({lot for lot, _kg in fed}) if keyed else len(infos)) == 1)
    total_out = sum(q.kg for q, _e, _sq in outs)
    for q, e, sq in outs:
        _output(state, e, sq, q, masters[q.lot], out_custody, parts, site,
                campaign.edge_kg(fed, q.kg, total_out))


def _campaign_events(state: State, camp: campaign.Campaign,
                     group: list[tuple[ParsedEvent, int]], masters: Mapping[str, LotMaster],
                     closer: tuple[ParsedEvent, int] | None, stage: str | None,
                     site: SiteInfo) -> None:
    """Apply a document's events of a campaign in document order.

    Feeds go into the cell; taps draw on what is left in it (:func:`campaign.draw`).
    """
    for e, sq in group:
        for q in e.inputs:
            state.add("campaign_lines", campaign.line(camp, sq, "input", q.lot, q.kg, "feed",
                                                      e.event_id))
        if not e.outputs:
            continue
        weights, links = campaign.draw(
            camp, [(q.lot, q.kg, custody.re_kg(q.kg, masters[q.lot].assay))
                   for q in e.outputs],
            lambda lot, kg: custody.re_kg(kg, state.lots[lot].assay),
            closer is not None and e is closer[0])
        parts = custody.merge_parts([(w, state.lots[lot].parts) for lot, w in weights],
                                    stage, site.country)
        out_custody = _out_custody([state.lots[lot] for lot in camp.inputs],
                                   len(camp.inputs) == 1)
        for q in e.outputs:
            _output(state, e, sq, q, masters[q.lot], out_custody, parts, site, links[q.lot])
            state.add("campaign_lines", campaign.line(camp, sq, "output", q.lot, q.kg, "tap",
                                                      e.event_id))
