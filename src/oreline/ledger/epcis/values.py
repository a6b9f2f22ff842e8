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
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

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
    return cached if cached is not None else _LINKS.remember(uri, _epc_to_digital_link(uri))


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
