"""Values as the CBV 2.0 pre-hash string writes them.

UTC timestamps with at least millisecond precision (:func:`normalise_timestamp`),
numbers without trailing zeros or exponent (:func:`format_number`), EPC URNs as
canonical GS1 Digital Link URIs (:func:`epc_to_digital_link`), CURIEs and bare CBV
terms expanded to full URIs (:func:`expand_curie`, :func:`vocab`, :func:`uri`).
Each is a pure function of one value that a document repeats, so results are kept in a
bounded :class:`~oreline.ledger.epcis.memo.Memo`.

Examples
--------
>>> uri("urn:epc:id:sgtin:0614141.107346.2017", DEFAULT_PREFIXES)
'https://id.gs1.org/01/10614141073464/21/2017'
>>> vocab("receiving", "bizStep", DEFAULT_PREFIXES)
'https://ref.gs1.org/cbv/BizStep-receiving'

"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from oreline.ledger.epcis.digitallink import canonical_link
from oreline.ledger.epcis.memo import Memo

__all__ = [
    "DEFAULT_PREFIXES",
    "GS1_VOC",
    "epc_to_digital_link",
    "expand_curie",
    "format_number",
    "normalise_timestamp",
    "uri",
    "vocab",
]

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
    "component": "Comp-",
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


def normalise_timestamp(value: str) -> str:
    """An ISO 8601 timestamp in UTC with ``Z`` and exactly millisecond precision.

    More than three fractional digits are rounded to milliseconds: the third decimal
    is rounded up when the fourth is 5 to 9 (the hash ID rule of CBV 2.0 as the
    reference generator publishes it; see docs/trace.md, "Event hash IDs").

    Examples
    --------
    >>> normalise_timestamp("2005-04-03T20:33:31.116000-06:00")
    '2005-04-04T02:33:31.116Z'
    >>> normalise_timestamp("2023-02-02T11:04:03+01:00")
    '2023-02-02T10:04:03.000Z'
    >>> normalise_timestamp("2023-01-18T11:04:03.1415Z")
    '2023-01-18T11:04:03.142Z'
    >>> normalise_timestamp("2023-12-31T23:59:59.9996Z")
    '2024-01-01T00:00:00.000Z'

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
    millis = int((frac + "000")[:3]) + (1 if frac[3:4] >= "5" else 0)
    try:
        moment = datetime.fromisoformat(base + ("+00:00" if zone == "Z" else zone))
        moment = moment.astimezone(UTC) + timedelta(milliseconds=millis)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise ValueError(f"timestamp {value!r} is out of range in UTC") from exc
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


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


def epc_to_digital_link(uri: str) -> str:
    """Canonical (constrained) GS1 Digital Link URI for an EPC URN or Digital Link.

    Every EPC scheme and GS1 key is translated
    (:func:`~oreline.ledger.epcis.digitallink.canonical_link`); other URIs are returned
    unchanged.

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
    return cached if cached is not None else _LINKS.remember(uri, _epc_to_digital_link(uri))


def _epc_to_digital_link(uri: str) -> str:
    value = uri.strip()
    return canonical_link(value) or value


def vocab(value: str, kind: str, prefixes: Mapping[str, str]) -> str:
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
    return expand_curie(value, prefixes)


def expand_curie(value: str, prefixes: Mapping[str, str]) -> str:
    """``value`` with a known CURIE prefix (``cbv:``, ``oreline:``...) expanded."""
    head, _, tail = value.partition(":")
    if head in prefixes and not tail.startswith("//"):
        return prefixes[head] + tail
    return value


def uri(value: str, prefixes: Mapping[str, str]) -> str:
    """An identifier as the pre-hash string writes it: CURIE expanded, EPC as Digital Link."""
    if type(value) is str and value.startswith("urn:") and not value.startswith("urn:epc:") \
            and value == value.strip() and "urn" not in prefixes:
        return value  # a URN outside the EPC scheme: no CURIE, no Digital Link form
    return epc_to_digital_link(expand_curie(str(value).strip(), prefixes))
