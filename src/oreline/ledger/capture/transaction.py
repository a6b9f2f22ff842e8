"""Capture: check a parsed document against the ledger's state and build its rows.

:func:`build_rows` runs inside the write transaction (the ledger's lock is held), checks
every event against stock, lots, sites and the custody rules, and either returns every
row to insert or raises :class:`~oreline.errors.CaptureError` listing every problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from oreline.countries import is_country, suggest_country
from oreline.errors import CaptureError, Issue
from oreline.ledger.capture.state import (
    LotInfo,
    SiteInfo,
    State,
    add_lot,
    add_movement,
    add_receipt_credit,
    check_evidence_dates,
    dumps_sorted,
    load_state,
    period_of,
    site_of,
)
from oreline.ledger.capture.templates import receipt_template
from oreline.ledger.epcis.canonical import canonical_json, sha256_hex
from oreline.ledger.profile.model import OUR_STEPS, LotMaster, ParsedEvent, step_name
from oreline.ledger.rules import campaign, custody
from oreline.ledger.store import accounts, balances, campaigns
from oreline.ledger.store.entryhash import entry_hash_text
from oreline.ledger.store.schema import entries, lots, movements

__all__ = ["LotInfo", "SiteInfo", "build_rows", "site_rows_from_master_data"]

_REMOVAL_STEPS = ("shipping", "destroying", "disposing")


def site_rows_from_master_data(master: Mapping[str, Any]) -> tuple[list[SiteInfo], list[Issue]]:
    """Sites declared in ``epcisHeader.epcisMasterData`` (BusinessLocation vocabulary).

    Each element needs attributes ``oreline:country`` and ``oreline:stage`` and may give
    ``oreline:name`` and ``oreline:policy`` (``reject`` or ``flag``).
    """
    found: list[SiteInfo] = []
    issues: list[Issue] = []
    for vocab in master.get("vocabularyList", []) or []:
        if "BusinessLocation" not in str(vocab.get("type", "")):
            continue
        for j, el in enumerate(vocab.get("vocabularyElementList", []) or []):
            attrs = {str(a.get("id")).removeprefix("oreline:"): a.get("attribute")
                     for a in el.get("attributes", []) or []}
            where = f"epcisMasterData BusinessLocation[{j}] ({el.get('id')})"
            country = attrs.get("country")
            if not isinstance(country, str) or not is_country(country):
                issues.append(Issue(where, "oreline:country", f"country is {country!r}, not "
                                    "an ISO 3166-1 alpha-2 code",
                                    suggest_country(str(country),
                                                    "give one such as 'KR'")))
                continue
            policy = attrs.get("policy", "reject")
            if policy not in ("reject", "flag"):
                issues.append(Issue(where, "oreline:policy", f"policy is {policy!r}",
                                    "use 'reject' or 'flag'"))
                continue
            found.append(SiteInfo(str(el.get("id")), str(attrs.get("name", el.get("id"))),
                                  country, str(attrs.get("stage", "unknown")), str(policy)))
    return found, issues


def _object_event(state: State, pe: ParsedEvent, seq: int, issues: list[Issue]) -> None:
    step = step_name(pe.step)
    if pe.action == "ADD" and pe.quantities:
        site = site_of(state, pe, issues)
        for j, q in enumerate(pe.quantities):
            where = f"quantityList[{j}]"
            if q.lot in state.lots:
                holders = state.sites_holding(q.lot)
                if step != "receiving" or not holders:
                    issues.append(Issue(pe.label, where, f"lot {q.lot} already exists",
                                        "use a new lot ID, or a receiving event to move it"))
                    continue
                if site is None:
                    continue
                src = holders[0]
                if state.on_hand(q.lot, src) + 1e-6 < q.kg:
                    issues.append(Issue(pe.label, where,
                                        f"moving {q.kg:g} kg of lot {q.lot} but only "
                                        f"{state.on_hand(q.lot, src):g} kg is at {src}",
                                        "correct the quantity"))
                    continue
                add_movement(state, pe, seq, q.lot, src, -q.kg, "transfer")
                add_movement(state, pe, seq, q.lot, site.site_id, q.kg, "transfer")
                continue
            master = pe.masters.get(q.lot)
            if master is None:
                issues.append(Issue(pe.label, "ilmd.oreline:lotMaster",
                                    f"new lot {q.lot} has no master data",
                                    "add ilmd.oreline:lotMaster[lot] with material, form, "
                                    "assay and origin"))
                continue
            if site is None:
                continue
            template = receipt_template(master)
            if template.dated_evidence:
                check_evidence_dates(pe, q.lot, master, issues)
            info = LotInfo(master.material, master.form, master.custody, dict(master.assay),
                           template.parts(q.lot), master.claim.share if master.claim else None,
                           pe.event_id)
            add_lot(state, pe, seq, q.lot, q.kg, site.site_id, info, template)
            add_movement(state, pe, seq, q.lot, site.site_id, q.kg, "create")
            add_receipt_credit(state, pe, seq, site.site_id, q.kg, template)
        return
    for j, q in enumerate(pe.quantities):
        where = f"quantityList[{j}]"
        if q.lot not in state.lots:
            issues.append(Issue(pe.label, f"{where}.epcClass", f"lot {q.lot} is unknown",
                                "capture the lot's receipt or production first"))
            continue
        if step not in _REMOVAL_STEPS or pe.action not in ("OBSERVE", "DELETE"):
            continue
        holders = ([pe.location] if pe.location in state.sites
                   else state.sites_holding(q.lot))
        src = holders[0] if holders else ""
        if state.on_hand(q.lot, src) + 1e-6 < q.kg:
            issues.append(Issue(pe.label, f"{where}.quantity",
                                f"ships {q.kg:g} kg of lot {q.lot} but "
                                f"{state.on_hand(q.lot, src):g} kg is on hand",
                                "correct the quantity or capture the missing production"))
            continue
        add_movement(state, pe, seq, q.lot, src, -q.kg, step)
        if pe.claim is not None:
            _debit_claim(state, pe, seq, src, q.kg, state.lots[q.lot], issues, where)


def _debit_claim(state: State, pe: ParsedEvent, seq: int, site: str, kg: float,
                 info: LotInfo, issues: list[Issue], where: str) -> None:
    claim = pe.claim or {}
    char = str(claim.get("characteristic", "ex-china"))
    share = float(claim["share"])
    for el, frac in info.assay.items():
        if el not in custody.RARE_EARTHS or frac <= 0:
            continue
        need = kg * frac * share
        have = state.available_credit(site, el, char)
        if need > have + 1e-6:
            issues.append(Issue(pe.label, "oreline:claim",
                                f"claim needs {need:.3f} kg {el} {char} credits at {site} but "
                                f"{have:.3f} kg remain (a credit is spent once and never moves "
                                "between sites)", "lower the claimed share or buy more "
                                "certified feed at this site"))
            continue
        state.credit[(site, el, char)] = have - need
        state.add("mb_entries", {"seq": seq, "site": site, "element": el,
                                 "characteristic": char, "period": period_of(pe),
                                 "input_kg": 0.0, "credit_kg": 0.0, "debit_kg": need,
                                 "event_id": pe.event_id, "kind": "claim"})


def _transformation(state: State, group: list[tuple[ParsedEvent, int]],
                    issues: list[Issue]) -> None:
    """Apply one transformation: one event, or this document's events of a campaign.

    Events sharing a ``transformationID`` continue the campaign of earlier documents
    (:mod:`oreline.ledger.rules.campaign`): balance, origins and genealogy cover everything the
    campaign has consumed and produced so far; the recovery floor and the loss debit
    apply when it closes (at once for an event without ``transformationID``).
    """
    pe, seq = group[-1]
    key = str(pe.transformation_id or "")
    legacy = seq in state.legacy
    camp = state.campaigns.get(key) if key and not legacy else None
    closer = next((g for g in reversed(group) if campaign.closes(g[0])), None)
    closing = not key or legacy or closer is not None
    label = pe.label + (f" (campaign {key})" if len(group) > 1 or camp else "")
    site = site_of(state, pe, issues)
    step = step_name(pe.step)
    start = len(issues)
    for other, _seq in group[:-1]:
        if other.location != pe.location or other.step != pe.step:
            issues.append(Issue(other.label, "bizLocation/bizStep",
                                f"campaign {pe.transformation_id} mixes sites or steps",
                                "keep one site and one step per transformationID"))
    ins = [(q, e, sq) for e, sq in group for q in e.inputs]
    outs = [(q, e, sq) for e, sq in group for q in e.outputs]
    masters = {lot: m for e, _sq in group for lot, m in e.masters.items()}
    prior_in = list(camp.inputs.items()) if camp else []
    prior_out = list(camp.outputs.items()) if camp else []
    if key:
        issues.extend(Issue(label, where, msg, fix) for where, msg, fix in campaign.problems(
            camp, key, (pe.location, step), closing, bool(ins or prior_in),
            bool(outs or prior_out)))
    wanted: dict[str, float] = {}
    for q, _e, _sq in ins:
        wanted[q.lot] = wanted.get(q.lot, 0.0) + q.kg
    for q, e, _sq in ins:
        where = f"inputQuantityList[{e.inputs.index(q)}]"
        if q.lot not in state.lots:
            issues.append(Issue(e.label, f"{where}.epcClass", f"input lot {q.lot} is unknown",
                                "capture its receipt or production first"))
        elif site is not None and state.on_hand(q.lot, site.site_id) + 1e-6 < wanted[q.lot]:
            issues.append(Issue(e.label, f"{where}.quantity",
                                f"consumes {wanted[q.lot]:g} kg of lot {q.lot} but "
                                f"{state.on_hand(q.lot, site.site_id):g} kg is on hand at "
                                f"{site.site_id}", "correct the quantity, or move the lot "
                                "to this site with a receiving event first"))
            wanted[q.lot] = -1.0  # report a lot once
    seen_out: set[str] = set()
    for q, e, _sq in outs:
        where = f"outputQuantityList[{e.outputs.index(q)}]"
        if q.lot in state.lots or q.lot in seen_out:
            issues.append(Issue(e.label, f"{where}.epcClass", f"output lot {q.lot} already "
                                "exists", "give each output a new lot ID"))
        elif q.lot not in masters:
            issues.append(Issue(e.label, "ilmd.oreline:lotMaster",
                                f"output lot {q.lot} has no master data",
                                "add its material, form and assay in ilmd.oreline:lotMaster"))
        elif masters[q.lot].origin:
            issues.append(Issue(e.label, f"ilmd.oreline:lotMaster[{q.lot}].origin",
                                "origin of a transformation output is computed from its "
                                "inputs, not declared", "remove the origin block"))
        seen_out.add(q.lot)
    if closer is not None and closer is not group[-1] and not legacy:
        issues.append(Issue(group[group.index(closer) + 1][0].label, "transformationID",
                            f"campaign {key} was closed by event {closer[0].event_id} "
                            "earlier in this document", "close the campaign on its last "
                            "event, or start a new campaign with a new transformationID"))
    if len(issues) > start or site is None:
        return
    fed = prior_in + [(q.lot, q.kg) for q, _e, _sq in ins]
    in_el = custody.element_kg((kg, state.lots[lot].assay) for lot, kg in fed)
    out_el = custody.element_kg([(kg, state.lots[lot].assay) for lot, kg in prior_out]
                                + [(q.kg, masters[q.lot].assay) for q, _e, _sq in outs])
    problems = custody.check_balance(step, in_el, out_el, floor=closing)
    if problems:
        if site.policy == "flag":
            state.flags.extend((pe, msg) for msg in problems)
        else:
            issues.extend(Issue(label, "outputQuantityList", msg,
                                "or set the site's policy to 'flag' to record it")
                          for msg in problems)
            return
    for q, e, sq in ins:
        add_movement(state, e, sq, q.lot, site.site_id, -q.kg, "consume")
    if key and not legacy:
        camp = state.campaigns.setdefault(key, campaign.Campaign(key, site.site_id, step))
        _campaign_events(state, camp, group, masters, closer, OUR_STEPS[step], site)
        if closer is not None:
            state.add("campaign_lines", campaign.line(camp, closer[1], "close", "", 0.0,
                                                      "close", closer[0].event_id))
    else:
        _pro_rata(state, fed, outs, masters, bool(key), OUR_STEPS[step], site)
    if legacy:
        return
    if closing:  # debit the compliant part of what the process lost (mass balance)
        cpe, cseq = closer or (pe, seq)
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


def _output(state: State, e: ParsedEvent, sq: int, q: Any, master: LotMaster,
            out_custody: str, parts: list[dict[str, Any]], site: SiteInfo,
            links: Sequence[tuple[str, float]]) -> None:
    info = LotInfo(master.material, master.form, out_custody, dict(master.assay), parts,
                   None, e.event_id)
    add_lot(state, e, sq, q.lot, q.kg, site.site_id, info)
    add_movement(state, e, sq, q.lot, site.site_id, q.kg, "produce")
    for parent, kg in links:
        state.add("edges", {"child": q.lot, "parent": parent, "kg": kg, "seq": sq})


def _pro_rata(state: State, fed: list[tuple[str, float]], outs: list[Any],
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


def _error_declaration(state: State, pe: ParsedEvent, seq: int, issues: list[Issue]) -> None:
    target = pe.event_id
    if target not in state.events:
        issues.append(Issue(pe.label, "eventID", f"error declaration names event {target}, "
                            "which the ledger does not hold",
                            "give the eventID of the erroneous event"))
        return
    if target in state.retracted:
        issues.append(Issue(pe.label, "eventID", f"event {target} is already declared in error",
                            "nothing to do"))
        return
    m = movements.c
    stored = _stored_seq(state.conn, target)  # rows are found by seq (an ascending index)
    rows = [(r.lot_id, r.site, float(r.delta_kg)) for r in state.conn.execute(
        select(m.lot_id, m.site, m.delta_kg).where(m.seq == stored))]
    rows += [(r["lot_id"], r["site"], r["delta_kg"]) for r in state.rows.get("movements", [])
             if r["event_id"] == target]
    created = {r.lot_id for r in state.conn.execute(
        select(lots.c.lot_id).where(lots.c.seq == stored))}
    created |= {r["lot_id"] for r in state.rows.get("lots", []) if r["event_id"] == target}
    for lot_id, site, delta in rows:
        if lot_id in created and state.on_hand(lot_id, site) + 1e-6 < delta:
            issues.append(Issue(pe.label, "eventID",
                                f"lot {lot_id} made by {target} has since been consumed or "
                                "shipped", "declare the later events in error first"))
            return
    if seq not in state.legacy and not _undo_accounts(state, pe, seq, stored, issues):
        return
    for lot_id, site, delta in rows:
        state.stock.setdefault((lot_id, site), 0.0)
        add_movement(state, pe, seq, lot_id, site, -float(delta), "retract")
    reason = str(pe.error_declaration.get("reason", "") if pe.error_declaration else "")
    state.retracted.add(target)
    state.add("retractions", {"event_id": target, "seq": seq, "reason": reason[:300]})


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
                            f"error: {problem}", "declare the later events in error first"))
        return False
    for row in undo:
        key = (row["site"], row["element"], row["characteristic"])
        state.credit[key] = state.available_credit(*key) + row["credit_kg"] - row["debit_kg"]
        state.add("mb_entries", row)
    for row in lines:
        state.add("campaign_lines", row)
    return True


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
    revision 0004 (see :class:`State`).

    Raises
    ------
    CaptureError
        Listing every problem found; nothing is written.

    """
    state = State(conn, legacy=legacy)
    load_state(state, events)
    issues: list[Issue] = []
    for site in new_sites:
        old = state.sites.get(site.site_id)
        if old is not None and (old.country, old.stage, old.policy) != (
                site.country, site.stage, site.policy):
            issues.append(Issue("epcisMasterData", site.site_id,
                                f"site already registered as {old.country}/{old.stage}/"
                                f"{old.policy}", "sites are append-only; use a new site ID"))
        elif old is None:
            state.sites[site.site_id] = site
            state.add("sites", {"site_id": site.site_id, "name": site.name,
                                "country": site.country, "stage": site.stage,
                                "policy": site.policy})
    seq, prev = last
    recorded = datetime.now(UTC).isoformat(timespec="milliseconds")
    campaigns: dict[str, list[ParsedEvent]] = {}
    for pe in events:
        if (pe.type == "TransformationEvent" and pe.transformation_id
                and pe.error_declaration is None):
            campaigns.setdefault(str(pe.transformation_id), []).append(pe)
    pending: dict[str, list[tuple[ParsedEvent, int]]] = {}
    # the entry context (JSON column and canonical text) of each site used, computed once
    contexts: dict[SiteInfo | None, tuple[str, str | None]] = {}
    for pe in events:
        seq += 1
        if pe.error_declaration is not None:
            _error_declaration(state, pe, seq, issues)
        else:
            if pe.event_id in state.events:
                issues.append(Issue(pe.label, "eventID", "an event with this eventID is "
                                    "already in the ledger", "do not capture it twice; use "
                                    "errorDeclaration to correct it"))
                continue
            if pe.type == "TransformationEvent":
                key = str(pe.transformation_id or "")
                group = pending.setdefault(key, []) if key else []
                group.append((pe, seq))
                if not key or len(group) == len(campaigns[key]):
                    _transformation(state, group, issues)
            elif pe.type == "ObjectEvent":
                _object_event(state, pe, seq, issues)
            else:
                for j, q in enumerate([*pe.quantities]):
                    if q.lot not in state.lots:
                        issues.append(Issue(pe.label, f"quantity[{j}].epcClass",
                                            f"lot {q.lot} is unknown",
                                            "capture the lot first"))
        state.events.add(pe.event_id)
        raw_bytes = pe.content or canonical_json(pe.raw)
        body = raw_bytes.decode("utf-8")
        chash = sha256_hex(raw_bytes)
        used = state.sites.get(pe.location or "")
        context_texts = contexts.get(used)
        if context_texts is None:
            context = ({"site": used.site_id, "name": used.name, "stage": used.stage,
                        "country": used.country, "policy": used.policy}
                       if used is not None else {})
            context_texts = contexts[used] = (
                dumps_sorted(context),
                canonical_json(context).decode("utf-8") if context else None)
        ehash = entry_hash_text(seq, prev, pe.hash_id, chash, recorded, actor,
                                context_texts[1])
        state.add("entries", {
            "seq": seq, "event_id": pe.event_id, "hash_id": pe.hash_id,
            "kind": "error" if pe.error_declaration is not None else "event",
            "event_type": pe.type, "event_time": pe.time.isoformat(), "biz_step": pe.step,
            "doc_id": doc_id, "body": body, "content_hash": chash, "recorded_at": recorded,
            "actor": actor, "prev_hash": prev, "entry_hash": ehash,
            "context": context_texts[0],
        })
        prev = ehash
    if issues:
        raise CaptureError(issues)
    for pe, msg in state.flags:
        state.add("flags", {"seq": next(r["seq"] for r in state.rows["entries"]
                                        if r["event_id"] == pe.event_id),
                            "event_id": pe.event_id, "message": msg})
    if state.rows.get("mb_entries"):
        state.rows["mb_balances"] = balances.balance_rows(conn, state.rows["mb_entries"], seq,
                                                          state.opening)
    return state.rows, state.flags

