"""Parse a document: the standard's structure and our profile, event by event.

Every problem is collected before anything is raised, so the user sees them all at
once; parsing never touches the database (checks against stock live in
:mod:`oreline.ledger.capture.transaction`).

An event that passes every check gets its RFC 8785 text (what the ledger stores and
hashes) and its CBV 2.0 hash ID here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from oreline.errors import CaptureError, Issue
from oreline.ledger.epcis.canonical import (
    NotPlainError,
    canonical_json,
    canonical_json_many,
    freeze,
)
from oreline.ledger.epcis.document import EVENT_TYPES, read_document
from oreline.ledger.epcis.hashid import event_hash_id
from oreline.ledger.epcis.identity import canonical_key
from oreline.ledger.epcis.memo import Memo
from oreline.ledger.epcis.standard import check_event
from oreline.ledger.epcis.values import DEFAULT_PREFIXES, normalise_timestamp
from oreline.ledger.profile.model import (
    OUR_STEPS,
    OURS,
    LotMaster,
    ParsedEvent,
    QtyRef,
    is_items_transformation,
    step_name,
    step_uri,
)
from oreline.ledger.profile.quantities import read_quantity

__all__ = ["parse_document"]

_EPC_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_EPC_SET = frozenset(_EPC_LISTS)
#: Integers up to this convert to float exactly (kilograms of the KGM fast path).
_EXACT_INT = 2**53


def _prefixes(doc: Mapping[str, Any]) -> dict[str, str]:
    px = dict(DEFAULT_PREFIXES)
    px["oreline"] = OURS
    ctx = doc.get("@context")
    for item in ctx if isinstance(ctx, list) else [ctx]:
        if isinstance(item, Mapping):
            px.update({k: str(v) for k, v in item.items() if isinstance(v, str)})
    return px


def _query_body(doc: Mapping[str, Any]) -> Any:
    """The ``resultsBody`` of an ``EPCISQueryDocument`` (where its eventList is)."""
    body = doc.get("epcisBody")
    results = body.get("queryResults") if isinstance(body, Mapping) else None
    return results.get("resultsBody") if isinstance(results, Mapping) else None


def _event_list(doc: Mapping[str, Any], issues: list[Issue]) -> list[Any]:
    kind = doc.get("type", doc.get("isA"))
    if kind in EVENT_TYPES:
        return [doc]
    if kind not in ("EPCISDocument", "EPCISQueryDocument"):
        issues.append(Issue("document", "type", f"type is {kind!r}",
                            "use 'EPCISDocument', 'EPCISQueryDocument' or one of "
                            + ", ".join(EVENT_TYPES), code="document.type"))
        return []
    # a query document (a partner's query results) holds its events one level deeper
    body = doc.get("epcisBody") if kind == "EPCISDocument" else _query_body(doc)
    path = ("epcisBody" if kind == "EPCISDocument"
            else "epcisBody.queryResults.resultsBody") + ".eventList"
    events = body.get("eventList", body.get("event")) if isinstance(body, Mapping) else None
    if isinstance(events, Mapping):
        events = [events]
    if events is not None and not isinstance(events, list):
        issues.append(Issue("document", path,
                            f"eventList is a {type(events).__name__}, not a list",
                            "put the events in a JSON array: \"eventList\": [{...}, ...]",
                            code="document.events"))
        return []
    if not isinstance(events, list) or not events:
        issues.append(Issue("document", path, "no events found",
                            f"put the events in {path}", code="document.events"))
        return []
    return events


@dataclass
class _Lists:
    """An event's quantity lists read: kilograms, and what is kept outside the profile.

    ``findings``, ``uncounted`` and ``counts`` are as in
    :class:`~oreline.ledger.profile.model.ParsedEvent` (valid EPCIS outside our profile:
    a count without a mass per piece, a unit that is no mass, no quantity).
    """

    quantities: list[QtyRef] = field(default_factory=list)
    inputs: list[QtyRef] = field(default_factory=list)
    outputs: list[QtyRef] = field(default_factory=list)
    findings: list[Issue] = field(default_factory=list)
    uncounted: dict[str, list[str]] = field(default_factory=dict)
    counts: list[tuple[str, str, float, Issue]] = field(default_factory=list)

    @classmethod
    def read(cls, ev: Mapping[str, Any], label: str, masters: Mapping[str, LotMaster],
             issues: list[Issue]) -> _Lists:
        """The four quantity lists of ``ev`` (``massPerPiece`` of ``masters`` converts counts)."""
        lists = cls()
        for name in ("quantityList", "childQuantityList"):
            if ev.get(name):
                lists.quantities += _quantities(ev, name, label, issues, masters, lists)
        if ev.get("inputQuantityList"):
            lists.inputs = _quantities(ev, "inputQuantityList", label, issues, masters, lists)
        if ev.get("outputQuantityList"):
            lists.outputs = _quantities(ev, "outputQuantityList", label, issues, masters,
                                        lists)
        return lists


def _quantities(ev: Mapping[str, Any], name: str, label: str, issues: list[Issue],
                masters: Mapping[str, LotMaster], lists: _Lists) -> list[QtyRef]:
    """The quantity elements of list ``name`` in kilograms (the rest go to ``lists``)."""
    out: list[QtyRef] = []
    items = ev.get(name) or []
    if not isinstance(items, list):  # reported by the standard's checks
        return out
    for j, q in enumerate(items):
        where = f"{name}[{j}]"
        if not isinstance(q, Mapping) or "epcClass" not in q:
            issues.append(Issue(label, where, "quantity element has no epcClass",
                                "give the lot's URI in epcClass", code="quantity.no_class"))
            continue
        lot = str(q["epcClass"])
        qty = q.get("quantity")
        if "quantity" in q and (isinstance(qty, bool) or not isinstance(qty, int | float) or
                                not (0 < qty < math.inf)):  # NaN fails both comparisons
            issues.append(Issue(label, f"{where}.quantity", f"quantity {qty!r} is not positive",
                                "give a positive, finite number", code="quantity.not_positive"))
            continue
        key = canonical_key(lot)
        if q.get("uom") == "KGM" and (type(qty) is float or (
                type(qty) is int and qty <= _EXACT_INT)):
            out.append(QtyRef(key, float(qty)))  # the common case, as read_quantity reads it
            continue
        master = masters.get(key)
        read = read_quantity(q, master.mass_per_piece if master else None, where)
        if read.kg is not None:
            out.append(QtyRef(key, read.kg))
        elif read.finding is not None:
            finding = replace(read.finding, where=label)
            lists.findings.append(finding)
            lists.uncounted.setdefault(name, []).append(lot)
            if finding.code == "finding.pieces":
                lists.counts.append((name, lot, float(q["quantity"]), finding))
        else:
            issues.append(Issue(label, f"{where}.uom", f"uom {q.get('uom')!r} is not a "
                                "UN/ECE Rec 20 code", "write a code such as KGM (kilograms), "
                                "TNE (tonnes), LBR (pounds) or H87 (pieces)",
                                code="uom.invalid"))
    return out


def _masters(ev: Mapping[str, Any], label: str, issues: list[Issue],
             frozen: dict[int, Any] | None = None) -> dict[str, LotMaster]:
    """Validated master data of the lots of ``ev`` by lot; problems go to ``issues``.

    ``frozen`` receives the :func:`~oreline.ledger.epcis.canonical.freeze` key of each master data
    mapping by its ``id`` (for the event's hash ID, computed next).
    """
    ilmd = ev.get("ilmd")
    if not isinstance(ilmd, Mapping):
        return {}
    raw = ilmd.get("oreline:lotMaster", {})
    if not isinstance(raw, Mapping):
        issues.append(Issue(label, "ilmd.oreline:lotMaster", "must map lot URI -> master data",
                            "see docs/trace.md", code="master.invalid"))
        return {}
    out: dict[str, LotMaster] = {}
    for lot, data in raw.items():
        result, key = _validate_master(data)
        if key is not None and frozen is not None:
            frozen[id(data)] = key
        if isinstance(result, LotMaster):
            out[canonical_key(str(lot))] = result
            continue
        for loc, msg in result:
            issues.append(Issue(label, f"ilmd.oreline:lotMaster[{lot}].{loc}", msg,
                                "correct the lot master data", code="master.invalid"))
    return out


#: Validated master data by :func:`~oreline.ledger.epcis.canonical.freeze` key: documents repeat
#: the master data of their lots (one supplier's receipts, one campaign's outputs), and
#: validation is a pure function of the data. Holds a model or the validation messages.
_MASTERS: Memo[Any, LotMaster | list[tuple[str, str]]] = Memo(4096)


def _validate_master(data: Any) -> tuple[LotMaster | list[tuple[str, str]], Any]:
    """The lot master model of ``data`` or its messages as (location, text), and its key.

    The key is ``None`` when ``data`` holds other than plain JSON types (then nothing is
    cached).
    """
    try:
        key = freeze(data)
    except NotPlainError:
        key = None
    if key is not None:
        cached = _MASTERS.get(key)
        if cached is not None:
            return cached, key
    result: LotMaster | list[tuple[str, str]]
    try:
        result = LotMaster.model_validate(data)
    except ValidationError as exc:
        result = [(".".join(str(p) for p in err["loc"]),
                   str(err["msg"]).removeprefix("Value error, ")) for err in exc.errors()]
    if key is not None:
        _MASTERS.remember(key, result)
    return result, key


def _custom_context(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The document's own ``@context`` terms: prefixes and typed term definitions.

    A typed definition (``{"ex:weight": {"@id": ..., "@type": "xsd:decimal"}}``) is kept
    as given: each event carries it, and export writes it back.
    """
    ctx = doc.get("@context")
    out: dict[str, Any] = {}
    for item in ctx if isinstance(ctx, list) else [ctx]:
        if isinstance(item, Mapping):
            out.update({k: str(v) if isinstance(v, str) else dict(v)
                        for k, v in item.items() if (isinstance(v, str) and
                        DEFAULT_PREFIXES.get(k) != v) or isinstance(v, Mapping)})
    return out


def _parse_event(
    i: int, ev: Any, prefixes: Mapping[str, str], issues: list[Issue],
    content: bytes | None = None,
) -> ParsedEvent | None:
    """One event checked (standard, then profile), or ``None`` with its problems.

    ``content`` is the event's RFC 8785 text when the caller has it already.
    """
    if not isinstance(ev, Mapping):
        issues.append(Issue(f"event[{i}]", "", "is not a JSON object", "remove or fix it",
                            code="event.not_object"))
        return None
    given = ev.get("eventID")
    label = f"event[{i}]" + (f" ({given})" if given else "")
    start = len(issues)
    kind = ev.get("type", ev.get("isA"))
    if kind not in EVENT_TYPES:
        issues.append(Issue(label, "type", f"event type {kind!r} is unknown",
                            "use one of " + ", ".join(EVENT_TYPES), code="event.type"))
        return None
    moment = _event_time(ev, label, issues)
    check_event(ev, label, issues)  # the standard's structure (offset, action, lists...)
    action = ev.get("action")
    step_raw = ev.get("bizStep")
    step = step_uri(str(step_raw)) if step_raw else ""
    loc = ev.get("bizLocation")
    location = loc.get("id") if isinstance(loc, Mapping) else (loc if isinstance(loc, str)
                                                               else None)
    frozen: dict[int, Any] = {}
    masters = _masters(ev, label, issues, frozen)
    lists = _Lists.read(ev, label, masters, issues)
    quantities, inputs, outputs = lists.quantities, lists.inputs, lists.outputs
    epcs = {n: [str(e) for e in ev[n]] for n in _EPC_LISTS
            if isinstance(ev.get(n), list) and ev[n]} if not _EPC_SET.isdisjoint(ev) else {}
    items = is_items_transformation(kind, epcs, lists.uncounted)
    if kind == "TransformationEvent" and not items:  # the one type our profile constrains
        _transformation_profile(ev, label, step, bool(inputs), bool(outputs), issues)
    if location is None and ((kind == "TransformationEvent" and not items) or (
            kind == "ObjectEvent" and action == "ADD"
            and any(q.lot in masters for q in quantities))):  # a receipt of our profile
        issues.append(Issue(label, "bizLocation", "bizLocation is missing",
                            "give the site where the material is, e.g. "
                            "{\"id\": \"urn:oreline:site:kmp\"}", code="location.missing"))
    claim = _claim(ev, label, issues)
    errdecl = ev.get("errorDeclaration")
    if len(issues) > start or moment is None:
        return None
    hashed = _hashed(ev, label, prefixes, frozen, issues, content)
    if hashed is None:
        return None
    content, hash_id = hashed
    parent = ev.get("parentID")
    return ParsedEvent(
        index=i, raw=dict(ev), event_id=str(given) if given else hash_id, hash_id=hash_id,
        type=str(kind), time=moment, action=action if isinstance(action, str) else None,
        step=step, location=location, quantities=quantities, inputs=inputs, outputs=outputs,
        masters=masters, error_declaration=dict(errdecl) if isinstance(errdecl, Mapping)
        else None, transformation_id=ev.get("transformationID"),
        claim=dict(claim) if isinstance(claim, Mapping) else None, content=content,
        findings=lists.findings, epcs=epcs, uncounted=lists.uncounted, counts=lists.counts,
        parent=str(parent) if parent is not None else None,
    )


def _event_time(ev: Mapping[str, Any], label: str, issues: list[Issue]) -> datetime | None:
    """The event's ``eventTime`` (``None`` with an issue when missing or without offset)."""
    time_text = ev.get("eventTime")
    if not isinstance(time_text, str):
        issues.append(Issue(label, "eventTime", "eventTime is missing",
                            "add e.g. \"eventTime\": \"2026-03-01T08:00:00+09:00\"",
                            code="time.missing"))
        return None
    try:
        return datetime.fromisoformat(normalise_timestamp(time_text).replace("Z", "+00:00"))
    except ValueError:
        issues.append(Issue(label, "eventTime",
                            f"eventTime {time_text!r} has no time zone offset or is not "
                            "ISO 8601", "write it with an offset, e.g. "
                            "2026-03-01T08:00:00+09:00", code="time.invalid"))
        return None


def _transformation_profile(ev: Mapping[str, Any], label: str, step: str, has_inputs: bool,
                            has_outputs: bool, issues: list[Issue]) -> None:
    """Our profile's transformations: one of our steps; inputs and outputs (or a campaign)."""
    if step_name(step) not in OUR_STEPS or not step.startswith(OURS):
        given = ev.get("bizStep")
        issues.append(Issue(label, "bizStep", "a transformation has no bizStep" if given is None
                            else f"bizStep {given!r} is not a transformation step of our "
                            "profile", "use one of " + ", ".join(f"oreline:BizStep-{s}"
                                                                 for s in OUR_STEPS),
                            code="step.unknown"))
    for side, has, verb in (("input", has_inputs, "consumed"),
                            ("output", has_outputs, "produced")):
        if has or ev.get("transformationID"):
            continue
        epcs = ev.get(f"{side}EPCList")
        if isinstance(epcs, list) and epcs:  # named as such: not "has no outputs"
            issues.append(Issue(label, f"{side}EPCList", f"the {side}s are listed as "
                                f"{len(epcs)} EPC(s) (instance level), with no lot quantities",
                                f"our profile balances lots by mass: list the {verb} lots in "
                                f"{side}QuantityList with quantity and uom",
                                code=f"transformation.no_{side}s"))
        else:
            issues.append(Issue(label, f"{side}QuantityList", f"transformation has no {side}s",
                                f"list the {verb} lots with quantity and uom",
                                code=f"transformation.no_{side}s"))


def _claim(ev: Mapping[str, Any], label: str, issues: list[Issue]) -> Any:
    """The event's ``oreline:claim`` (``None`` with an issue when malformed)."""
    claim = ev.get("oreline:claim")
    if claim is not None and not (isinstance(claim, Mapping) and isinstance(
            claim.get("share"), int | float) and 0 <= claim["share"] <= 1):
        issues.append(Issue(label, "oreline:claim", f"claim {claim!r} is malformed",
                            "use {\"characteristic\": \"ex-china\", \"share\": 0.8}",
                            code="claim.malformed"))
        return None
    return claim


def _hashed(ev: Mapping[str, Any], label: str, prefixes: Mapping[str, str],
            frozen: Mapping[int, Any], issues: list[Issue],
            content: bytes | None = None) -> tuple[bytes, str] | None:
    """The stored text (``content`` when already known) and the hash ID of an event."""
    try:
        return (canonical_json(ev) if content is None else content,
                event_hash_id(ev, prefixes, frozen=frozen))
    except (ValueError, TypeError) as exc:
        issues.append(Issue(label, "", f"the event cannot be hashed as JSON: {exc}",
                            "use finite numbers (no NaN or Infinity), integers within "
                            "+-2**53, timestamps with an offset and valid Unicode text",
                            code="event.unhashable"))
        return None


def parse_document(source: str | Path | Mapping[str, Any]) -> tuple[list[ParsedEvent],
                                                                       dict[str, Any]]:
    """Parse and profile-check a document; returns events and the document's master data.

    Every problem is collected before raising, so the user sees them all at once.

    Raises
    ------
    CaptureError
        Listing every problem; nothing is written.

    """
    doc = read_document(source)
    issues: list[Issue] = []
    raw_events = _event_list(doc, issues)
    prefixes = _prefixes(doc)
    custom = _custom_context(doc)
    if custom and doc.get("type", doc.get("isA")) in ("EPCISDocument", "EPCISQueryDocument"):
        # the event keeps the document's own prefixes so it can be re-hashed on its own
        raw_events = [dict(ev, **{"@context": [custom]}) if isinstance(ev, Mapping) and
                      "@context" not in ev else ev for ev in raw_events]
    parsed: list[ParsedEvent] = []
    seen: dict[str, int] = {}
    # the stored texts, proven RFC 8785 once for the whole list (None: each on its own)
    contents = canonical_json_many(raw_events)
    for i, ev in enumerate(raw_events):
        pe = _parse_event(i, ev, prefixes, issues, contents[i])
        if pe is None:
            continue
        if pe.error_declaration is None:
            if pe.event_id in seen:
                first = seen[pe.event_id]
                issues.append(Issue(pe.label, "eventID",
                                    f"duplicate eventID, already used by event[{first}]",
                                    "give each event its own eventID (or omit it: the CBV hash "
                                    "ID is used)", code="event.duplicate"))
            seen[pe.event_id] = i
        parsed.append(pe)
    if issues:
        raise CaptureError(issues)
    header = doc.get("epcisHeader")
    master = header.get("epcisMasterData", {}) if isinstance(header, Mapping) else {}
    return parsed, dict(master) if isinstance(master, Mapping) else {}
