"""CBV 2.0 "EPCIS Event Hash ID" of an event.

The event hash ID is syntax-agnostic: the event is flattened into a *pre-hash string*
in the canonical property order of CBV 2.0 (section "EPCIS Event Hash ID"), values are
normalised (UTC timestamps with at least millisecond precision, CBV terms and CURIEs
expanded to full URIs, EPC URNs turned into canonical GS1 Digital Link URIs, no trailing
zeros in numbers) and list members are sorted, then hashed with SHA-256 and wrapped as
``ni:///sha-256;<hex>?ver=CBV2.0``.

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
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from oreline.ledger.epcis.canonical import NotPlainError, freeze, sha256_hex

__all__ = [
    "CBV_VERSION",
    "DEFAULT_PREFIXES",
    "epc_to_digital_link",
    "event_hash_id",
    "format_number",
    "normalise_timestamp",
    "prehash_string",
]

CBV_VERSION = "CBV2.0"

_CBV = "https://ref.gs1.org/cbv/"
_EPCIS = "https://ref.gs1.org/epcis/"
_GS1_VOC = "https://gs1.org/voc/"
_DL = "https://id.gs1.org"
#: Default CURIE prefixes of the EPCIS 2.0 JSON-LD context.
DEFAULT_PREFIXES: dict[str, str] = {
    "gs1": _GS1_VOC,
    "cbv": _CBV,
    "epcis": _EPCIS,
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "oreline": "https://oreline.dev/voc/",
}

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


def normalise_timestamp(value: str) -> str:
    """An ISO 8601 timestamp in UTC with ``Z`` and at least millisecond precision.

    Fractional digits beyond milliseconds are kept (CBV 2.0 does not round) except
    trailing zeros.

    Examples
    --------
    >>> normalise_timestamp("2005-04-03T20:33:31.116000-06:00")
    '2005-04-04T02:33:31.116Z'
    >>> normalise_timestamp("2023-02-02T11:04:03+01:00")
    '2023-02-02T10:04:03.000Z'

    """
    if type(value) is not str:
        return _normalise_timestamp(value)
    cached = _TIMESTAMPS.get(value)
    return cached if cached is not None else _remember(_TIMESTAMPS, value,
                                                       _normalise_timestamp(value))


#: Results of pure functions of one string or number (events of a document repeat them).
_CACHE_SIZE = 8192
_TIMESTAMPS: dict[str, str] = {}
_NUMBERS: dict[tuple[type, Any], str] = {}
_LINKS: dict[str, str] = {}
_TERMS: dict[tuple[str, str], str] = {}
_EXT_MEMO: dict[Any, str] = {}


def _remember(cache: dict[Any, str], key: Any, value: str) -> str:
    """Store ``value`` under ``key`` in a bounded cache (emptied when full) and return it."""
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[key] = value
    return value


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


def format_number(value: Any) -> str:
    """A number without trailing zeros and without exponent.

    Examples
    --------
    >>> format_number(1.0), format_number("0.34340"), format_number(1200)
    ('1', '0.3434', '1200')

    """
    kind = type(value)
    if (kind is float or kind is int or kind is str) and value:  # 0.0 and -0.0 differ
        key = (kind, value)
        cached = _NUMBERS.get(key)
        return cached if cached is not None else _remember(_NUMBERS, key, _format_number(value))
    return _format_number(value)


def _format_number(value: Any) -> str:
    try:
        dec = Decimal(str(value))
    except InvalidOperation:
        return str(value).strip()
    if dec == dec.to_integral_value():
        return format(dec.to_integral_value(), "f")  # exact at any size (no context rounding)
    return format(dec.normalize(), "f")


def _gs1_check_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def epc_to_digital_link(uri: str) -> str:
    """Canonical (constrained) GS1 Digital Link URI for an EPC URN or Digital Link.

    Other URIs are returned unchanged.

    Examples
    --------
    >>> epc_to_digital_link("urn:epc:id:sgtin:0614141.107346.2017")
    'https://id.gs1.org/01/10614141073464/21/2017'
    >>> epc_to_digital_link("urn:epc:id:sgln:0614141.07346.1234")
    'https://id.gs1.org/414/0614141073467/254/1234'
    >>> epc_to_digital_link("urn:epc:class:lgtin:4012345.012345.998877")
    'https://id.gs1.org/01/04012345123456/10/998877'

    """
    if type(uri) is not str:
        return _epc_to_digital_link(uri)
    cached = _LINKS.get(uri)
    return cached if cached is not None else _remember(_LINKS, uri, _epc_to_digital_link(uri))


def _epc_to_digital_link(uri: str) -> str:
    value = uri.strip()
    if value.startswith("urn:epc:id:sgtin:") or value.startswith("urn:epc:class:lgtin:"):
        body = value.split(":", 4)[4]
        prefix, item, serial = body.split(".", 2)
        gtin13 = item[0] + prefix + item[1:]
        key = "21" if value.startswith("urn:epc:id:sgtin:") else "10"
        return f"{_DL}/01/{gtin13}{_gs1_check_digit(gtin13)}/{key}/{serial}"
    if value.startswith("urn:epc:idpat:sgtin:"):
        prefix, item, _ = value.split(":", 4)[4].split(".", 2)
        gtin13 = item[0] + prefix + item[1:]
        return f"{_DL}/01/{gtin13}{_gs1_check_digit(gtin13)}"
    if value.startswith("urn:epc:id:sscc:"):
        prefix, serial = value.split(":", 4)[4].split(".", 1)
        sscc17 = serial[0] + prefix + serial[1:]
        return f"{_DL}/00/{sscc17}{_gs1_check_digit(sscc17)}"
    if value.startswith("urn:epc:id:sgln:"):
        prefix, loc, ext = value.split(":", 4)[4].split(".", 2)
        gln12 = prefix + loc
        out = f"{_DL}/414/{gln12}{_gs1_check_digit(gln12)}"
        return out if ext in ("", "0") else f"{out}/254/{ext}"
    if value.startswith("urn:epc:id:pgln:"):
        prefix, party = value.split(":", 4)[4].split(".", 1)
        gln12 = prefix + party
        return f"{_DL}/417/{gln12}{_gs1_check_digit(gln12)}"
    match = re.match(r"^https?://[^/]+((?:/\d{2,4}/[^/?#]+)+)(?:[?#].*)?$", value)
    if match and not value.startswith("https://ref.gs1.org"):
        path = match.group(1)
        if re.match(r"^/(00|01|253|255|401|402|414|417|8003|8004|8006|8010|8017|8018)/", path):
            return _DL + path
    return value


def _vocab(value: str, kind: str, prefixes: Mapping[str, str]) -> str:
    if ":" not in value:  # a bare CBV term ("receiving"): the prefixes play no part
        key = (value, kind)
        cached = _TERMS.get(key)
        return cached if cached is not None else _remember(_TERMS, key,
                                                           _vocab_uri(value, kind, prefixes))
    return _vocab_uri(value, kind, prefixes)


def _vocab_uri(value: str, kind: str, prefixes: Mapping[str, str]) -> str:
    value = value.strip()
    for urn, web in _URN_VOCAB.items():
        if value.startswith(urn):
            return _CBV + web + value[len(urn):]
    if ":" not in value:
        return _CBV + _VOCAB_PREFIX[kind] + value
    return _expand_curie(value, prefixes)


def _expand_curie(value: str, prefixes: Mapping[str, str]) -> str:
    head, _, tail = value.partition(":")
    if head in prefixes and not tail.startswith("//"):
        return prefixes[head] + tail
    return value


def _uri(value: str, prefixes: Mapping[str, str]) -> str:
    if type(value) is str and value.startswith("urn:") and not value.startswith("urn:epc:") \
            and value == value.strip() and "urn" not in prefixes:
        return value  # a URN outside the EPC scheme: no CURIE, no Digital Link form
    return epc_to_digital_link(_expand_curie(str(value).strip(), prefixes))


def _qty_element(el: Mapping[str, Any], prefixes: Mapping[str, str]) -> str:
    out = "quantityElement"
    if "epcClass" in el:
        out += "epcClass=" + _uri(el["epcClass"], prefixes)
    if "quantity" in el:
        out += "quantity=" + format_number(el["quantity"])
    if "uom" in el:
        out += "uom=" + str(el["uom"]).strip()
    return out


def _ext_key(key: str, prefixes: Mapping[str, str], parent_ns: str | None) -> str:
    if key.startswith("{"):
        key.index("}")  # a name "{ns}local" needs its closing brace (ValueError otherwise)
        return key
    head, sep, local = key.partition(":")
    if sep:
        ns = prefixes.get(head)
        if ns is not None:
            return "{" + ns + "}" + local
    if parent_ns is not None:
        return "{" + parent_ns + "}" + key
    return key


def _ns_of(key: str) -> str | None:
    return key[1 : key.index("}")] if key.startswith("{") else None


def _ext_parts(key: str, value: Any, prefixes: Mapping[str, str], parent_ns: str | None) -> str:
    kind = type(value)
    if kind is str or kind is float or kind is int:  # the common leaves, _ext_key inlined
        if key.startswith("{"):
            key.index("}")
            name = key
        else:
            head, sep, local = key.partition(":")
            ns = prefixes.get(head) if sep else None
            if ns is not None:
                name = "{" + ns + "}" + local
            elif parent_ns is not None:
                name = "{" + parent_ns + "}" + key
            else:
                name = key
        return name + "=" + (value.strip() if kind is str else format_number(value))
    if kind is list:
        _ext_key(key, prefixes, parent_ns)  # the same errors as for other values
        return "".join(sorted([_ext_parts(key, v, prefixes, parent_ns) for v in value]))
    if kind is dict or isinstance(value, Mapping):
        local_prefixes = prefixes
        for k in value:
            if k.startswith("@xmlns:"):
                local_prefixes = dict(prefixes)
                for k2, v2 in value.items():
                    if k2.startswith("@xmlns:"):
                        local_prefixes[k2[len("@xmlns:"):]] = str(v2)
                break
        name = _ext_key(key, local_prefixes, parent_ns)
        if "#text" in value:
            return f"{name}={str(value['#text']).strip()}"
        ns = name[1 : name.index("}")] if name.startswith("{") else None
        children = [
            _ext_parts(k, v, local_prefixes, ns)
            for k, v in value.items()
            if not k.startswith("@")
        ]
        return name + "".join(sorted(children))
    name = _ext_key(key, prefixes, parent_ns)
    if isinstance(value, bool):
        return f"{name}={'true' if value else 'false'}"
    if isinstance(value, int | float | Decimal):
        return f"{name}={format_number(value)}"
    return f"{name}={str(value).strip()}"


def _extensions(obj: Mapping[str, Any], skip: frozenset[str], prefixes: Mapping[str, str],
                px_key: Any = None, frozen: Mapping[int, Any] | None = None) -> str:
    """Pre-hash parts of the user extensions of ``obj`` (every key not in ``skip``).

    With ``px_key`` (a hashable snapshot of ``prefixes``), the parts of maps two levels
    down (such as the master data of each lot under ``oreline:lotMaster``) are memoised:
    events of a document repeat them under different keys.
    """
    if px_key is None:
        parts = [
            _ext_parts(k, v, prefixes, None)
            for k, v in obj.items()
            if k not in skip and not k.startswith("@")
        ]
    else:
        parts = [
            _ext_parts_memo(k, v, prefixes, px_key, frozen)
            for k, v in obj.items()
            if k not in skip and not k.startswith("@")
        ]
    return "".join(sorted(parts))


def _plain_map(value: Any) -> bool:
    """Whether ``value`` is a ``dict`` without ``@xmlns:`` and ``#text`` keys.

    Such a map keeps its parent's prefixes and is named by its key, so its parts are a
    function of its content, its namespace and the prefixes.
    """
    if type(value) is not dict:
        return False
    for k in value:
        if k.startswith("@xmlns:"):  # the same errors as _ext_parts for non-string keys
            return False
    return "#text" not in value


def _ext_parts_memo(key: str, value: Any, prefixes: Mapping[str, str], px_key: Any,
                    frozen: Mapping[int, Any] | None = None) -> str:
    """:func:`_ext_parts` of a top-level extension, its grandchild maps memoised."""
    if not _plain_map(value):
        return _ext_parts(key, value, prefixes, None)
    name = _ext_key(key, prefixes, None)
    ns = name[1 : name.index("}")] if name.startswith("{") else None
    children = []
    for k, v in value.items():
        if k.startswith("@"):
            continue
        if not _plain_map(v):
            children.append(_ext_parts(k, v, prefixes, ns))
            continue
        child = _ext_key(k, prefixes, ns)
        child_ns = child[1 : child.index("}")] if child.startswith("{") else None
        children.append(child + _ext_map_body(v, prefixes, child_ns, px_key, frozen))
    return name + "".join(sorted(children))


def _ext_map_body(value: dict[str, Any], prefixes: Mapping[str, str], ns: str | None,
                  px_key: Any, frozen: Mapping[int, Any] | None = None) -> str:
    """The sorted parts of the children of a plain map, memoised by content."""
    try:
        content = frozen.get(id(value)) if frozen else None
        memo_key: Any = (freeze(value) if content is None else content, ns, px_key)
        body = _EXT_MEMO.get(memo_key)
    except (NotPlainError, TypeError):  # not exact JSON types, or prefixes not hashable
        memo_key = body = None
    if body is None:
        body = "".join(sorted([_ext_parts(k, v, prefixes, ns) for k, v in value.items()
                               if not k.startswith("@")]))
        if memo_key is not None:
            _remember(_EXT_MEMO, memo_key, body)
    return body


def _typed_list(
    name: str, item: str, entries: list[Mapping[str, Any]], prefixes: Mapping[str, str]
) -> str:
    kind = "bizTransactionType" if item == "bizTransaction" else "sdt"
    parts = []
    for entry in entries:
        text = f"{item}={_uri(entry[item], prefixes)}"
        if "type" in entry:
            text += "type=" + _vocab(str(entry["type"]), kind, prefixes)
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
                val = normalise_timestamp(val) if field.endswith("ime") else _uri(val, prefixes)
                out += f"{field}={val}"
        out += _extensions(meta, frozenset(_SENSOR_META), prefixes)
    reports = []
    for rep in el.get("sensorReport", []) or []:
        text = "sensorReport"
        for field in _SENSOR_REPORT:
            if field in rep:
                val = rep[field]
                if field in ("type", "exception"):
                    val = _expand_curie(str(val), prefixes)
                    val = val if ":" in val else _GS1_VOC + str(val)
                elif field == "time":
                    val = normalise_timestamp(str(val))
                elif isinstance(val, int | float):
                    val = format_number(val)
                else:
                    val = _uri(str(val), prefixes)
                text += f"{field}={val}"
        text += _extensions(rep, frozenset(_SENSOR_REPORT), prefixes)
        reports.append(text)
    out += "".join(sorted(reports))
    return out + _extensions(el, frozenset({"sensorMetadata", "sensorReport"}), prefixes)


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
                   frozen: Mapping[int, Any] | None = None) -> str:
    """The CBV 2.0 pre-hash string of one EPCIS event given as a JSON-LD mapping.

    Parameters
    ----------
    event
        The event (``type`` or ``isA`` names its event type).
    prefixes
        CURIE prefixes from the document's ``@context`` (added to the EPCIS defaults).
    frozen
        :func:`freeze` keys already computed for maps inside ``event``, by ``id`` of the
        map (valid during this call only: the maps must not change meanwhile).

    """
    px, px_key = _prefixes_in_force(prefixes, event.get("@context"))
    out = ["eventType=" + str(event.get("type", event.get("isA", "")))]
    if "eventTime" in event:
        out.append("eventTime=" + normalise_timestamp(str(event["eventTime"])))
    if "eventTimeZoneOffset" in event:
        out.append("eventTimeZoneOffset=" + str(event["eventTimeZoneOffset"]).strip())
    if "certificationInfo" in event:
        cert = event["certificationInfo"]
        for c in sorted(cert if isinstance(cert, list) else [cert]):
            out.append("certificationInfo=" + _uri(c, px))
    for name in _EPC_LISTS:
        if name not in event:
            continue
        if name == "parentID":
            out.append("parentID=" + _uri(event[name], px))
        elif event[name]:
            out.append(name + "".join(sorted("epc=" + _uri(e, px) for e in event[name])))
    for name in _QTY_LISTS_A:
        if event.get(name):
            out.append(name + "".join(sorted(_qty_element(q, px) for q in event[name])))
    if event.get("outputEPCList"):
        out.append(
            "outputEPCList" + "".join(sorted("epc=" + _uri(e, px) for e in event["outputEPCList"]))
        )
    if event.get("outputQuantityList"):
        out.append(
            "outputQuantityList"
            + "".join(sorted(_qty_element(q, px) for q in event["outputQuantityList"]))
        )
    if "action" in event:
        out.append("action=" + str(event["action"]).strip())
    if "transformationID" in event:
        out.append("transformationID=" + _uri(event["transformationID"], px))
    for name, kind in (("bizStep", "bizStep"), ("disposition", "disposition")):
        if name in event:
            out.append(f"{name}=" + _vocab(str(event[name]), kind, px))
    if "persistentDisposition" in event:
        pd = event["persistentDisposition"]
        text = "persistentDisposition"
        for key in ("set", "unset"):
            for val in sorted(_vocab(str(v), "disposition", px) for v in pd.get(key, [])):
                text += f"{key}={val}"
        out.append(text)
    for name in ("readPoint", "bizLocation"):
        if name in event:
            loc = event[name]
            loc_id = loc["id"] if isinstance(loc, Mapping) else loc
            out.append(f"{name}id=" + _uri(loc_id, px))
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
    if event.get("ilmd"):
        out.append("ilmd" + _extensions(event["ilmd"], frozenset(), px, px_key, frozen))
    ext: list[str] = []
    for name in ("readPoint", "bizLocation"):
        loc = event.get(name)
        if isinstance(loc, Mapping) and any(k != "id" for k in loc):
            ext.append(name + _extensions(loc, frozenset({"id"}), px))
    ext.append(_extensions(event, _STANDARD_FIELDS, px, px_key))
    out.append("".join(ext))
    return "".join(out)


def event_hash_id(event: Mapping[str, Any], prefixes: Mapping[str, str] | None = None, *,
                  frozen: Mapping[int, Any] | None = None) -> str:
    """The CBV 2.0 EPCIS Event Hash ID (``ni:///sha-256;...?ver=CBV2.0``) of an event.

    ``frozen`` is passed to :func:`prehash_string`.
    """
    digest = sha256_hex(prehash_string(event, prefixes, frozen=frozen))
    return f"ni:///sha-256;{digest}?ver={CBV_VERSION}"
