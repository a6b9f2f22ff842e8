"""The event hash ID as Oreline computed it before December 2026, frozen.

Ledgers written before then store event hash IDs of this algorithm, which departs from
CBV 2.0 and its reference generators (a business transaction's or source's ID before its
type, sub-millisecond digits kept, only SGTIN/LGTIN/SSCC/SGLN/PGLN as Digital Link,
readPoint extensions after the last standard field, bare sensor components). Entries are
chained over the stored ID, so ``trace verify`` accepts an entry whose ID is either the
current one (:func:`oreline.ledger.epcis.hashid.event_hash_id`) or this one; nothing
else uses it. Do not change this module: the stored IDs must keep verifying.

Examples
--------
>>> ev = {"type": "ObjectEvent", "eventTime": "2024-01-02T03:04:05.0001+00:00",
...       "eventTimeZoneOffset": "+00:00", "action": "OBSERVE"}
>>> legacy_prehash_string(ev)
'eventType=ObjectEventeventTime=2024-01-02T03:04:05.0001ZeventTimeZoneOffset=+00:00action=OBSERVE'

"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from oreline.ledger.epcis.canonical import sha256_hex
from oreline.ledger.epcis.digitallink import check_digit
from oreline.ledger.epcis.extensions import extensions
from oreline.ledger.epcis.memo import Memo

__all__ = ["legacy_event_hash_id", "legacy_prehash_string"]



_CBV = "https://ref.gs1.org/cbv/"
_EPCIS = "https://ref.gs1.org/epcis/"
GS1_VOC = "https://gs1.org/voc/"
_DL = "https://id.gs1.org"
#: Default CURIE prefixes of the EPCIS 2.0 JSON-LD context, and our vocabulary's
#: (``oreline:``), so that an event hashed on its own gets the ID it got in its document.
DEFAULT_PREFIXES: dict[str, str] = {
    "gs1": GS1_VOC,
    "cbv": _CBV,
    "epcis": _EPCIS,
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "oreline": "https://oreline.dev/voc/",
}

_VOCAB_PREFIX = {
    "bizStep": "BizStep-",
    "disposition": "Disp-",
    "bizTransactionType": "BTT-",
    "sdt": "SDT-",
    "exception": "",
}
_URN_VOCAB = {
    "urn:epcglobal:cbv:bizstep:": "BizStep-",
    "urn:epcglobal:cbv:disp:": "Disp-",
    "urn:epcglobal:cbv:btt:": "BTT-",
    "urn:epcglobal:cbv:sdt:": "SDT-",
    "urn:epcglobal:cbv:er:": "ER-",
}
_TIME_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$"
)


#: Results of pure functions of one string or number (events of a document repeat them).
_CACHE_SIZE = 8192
_TIMESTAMPS: Memo[str, str] = Memo(_CACHE_SIZE)
_NUMBERS: Memo[tuple[type, Any], str] = Memo(_CACHE_SIZE)
_LINKS: Memo[str, str] = Memo(_CACHE_SIZE)
_TERMS: Memo[tuple[str, str], str] = Memo(_CACHE_SIZE)


def _old_normalise_timestamp(value: str) -> str:
    """An ISO 8601 timestamp in UTC with ``Z`` and at least millisecond precision.

    Fractional digits beyond milliseconds are kept (CBV 2.0 does not round) except
    trailing zeros.

    """
    if type(value) is not str:
        return _normalise_timestamp(value)
    cached = _TIMESTAMPS.get(value)
    return cached if cached is not None else _TIMESTAMPS.remember(
        value, _normalise_timestamp(value))


def _normalise_timestamp(value: str) -> str:
    match = _TIME_RE.match(value.strip())
    if match is None:
        raise ValueError(f"timestamp {value!r} is not ISO 8601 with a time zone offset")
    base, frac, zone = match.group(1), match.group(2) or "", match.group(3)
    try:
        moment = datetime.fromisoformat(base + ("+00:00" if zone == "Z" else zone))
        utc = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise ValueError(f"timestamp {value!r} is out of range in UTC") from exc
    frac = frac.rstrip("0")
    frac = frac + "0" * max(0, 3 - len(frac))
    return f"{utc}.{frac}Z"


def _old_format_number(value: Any) -> str:
    """A number without trailing zeros and without exponent."""
    kind = type(value)
    if (kind is float or kind is int or kind is str) and value:  # 0.0 and -0.0 differ
        key = (kind, value)
        cached = _NUMBERS.get(key)
        return cached if cached is not None else _NUMBERS.remember(key, _format_number(value))
    return _format_number(value)


def _format_number(value: Any) -> str:
    try:
        dec = Decimal(str(value))
    except InvalidOperation:
        return str(value).strip()
    if dec == dec.to_integral_value():
        return format(dec.to_integral_value(), "f")  # exact at any size (no context rounding)
    return format(dec.normalize(), "f")


def _old_epc_to_digital_link(uri: str) -> str:
    """Canonical (constrained) GS1 Digital Link URI for an EPC URN or Digital Link.

    Other URIs are returned unchanged.

    """
    if type(uri) is not str:
        return _epc_to_digital_link(uri)
    cached = _LINKS.get(uri)
    return cached if cached is not None else _LINKS.remember(uri, _epc_to_digital_link(uri))


def _epc_to_digital_link(uri: str) -> str:
    value = uri.strip()
    if value.startswith("urn:epc:id:sgtin:") or value.startswith("urn:epc:class:lgtin:"):
        body = value.split(":", 4)[4]
        prefix, item, serial = body.split(".", 2)
        gtin13 = item[0] + prefix + item[1:]
        key = "21" if value.startswith("urn:epc:id:sgtin:") else "10"
        return f"{_DL}/01/{gtin13}{check_digit(gtin13)}/{key}/{serial}"
    if value.startswith("urn:epc:idpat:sgtin:"):
        prefix, item, _ = value.split(":", 4)[4].split(".", 2)
        gtin13 = item[0] + prefix + item[1:]
        return f"{_DL}/01/{gtin13}{check_digit(gtin13)}"
    if value.startswith("urn:epc:id:sscc:"):
        prefix, serial = value.split(":", 4)[4].split(".", 1)
        sscc17 = serial[0] + prefix + serial[1:]
        return f"{_DL}/00/{sscc17}{check_digit(sscc17)}"
    if value.startswith("urn:epc:id:sgln:"):
        prefix, loc, ext = value.split(":", 4)[4].split(".", 2)
        gln12 = prefix + loc
        out = f"{_DL}/414/{gln12}{check_digit(gln12)}"
        return out if ext in ("", "0") else f"{out}/254/{ext}"
    if value.startswith("urn:epc:id:pgln:"):
        prefix, party = value.split(":", 4)[4].split(".", 1)
        gln12 = prefix + party
        return f"{_DL}/417/{gln12}{check_digit(gln12)}"
    match = re.match(r"^https?://[^/]+((?:/\d{2,4}/[^/?#]+)+)(?:[?#].*)?$", value)
    if match and not value.startswith("https://ref.gs1.org"):
        path = match.group(1)
        if re.match(r"^/(00|01|253|255|401|402|414|417|8003|8004|8006|8010|8017|8018)/", path):
            return _DL + path
    return value


def _old_vocab(value: str, kind: str, prefixes: Mapping[str, str]) -> str:
    """Full URI of a CBV vocabulary value of ``kind`` (``bizStep``, ``disposition``...)."""
    if ":" not in value:  # a bare CBV term ("receiving"): the prefixes play no part
        key = (value, kind)
        cached = _TERMS.get(key)
        return cached if cached is not None else _TERMS.remember(
            key, _vocab_uri(value, kind, prefixes))
    return _vocab_uri(value, kind, prefixes)


def _vocab_uri(value: str, kind: str, prefixes: Mapping[str, str]) -> str:
    value = value.strip()
    for urn, web in _URN_VOCAB.items():
        if value.startswith(urn):
            return _CBV + web + value[len(urn):]
    if ":" not in value:
        return _CBV + _VOCAB_PREFIX[kind] + value
    return _old_expand_curie(value, prefixes)


def _old_expand_curie(value: str, prefixes: Mapping[str, str]) -> str:
    """``value`` with a known CURIE prefix (``cbv:``, ``oreline:``...) expanded."""
    head, _, tail = value.partition(":")
    if head in prefixes and not tail.startswith("//"):
        return prefixes[head] + tail
    return value


def _old_uri(value: str, prefixes: Mapping[str, str]) -> str:
    """An identifier as the pre-hash string writes it: CURIE expanded, EPC as Digital Link."""
    if type(value) is str and value.startswith("urn:") and not value.startswith("urn:epc:") \
            and value == value.strip() and "urn" not in prefixes:
        return value  # a URN outside the EPC scheme: no CURIE, no Digital Link form
    return _old_epc_to_digital_link(_old_expand_curie(str(value).strip(), prefixes))



_STANDARD_FIELDS = frozenset(
    {
        "type", "isA", "eventID", "eventTime", "eventTimeZoneOffset", "recordTime",
        "certificationInfo", "errorDeclaration", "epcList", "parentID", "inputEPCList",
        "childEPCs", "quantityList", "childQuantityList", "inputQuantityList",
        "outputEPCList", "outputQuantityList", "action", "transformationID", "bizStep",
        "disposition", "persistentDisposition", "readPoint", "bizLocation",
        "bizTransactionList", "sourceList", "destinationList", "sensorElementList", "ilmd",
        "@context",
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
        out += "epcClass=" + _old_uri(el["epcClass"], prefixes)
    if "quantity" in el:
        out += "quantity=" + _old_format_number(el["quantity"])
    if "uom" in el:
        out += "uom=" + str(el["uom"]).strip()
    return out


def _typed_list(
    name: str, item: str, entries: list[Mapping[str, Any]], prefixes: Mapping[str, str]
) -> str:
    kind = "bizTransactionType" if item == "bizTransaction" else "sdt"
    parts = []
    for entry in entries:
        text = f"{item}={_old_uri(entry[item], prefixes)}"
        if "type" in entry:
            text += "type=" + _old_vocab(str(entry["type"]), kind, prefixes)
        parts.append(text)
    return name + "".join(sorted(parts))


def _sensor_element(el: Mapping[str, Any], prefixes: Mapping[str, str]) -> str:
    out = "sensorElement"
    meta = el.get("sensorMetadata")
    if isinstance(meta, Mapping):
        out += "sensorMetadata"
        for field in _SENSOR_META:
            if field in meta:
                val = meta[field]
                val = (_old_normalise_timestamp(val) if field.endswith("ime")
                       else _old_uri(val, prefixes))
                out += f"{field}={val}"
        out += extensions(meta, frozenset(_SENSOR_META), prefixes)
    reports = []
    for rep in el.get("sensorReport", []) or []:
        text = "sensorReport"
        for field in _SENSOR_REPORT:
            if field in rep:
                val = rep[field]
                if field in ("type", "exception"):
                    val = _old_expand_curie(str(val), prefixes)
                    val = val if ":" in val else GS1_VOC + str(val)
                elif field == "time":
                    val = _old_normalise_timestamp(str(val))
                elif isinstance(val, int | float):
                    val = _old_format_number(val)
                else:
                    val = _old_uri(str(val), prefixes)
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


def legacy_prehash_string(event: Mapping[str, Any], prefixes: Mapping[str, str] | None = None, *,
                   frozen: Mapping[int, Any] | None = None) -> str:
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

    """
    px, px_key = _prefixes_in_force(prefixes, event.get("@context"))
    out = ["eventType=" + str(event.get("type", event.get("isA", "")))]
    _when_and_what(event, px, out)
    _how_and_where(event, px, out)
    if event.get("ilmd"):
        out.append("ilmd" + extensions(event["ilmd"], frozenset(), px, px_key, frozen))
    ext: list[str] = []
    for name in ("readPoint", "bizLocation"):
        loc = event.get(name)
        if isinstance(loc, Mapping) and any(k != "id" for k in loc):
            ext.append(name + extensions(loc, frozenset({"id"}), px))
    ext.append(extensions(event, _STANDARD_FIELDS, px, px_key))
    out.append("".join(ext))
    return "".join(out)


def _when_and_what(event: Mapping[str, Any], px: Mapping[str, str], out: list[str]) -> None:
    """The parts from ``eventTime`` to ``outputQuantityList``, in CBV order."""
    if "eventTime" in event:
        out.append("eventTime=" + _old_normalise_timestamp(str(event["eventTime"])))
    if "eventTimeZoneOffset" in event:
        out.append("eventTimeZoneOffset=" + str(event["eventTimeZoneOffset"]).strip())
    if "certificationInfo" in event:
        cert = event["certificationInfo"]
        for c in sorted(cert if isinstance(cert, list) else [cert]):
            out.append("certificationInfo=" + _old_uri(c, px))
    for name in _EPC_LISTS:
        if name not in event:
            continue
        if name == "parentID":
            out.append("parentID=" + _old_uri(event[name], px))
        elif event[name]:
            out.append(name + "".join(sorted("epc=" + _old_uri(e, px) for e in event[name])))
    for name in _QTY_LISTS_A:
        if event.get(name):
            out.append(name + "".join(sorted(_qty_element(q, px) for q in event[name])))
    if event.get("outputEPCList"):
        out.append(
            "outputEPCList"
            + "".join(sorted("epc=" + _old_uri(e, px) for e in event["outputEPCList"]))
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
        out.append("transformationID=" + _old_uri(event["transformationID"], px))
    for name, kind in (("bizStep", "bizStep"), ("disposition", "disposition")):
        if name in event:
            out.append(f"{name}=" + _old_vocab(str(event[name]), kind, px))
    if "persistentDisposition" in event:
        pd = event["persistentDisposition"]
        text = "persistentDisposition"
        for key in ("set", "unset"):
            for val in sorted(_old_vocab(str(v), "disposition", px) for v in pd.get(key, [])):
                text += f"{key}={val}"
        out.append(text)
    for name in ("readPoint", "bizLocation"):
        if name in event:
            loc = event[name]
            loc_id = loc["id"] if isinstance(loc, Mapping) else loc
            out.append(f"{name}id=" + _old_uri(loc_id, px))
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


def legacy_event_hash_id(event: Mapping[str, Any], prefixes: Mapping[str, str] | None = None, *,
                  frozen: Mapping[int, Any] | None = None) -> str:
    """The hash ID Oreline computed before 2026-12 (kept to verify older ledgers).

    ``frozen`` is passed to :func:`prehash_string`.
    """
    digest = sha256_hex(legacy_prehash_string(event, prefixes, frozen=frozen))
    return f"ni:///sha-256;{digest}?ver=CBV2.0"
