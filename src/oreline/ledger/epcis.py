"""EPCIS 2.0 JSON-LD in and out, and Oreline's stricter capture profile.

Documents are ``EPCISDocument`` objects (``epcisBody.eventList``) or single events.
Our profile adds, on top of the standard:

* every quantity element of a lot needs ``quantity`` and ``uom`` (``KGM`` or ``TNE``);
* ``eventTime`` must carry a zone offset and ``eventTimeZoneOffset`` is required;
* a new lot (``ObjectEvent`` ``ADD`` or a transformation output) needs master data in
  ``ilmd["oreline:lotMaster"]``: material, form, assay by element, custody model and,
  for received lots, the country of every stage reached so far;
* transformations use Oreline's business steps (:data:`OUR_STEPS`) and must balance.

Parsing never touches the database; semantic checks against stock live in
:mod:`oreline.ledger.custody`.

Examples
--------
>>> step_uri("oreline:BizStep-alloying")
'https://oreline.dev/voc/BizStep-alloying'
>>> to_kg(1.5, "TNE")
1500.0

"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from oreline.errors import CaptureError, Issue
from oreline.ledger.hashing import (
    DEFAULT_PREFIXES,
    NotPlainError,
    canonical_json,
    event_hash_id,
    freeze,
    normalise_timestamp,
)
from oreline.ledger.standard import check_event

__all__ = [
    "EPCIS_CONTEXT",
    "EVENT_TYPES",
    "OURS",
    "OUR_STEPS",
    "STAGES",
    "LotMaster",
    "ParsedEvent",
    "QtyRef",
    "make_document",
    "parse_document",
    "read_document",
    "step_uri",
    "to_kg",
]

OURS = "https://oreline.dev/voc/"
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
CONTEXT: list[Any] = [EPCIS_CONTEXT, {"oreline": OURS}]
EVENT_TYPES = (
    "ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent",
    "AssociationEvent",
)
#: Stages of the chain, in order; a lot's origin map gives a country for each stage reached.
STAGES = ("mined", "separated", "refined", "melted", "produced")
#: Our business steps (CBV 2.0 has none for these) and the stage each one adds.
OUR_STEPS: dict[str, str | None] = {
    "separation": "separated",
    "electrolytic_reduction": "refined",
    "calciothermic_reduction": "refined",
    "alloying": "melted",
    "strip_casting": "melted",
    "sintering": "produced",
    "recycling": None,
}
FORMS = ("ore", "concentrate", "carbonate", "oxide", "fluoride", "metal", "alloy", "magnet",
         "swarf", "scrap", "reagent")
_UOM = {"KGM": 1.0, "TNE": 1000.0}
_SHA = re.compile(r"^[0-9a-f]{64}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def step_uri(value: str) -> str:
    """Full URI of a business step (ours via the ``oreline:`` prefix, or CBV bare words)."""
    if value.startswith("oreline:"):
        return OURS + value[len("oreline:"):]
    if value.startswith(("http://", "https://", "urn:")):
        if value.startswith("urn:epcglobal:cbv:bizstep:"):
            return "https://ref.gs1.org/cbv/BizStep-" + value.rsplit(":", 1)[1]
        return value
    return "https://ref.gs1.org/cbv/BizStep-" + value


def step_name(uri: str) -> str:
    """Short name of a step URI (``alloying``, ``shipping``...)."""
    return uri.rsplit("BizStep-", 1)[-1] if "BizStep-" in uri else uri


def to_kg(quantity: float, uom: str) -> float:
    """Convert a quantity in ``KGM`` or ``TNE`` to kilograms."""
    return float(quantity) * _UOM[uom]


class Evidence(BaseModel):
    """An evidence document (kept private) by its SHA-256, with its validity window."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)
    sha256: str
    type: str = "certificate"
    issuer: str | None = None
    valid_from: date | None = Field(default=None, alias="validFrom")
    valid_to: date | None = Field(default=None, alias="validTo")

    @field_validator("sha256")
    @classmethod
    def _sha(cls, v: str) -> str:
        if not _SHA.match(v):
            raise ValueError(f"evidence {v!r} is not a lower-case hex SHA-256 (64 chars)")
        return v


class StageOrigin(BaseModel):
    """Country of one stage, with the evidence documents backing it.

    Evidence is a SHA-256 string or an object with ``sha256``, ``type``, ``issuer``,
    ``validFrom`` and ``validTo`` (checked against the event time).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    country: str | None = None
    evidence: list[str | Evidence] = Field(default_factory=list)

    def hashes(self) -> list[str]:
        """SHA-256 of every evidence document."""
        return [e if isinstance(e, str) else e.sha256 for e in self.evidence]

    @field_validator("country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        if v is not None and not _COUNTRY.match(v):
            raise ValueError(f"country {v!r} is not an ISO 3166 alpha-2 code such as 'AU'")
        return v

    @field_validator("evidence")
    @classmethod
    def _evidence(cls, v: list[str | Evidence]) -> list[str | Evidence]:
        for h in v:
            if isinstance(h, str) and not _SHA.match(h):
                raise ValueError(f"evidence {h!r} is not a lower-case hex SHA-256 (64 chars)")
        return v


class Claim(BaseModel):
    """A mass-balance claim carried by a lot (share of its content with a characteristic)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    characteristic: str = "ex-china"
    share: float = Field(ge=0.0, le=1.0)


class LotMaster(BaseModel):
    """Lot master data carried in ``ilmd["oreline:lotMaster"][lot]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    material: str
    form: Literal[
        "ore", "concentrate", "carbonate", "oxide", "fluoride", "metal", "alloy", "magnet",
        "swarf", "scrap", "reagent",
    ]
    assay: dict[str, float]
    custody: Literal["identity_preserved", "segregated", "mass_balance"] = "segregated"
    origin: dict[str, StageOrigin] = Field(default_factory=dict)
    claim: Claim | None = None

    @field_validator("assay")
    @classmethod
    def _assay(cls, v: dict[str, float]) -> dict[str, float]:
        from oreline.units import ATOMIC_WEIGHTS

        for el, frac in v.items():
            if el not in ATOMIC_WEIGHTS:
                raise ValueError(f"assay names {el!r}, not an element symbol such as 'Nd'")
            if not 0.0 <= frac <= 1.0:
                raise ValueError(f"assay fraction of {el} is {frac}, outside 0..1")
        if sum(v.values()) > 1.0 + 1e-6:
            raise ValueError(f"assay fractions sum to {sum(v.values()):.4f}, more than 1")
        return v

    @field_validator("origin")
    @classmethod
    def _origin(cls, v: dict[str, StageOrigin]) -> dict[str, StageOrigin]:
        for stage in v:
            if stage not in STAGES:
                raise ValueError(f"origin stage {stage!r} is not one of {', '.join(STAGES)}")
        return v


@dataclass(frozen=True)
class QtyRef:
    """A quantity of a lot in kilograms."""

    lot: str
    kg: float


@dataclass
class ParsedEvent:
    """One event of a document after profile checks (plain data, no database).

    ``masters`` holds frozen models that may be shared with other events and documents
    carrying the same master data (each distinct master data is validated once): read
    them, never change their ``assay`` or ``origin`` mappings.
    """

    index: int
    raw: dict[str, Any]
    event_id: str
    hash_id: str
    type: str
    time: datetime
    action: str | None
    step: str
    location: str | None
    quantities: list[QtyRef] = field(default_factory=list)
    inputs: list[QtyRef] = field(default_factory=list)
    outputs: list[QtyRef] = field(default_factory=list)
    masters: dict[str, LotMaster] = field(default_factory=dict)
    error_declaration: dict[str, Any] | None = None
    transformation_id: str | None = None
    #: RFC 8785 text of the event as captured (what the ledger stores and hashes)
    content: bytes = b""
    claim: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        """How messages name this event: index and eventID."""
        return f"event[{self.index}] ({self.event_id})"


def read_document(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """Load a JSON-LD document from a path, a JSON string or a mapping.

    Raises
    ------
    CaptureError
        When the file is missing or is not JSON.

    """
    if isinstance(source, Mapping):
        return dict(source)
    text = str(source)
    where = "document"
    if not text.lstrip().startswith(("{", "[")):
        path = Path(text)
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CaptureError([Issue(where, "", f"cannot read the file: {exc.strerror}",
                                      "check the path")]) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaptureError([Issue(where, f"line {exc.lineno} col {exc.colno}",
                                  f"not valid JSON: {exc.msg}",
                                  "fix the JSON syntax (a linter such as `python -m json.tool`)"
                                  )]) from exc
    if not isinstance(data, dict):
        raise CaptureError([Issue(where, "", "the document is not a JSON object",
                                  "wrap events in an EPCISDocument")])
    return data


def _prefixes(doc: Mapping[str, Any]) -> dict[str, str]:
    px = dict(DEFAULT_PREFIXES)
    px["oreline"] = OURS
    ctx = doc.get("@context")
    for item in ctx if isinstance(ctx, list) else [ctx]:
        if isinstance(item, Mapping):
            px.update({k: str(v) for k, v in item.items() if isinstance(v, str)})
    return px


def _event_list(doc: Mapping[str, Any], issues: list[Issue]) -> list[Any]:
    kind = doc.get("type", doc.get("isA"))
    if kind in EVENT_TYPES:
        return [doc]
    if kind != "EPCISDocument":
        issues.append(Issue("document", "type", f"type is {kind!r}",
                            "use 'EPCISDocument' or one of " + ", ".join(EVENT_TYPES)))
        return []
    body = doc.get("epcisBody")
    events = body.get("eventList", body.get("event")) if isinstance(body, Mapping) else None
    if isinstance(events, Mapping):
        events = [events]
    if not isinstance(events, list) or not events:
        issues.append(Issue("document", "epcisBody.eventList", "no events found",
                            "put the events in epcisBody.eventList"))
        return []
    return events


def _quantities(
    ev: Mapping[str, Any], name: str, label: str, issues: list[Issue]
) -> list[QtyRef]:
    out: list[QtyRef] = []
    items = ev.get(name) or []
    if not isinstance(items, list):  # reported by the standard's checks
        return out
    for j, q in enumerate(items):
        where = f"{name}[{j}]"
        if not isinstance(q, Mapping) or "epcClass" not in q:
            issues.append(Issue(label, where, "quantity element has no epcClass",
                                "give the lot's URI in epcClass"))
            continue
        lot = str(q["epcClass"])
        if "quantity" not in q:
            issues.append(Issue(label, f"{where}.quantity",
                                f"lot {lot} has no quantity (our profile requires it)",
                                "add the net mass, e.g. \"quantity\": 1200, \"uom\": \"KGM\""))
            continue
        if "uom" not in q:
            issues.append(Issue(label, f"{where}.uom", f"lot {lot} has no uom",
                                "add \"uom\": \"KGM\" (kilograms) or \"TNE\" (tonnes)"))
            continue
        if type(q["uom"]) is not str or q["uom"] not in _UOM:
            issues.append(Issue(label, f"{where}.uom", f"uom {q['uom']!r} is not allowed",
                                "use KGM or TNE (UN/ECE Rec 20)"))
            continue
        qty = q["quantity"]
        if isinstance(qty, bool) or not isinstance(qty, int | float) or not (
                0 < qty < math.inf):  # NaN fails both comparisons
            issues.append(Issue(label, f"{where}.quantity", f"quantity {qty!r} is not positive",
                                "give a positive, finite number"))
            continue
        out.append(QtyRef(lot, to_kg(qty, str(q["uom"]))))
    return out


def _masters(ev: Mapping[str, Any], label: str, issues: list[Issue],
             frozen: dict[int, Any] | None = None) -> dict[str, LotMaster]:
    """Validated master data of the lots of ``ev`` by lot; problems go to ``issues``.

    ``frozen`` receives the :func:`~oreline.ledger.hashing.freeze` key of each master data
    mapping by its ``id`` (for the event's hash ID, computed next).
    """
    ilmd = ev.get("ilmd")
    if not isinstance(ilmd, Mapping):
        return {}
    raw = ilmd.get("oreline:lotMaster", {})
    if not isinstance(raw, Mapping):
        issues.append(Issue(label, "ilmd.oreline:lotMaster", "must map lot URI -> master data",
                            "see docs/trace.md"))
        return {}
    out: dict[str, LotMaster] = {}
    for lot, data in raw.items():
        result, key = _validate_master(data)
        if key is not None and frozen is not None:
            frozen[id(data)] = key
        if isinstance(result, LotMaster):
            out[lot] = result
            continue
        for loc, msg in result:
            issues.append(Issue(label, f"ilmd.oreline:lotMaster[{lot}].{loc}", msg,
                                "correct the lot master data"))
    return out


#: Validated master data by :func:`~oreline.ledger.hashing.freeze` key: documents repeat
#: the master data of their lots (one supplier's receipts, one campaign's outputs), and
#: validation is a pure function of the data. Holds a model or the validation messages.
_MASTERS: dict[Any, LotMaster | list[tuple[str, str]]] = {}
_MASTERS_SIZE = 4096


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
        if len(_MASTERS) >= _MASTERS_SIZE:
            _MASTERS.clear()
        _MASTERS[key] = result
    return result, key


def _custom_context(doc: Mapping[str, Any]) -> dict[str, str]:
    ctx = doc.get("@context")
    out: dict[str, str] = {}
    for item in ctx if isinstance(ctx, list) else [ctx]:
        if isinstance(item, Mapping):
            out.update({k: str(v) for k, v in item.items() if isinstance(v, str) and
                        DEFAULT_PREFIXES.get(k) != v})
    return out


def _parse_event(
    i: int, ev: Any, prefixes: Mapping[str, str], issues: list[Issue]
) -> ParsedEvent | None:
    if not isinstance(ev, Mapping):
        issues.append(Issue(f"event[{i}]", "", "is not a JSON object", "remove or fix it"))
        return None
    given = ev.get("eventID")
    label = f"event[{i}]" + (f" ({given})" if given else "")
    start = len(issues)
    kind = ev.get("type", ev.get("isA"))
    if kind not in EVENT_TYPES:
        issues.append(Issue(label, "type", f"event type {kind!r} is unknown",
                            "use one of " + ", ".join(EVENT_TYPES)))
        return None
    time_text = ev.get("eventTime")
    moment: datetime | None = None
    if not isinstance(time_text, str):
        issues.append(Issue(label, "eventTime", "eventTime is missing",
                            "add e.g. \"eventTime\": \"2026-03-01T08:00:00+09:00\""))
    else:
        try:
            moment = datetime.fromisoformat(normalise_timestamp(time_text).replace("Z", "+00:00"))
        except ValueError:
            issues.append(Issue(label, "eventTime",
                                f"eventTime {time_text!r} has no time zone offset or is not "
                                "ISO 8601", "write it with an offset, e.g. "
                                "2026-03-01T08:00:00+09:00"))
    check_event(ev, label, issues)  # the standard's structure (offset, action, lists...)
    action = ev.get("action")
    step_raw = ev.get("bizStep")
    step = step_uri(str(step_raw)) if step_raw else ""
    loc = ev.get("bizLocation")
    location = loc.get("id") if isinstance(loc, Mapping) else (loc if isinstance(loc, str)
                                                               else None)
    quantities = _quantities(ev, "quantityList", label, issues)
    quantities += _quantities(ev, "childQuantityList", label, issues)
    inputs = _quantities(ev, "inputQuantityList", label, issues)
    outputs = _quantities(ev, "outputQuantityList", label, issues)
    frozen: dict[int, Any] = {}
    masters = _masters(ev, label, issues, frozen)
    if kind == "TransformationEvent":
        if step_name(step) not in OUR_STEPS or not step.startswith(OURS):
            issues.append(Issue(label, "bizStep", f"bizStep {step_raw!r} is not a "
                                "transformation step of our profile",
                                "use one of " + ", ".join(f"oreline:BizStep-{s}"
                                                          for s in OUR_STEPS)))
        if not inputs and not ev.get("transformationID"):
            issues.append(Issue(label, "inputQuantityList", "transformation has no inputs",
                                "list the consumed lots with quantity and uom"))
        if not outputs and not ev.get("transformationID"):
            issues.append(Issue(label, "outputQuantityList", "transformation has no outputs",
                                "list the produced lots with quantity and uom"))
    if location is None and (kind == "TransformationEvent" or quantities):
        issues.append(Issue(label, "bizLocation", "bizLocation is missing",
                            "give the site where the material is, e.g. "
                            "{\"id\": \"urn:oreline:site:kmp\"}"))
    claim = ev.get("oreline:claim")
    if claim is not None and not (isinstance(claim, Mapping) and isinstance(
            claim.get("share"), int | float) and 0 <= claim["share"] <= 1):
        issues.append(Issue(label, "oreline:claim", f"claim {claim!r} is malformed",
                            "use {\"characteristic\": \"ex-china\", \"share\": 0.8}"))
        claim = None
    errdecl = ev.get("errorDeclaration")
    if len(issues) > start or moment is None:
        return None
    try:  # the stored text and the hash ID: I-JSON values only
        content = canonical_json(ev)
        hash_id = event_hash_id(ev, prefixes, frozen=frozen)
    except (ValueError, TypeError) as exc:
        issues.append(Issue(label, "", f"the event cannot be hashed as JSON: {exc}",
                            "use finite numbers (no NaN or Infinity), integers within "
                            "+-2**53, timestamps with an offset and valid Unicode text"))
        return None
    return ParsedEvent(
        index=i, raw=dict(ev), event_id=str(given) if given else hash_id, hash_id=hash_id,
        type=str(kind), time=moment, action=action if isinstance(action, str) else None,
        step=step, location=location, quantities=quantities, inputs=inputs, outputs=outputs,
        masters=masters, error_declaration=dict(errdecl) if isinstance(errdecl, Mapping)
        else None, transformation_id=ev.get("transformationID"),
        claim=dict(claim) if isinstance(claim, Mapping) else None, content=content,
    )


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
    if custom and doc.get("type", doc.get("isA")) == "EPCISDocument":
        # the event keeps the document's own prefixes so it can be re-hashed on its own
        raw_events = [dict(ev, **{"@context": [custom]}) if isinstance(ev, Mapping) and
                      "@context" not in ev else ev for ev in raw_events]
    parsed: list[ParsedEvent] = []
    seen: dict[str, int] = {}
    for i, ev in enumerate(raw_events):
        pe = _parse_event(i, ev, prefixes, issues)
        if pe is None:
            continue
        if pe.error_declaration is None:
            if pe.event_id in seen:
                first = seen[pe.event_id]
                issues.append(Issue(pe.label, "eventID",
                                    f"duplicate eventID, already used by event[{first}]",
                                    "give each event its own eventID (or omit it: the CBV hash "
                                    "ID is used)"))
            seen[pe.event_id] = i
        parsed.append(pe)
    if issues:
        raise CaptureError(issues)
    header = doc.get("epcisHeader")
    master = header.get("epcisMasterData", {}) if isinstance(header, Mapping) else {}
    return parsed, dict(master) if isinstance(master, Mapping) else {}


def make_document(events: list[dict[str, Any]], master_data: Mapping[str, Any] | None = None,
                  created: str | None = None) -> dict[str, Any]:
    """Wrap events in an EPCIS 2.0 JSON-LD ``EPCISDocument``.

    Examples
    --------
    >>> make_document([], created="2026-01-01T00:00:00Z")["type"]
    'EPCISDocument'

    """
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created or datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    if master_data:
        doc["epcisHeader"] = {"epcisMasterData": dict(master_data)}
    doc["epcisBody"] = {"eventList": list(events)}
    return doc
