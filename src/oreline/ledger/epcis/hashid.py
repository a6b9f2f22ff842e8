"""CBV 2.0 "EPCIS Event Hash ID" of an event.

The event hash ID is syntax-agnostic: the event is flattened into a *pre-hash string*
in the canonical property order of CBV 2.0 (section "EPCIS Event Hash ID"), values are
normalised (UTC timestamps with at least millisecond precision, CBV terms and CURIEs
expanded to full URIs, EPC URNs turned into canonical GS1 Digital Link URIs, no trailing
zeros in numbers) and list members are sorted, then hashed with SHA-256 and wrapped as
``ni:///sha-256;<hex>?ver=CBV2.0``.

Values are written by :mod:`oreline.ledger.epcis.values`, user extensions by
:mod:`oreline.ledger.epcis.extensions`; this module puts the parts in order.

Examples
--------
>>> ev = {"type": "ObjectEvent", "eventTime": "2024-01-02T03:04:05+09:00",
...       "eventTimeZoneOffset": "+09:00", "action": "OBSERVE", "bizStep": "shipping",
...       "epcList": ["urn:epc:id:sgtin:0614141.107346.2018"]}
>>> prehash_string(ev)[:60]
'eventType=ObjectEventeventTime=2024-01-01T18:04:05.000Zevent'
>>> event_hash_id(ev)[:14]
'ni:///sha-256;'

"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from oreline.ledger.epcis.canonical import sha256_hex
from oreline.ledger.epcis.extensions import extensions
from oreline.ledger.epcis.values import (
    DEFAULT_PREFIXES,
    GS1_VOC,
    expand_curie,
    format_number,
    normalise_timestamp,
    uri,
    vocab,
)

__all__ = ["CBV_VERSION", "event_hash_id", "prehash_string"]

CBV_VERSION = "CBV2.0"

_STANDARD_FIELDS = frozenset(
    {
        "type", "isA", "eventID", "eventTime", "eventTimeZoneOffset", "recordTime",
        "certificationInfo", "errorDeclaration", "epcList", "parentID", "inputEPCList",
        "childEPCs", "quantityList", "childQuantityList", "inputQuantityList",
        "outputEPCList", "outputQuantityList", "action", "transformationID", "bizStep",
        "disposition", "persistentDisposition", "readPoint", "bizLocation",
        "bizTransactionList", "sourceList", "destinationList", "sensorElementList", "ilmd",
        "@context",
        # annotations for people, left out by both reference generators
        "comment", "rdfs:comment",
    }
)
_EPC_LISTS = ("epcList", "parentID", "inputEPCList", "childEPCs")
_QTY_LISTS_A = ("quantityList", "childQuantityList", "inputQuantityList")
_SENSOR_META = (
    "time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData",
    "dataProcessingMethod", "bizRules",
)
_SENSOR_REPORT = (
    "type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod",
    "time", "microorganism", "chemicalSubstance", "value", "component", "stringValue",
    "booleanValue", "hexBinaryValue", "uriValue", "minValue", "maxValue", "meanValue",
    "sDev", "percRank", "percValue", "uom", "coordinateReferenceSystem",
)
def _qty_element(el: Mapping[str, Any], prefixes: Mapping[str, str]) -> str:
    out = "quantityElement"
    if "epcClass" in el:
        out += "epcClass=" + uri(el["epcClass"], prefixes)
    if "quantity" in el:
        out += "quantity=" + format_number(el["quantity"])
    if "uom" in el:
        out += "uom=" + str(el["uom"]).strip()
    return out


def _typed_list(
    name: str, item: str, entries: list[Mapping[str, Any]], prefixes: Mapping[str, str]
) -> str:
    kind = "bizTransactionType" if item == "bizTransaction" else "sdt"
    parts = []
    for entry in entries:  # CBV 2.0: the type, then the ID, before the entries are sorted
        text = "type=" + vocab(str(entry["type"]), kind, prefixes) if "type" in entry else ""
        parts.append(f"{text}{item}={uri(entry[item], prefixes)}")
    return name + "".join(sorted(parts))


def _sensor_element(el: Mapping[str, Any], prefixes: Mapping[str, str]) -> str:
    out = "sensorElement"
    meta = el.get("sensorMetadata")
    if isinstance(meta, Mapping):
        out += "sensorMetadata"
        for field in _SENSOR_META:
            if field in meta:
                val = meta[field]
                val = normalise_timestamp(val) if field.endswith("ime") else uri(val, prefixes)
                out += f"{field}={val}"
        out += extensions(meta, frozenset(_SENSOR_META), prefixes)
    reports = []
    for rep in el.get("sensorReport", []) or []:
        text = "sensorReport"
        for field in _SENSOR_REPORT:
            if field in rep:
                val = rep[field]
                if field in ("type", "exception"):
                    val = expand_curie(str(val), prefixes)
                    val = val if ":" in val else GS1_VOC + str(val)
                elif field == "time":
                    val = normalise_timestamp(str(val))
                elif field == "component":
                    val = vocab(str(val), "component", prefixes)
                elif isinstance(val, int | float):
                    val = format_number(val)
                else:
                    val = uri(str(val), prefixes)
                text += f"{field}={val}"
        text += extensions(rep, frozenset(_SENSOR_REPORT), prefixes)
        reports.append(text)
    out += "".join(sorted(reports))
    return out + extensions(el, frozenset({"sensorMetadata", "sensorReport"}), prefixes)


#: The last prefix resolution: (prefixes given, event ``@context``, prefixes in force,
#: their hashable snapshot). Events of a document share both inputs, which are compared
#: by value (copies are kept), so a changed mapping is never served stale.
_LAST_PREFIXES: list[tuple[Any, Any, dict[str, str], tuple[tuple[str, str], ...]]] = []


def _prefixes_in_force(prefixes: Mapping[str, str] | None,
                       ctx: Any) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    """CURIE prefixes for an event: the defaults, then ``prefixes``, then its context."""
    given = dict(prefixes) if prefixes else None
    for last in _LAST_PREFIXES:
        if last[0] == given and last[1] == ctx:
            return last[2], last[3]
    px = dict(DEFAULT_PREFIXES)
    if given:
        px.update(given)
    for item in ctx if isinstance(ctx, list) else [ctx]:
        if isinstance(item, Mapping):
            px.update({k: str(v) for k, v in item.items() if isinstance(v, str)})
    resolved = (px, tuple(px.items()))
    try:
        _LAST_PREFIXES[:] = [(given, copy.deepcopy(ctx), *resolved)]
    except Exception:  # a context that cannot be copied is not remembered
        _LAST_PREFIXES.clear()
    return resolved


def prehash_string(event: Mapping[str, Any], prefixes: Mapping[str, str] | None = None, *,
                   frozen: Mapping[int, Any] | None = None,
                   ignore: frozenset[str] = frozenset()) -> str:
    """The CBV 2.0 pre-hash string of one EPCIS event given as a JSON-LD mapping.

    Parameters
    ----------
    event
        The event (``type`` or ``isA`` names its event type).
    prefixes
        CURIE prefixes from the document's ``@context`` (added to the EPCIS defaults).
    frozen
        :func:`~oreline.ledger.epcis.canonical.freeze` keys already computed for maps
        inside ``event``, by ``id`` of the map (valid during this call only: the maps
        must not change meanwhile).
    ignore
        Top-level fields of the event left out, as written in the event (such as
        ``"ex:captureID"``): a repository's own additions that partners agree to leave
        out, as the reference generator's ``ignoreFields`` does.

    """
    px, px_key = _prefixes_in_force(prefixes, event.get("@context"))
    out = ["eventType=" + str(event.get("type", event.get("isA", "")))]
    _when_and_what(event, px, out)
    _how_and_where(event, px, out)
    if event.get("ilmd"):
        out.append("ilmd" + extensions(event["ilmd"], frozenset(), px, px_key, frozen))
    skip = _STANDARD_FIELDS | ignore if ignore else _STANDARD_FIELDS
    out.append(extensions(event, skip, px, px_key))
    return "".join(out)


def _when_and_what(event: Mapping[str, Any], px: Mapping[str, str], out: list[str]) -> None:
    """The parts from ``eventTime`` to ``outputQuantityList``, in CBV order."""
    if "eventTime" in event:
        out.append("eventTime=" + normalise_timestamp(str(event["eventTime"])))
    if "eventTimeZoneOffset" in event:
        out.append("eventTimeZoneOffset=" + str(event["eventTimeZoneOffset"]).strip())
    if "certificationInfo" in event:
        cert = event["certificationInfo"]
        for c in sorted(cert if isinstance(cert, list) else [cert]):
            out.append("certificationInfo=" + uri(c, px))
    for name in _EPC_LISTS:
        if name not in event:
            continue
        if name == "parentID":
            out.append("parentID=" + uri(event[name], px))
        elif event[name]:
            out.append(name + "".join(sorted("epc=" + uri(e, px) for e in event[name])))
    for name in _QTY_LISTS_A:
        if event.get(name):
            out.append(name + "".join(sorted(_qty_element(q, px) for q in event[name])))
    if event.get("outputEPCList"):
        out.append(
            "outputEPCList" + "".join(sorted("epc=" + uri(e, px) for e in event["outputEPCList"]))
        )
    if event.get("outputQuantityList"):
        out.append(
            "outputQuantityList"
            + "".join(sorted(_qty_element(q, px) for q in event["outputQuantityList"]))
        )


def _how_and_where(event: Mapping[str, Any], px: Mapping[str, str], out: list[str]) -> None:
    """The parts from ``action`` to ``sensorElementList``, in CBV order."""
    if "action" in event:
        out.append("action=" + str(event["action"]).strip())
    if "transformationID" in event:
        out.append("transformationID=" + uri(event["transformationID"], px))
    for name, kind in (("bizStep", "bizStep"), ("disposition", "disposition")):
        if name in event:
            out.append(f"{name}=" + vocab(str(event[name]), kind, px))
    if "persistentDisposition" in event:
        pd = event["persistentDisposition"]
        text = "persistentDisposition"
        for key in ("set", "unset"):
            for val in sorted(vocab(str(v), "disposition", px) for v in pd.get(key, [])):
                text += f"{key}={val}"
        out.append(text)
    for name in ("readPoint", "bizLocation"):  # extensions follow the ID (CBV 2.0)
        if name in event:
            loc = event[name]
            loc_id = loc["id"] if isinstance(loc, Mapping) else loc
            text = f"{name}id=" + uri(loc_id, px)
            if isinstance(loc, Mapping) and any(k != "id" for k in loc):
                text += extensions(loc, frozenset({"id"}), px)
            out.append(text)
    if event.get("bizTransactionList"):
        out.append(_typed_list("bizTransactionList", "bizTransaction",
                               event["bizTransactionList"], px))
    if event.get("sourceList"):
        out.append(_typed_list("sourceList", "source", event["sourceList"], px))
    if event.get("destinationList"):
        out.append(_typed_list("destinationList", "destination", event["destinationList"], px))
    if event.get("sensorElementList"):
        elements = sorted(_sensor_element(e, px) for e in event["sensorElementList"])
        out.append("sensorElementList" + "".join(elements))


def event_hash_id(event: Mapping[str, Any], prefixes: Mapping[str, str] | None = None, *,
                  frozen: Mapping[int, Any] | None = None,
                  ignore: frozenset[str] = frozenset()) -> str:
    """The CBV 2.0 EPCIS Event Hash ID (``ni:///sha-256;...?ver=CBV2.0``) of an event.

    ``frozen`` and ``ignore`` are passed to :func:`prehash_string`.
    """
    digest = sha256_hex(prehash_string(event, prefixes, frozen=frozen, ignore=ignore))
    return f"ni:///sha-256;{digest}?ver={CBV_VERSION}"
