"""RFC 8785 (JCS) canonical JSON, SHA-256, and exact keys of JSON values.

The ledger hashes every stored event and every chain entry over its RFC 8785 text. The
text comes from ``orjson`` when it provably equals the RFC 8785 one, otherwise from a
Python serialiser; both are checked against the ``rfc8785`` package by property tests.

Examples
--------
>>> canonical_json({"b": 1, "a": [1.0, "x"]})
b'{"a":[1,"x"],"b":1}'

"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

import orjson
import rfc8785

__all__ = [
    "NotPlainError",
    "canonical_json",
    "canonical_json_many",
    "canonical_json_python",
    "canonical_json_reference",
    "freeze",
    "loads_json",
    "sha256_hex",
]

_encode_str: Any = json.encoder.encode_basestring  # type: ignore[attr-defined]
_MAX_SAFE = 2**53 - 1


def _json_int(text: str) -> int | float:
    """An integer literal read back as RFC 8785 wrote it: beyond I-JSON, a float's text.

    Within +-(2**53 - 1) the literal is that integer. Beyond, RFC 8785 writes a large
    integral float in integer form, with the shortest digits that identify it (the
    float 2**53 as ``9007199254740992``, ``6.322913736929451e16`` as
    ``63229137369294510``): a literal that is exactly such a text is that float. Any
    other stays an integer, which :func:`canonical_json` refuses as outside I-JSON
    (``9007199254740993`` is no double: it is never rounded silently).
    """
    value = int(text)
    if -_MAX_SAFE <= value <= _MAX_SAFE:
        return value
    try:
        as_float = float(value)
    except OverflowError:
        return value
    return as_float if _es6_number(as_float) == text else value


def loads_json(text: str | bytes) -> Any:
    """Parse JSON text, reading integer literals as RFC 8785 does (see ``_json_int``).

    Stored events are parsed with this before they are hashed again: an integral float
    of 2**53 or more is written as an integer literal, and must read back as the float
    (so that its text, and the event's hashes, come out the same).

    Raises
    ------
    ValueError
        For text that is not JSON (:class:`json.JSONDecodeError`) or an integer literal
        of more digits than Python converts (4,300).

    Examples
    --------
    >>> loads_json('[9007199254740991, 9007199254740992, 9007199254740993]')
    [9007199254740991, 9007199254740992.0, 9007199254740993]
    >>> loads_json('[63229137369294510, -63229137369294512]')
    [6.322913736929451e+16, -63229137369294512]

    """
    return json.loads(text, parse_int=_json_int)


def sha256_hex(data: bytes | str) -> str:
    """SHA-256 of bytes (or UTF-8 text) as lower-case hex.

    Examples
    --------
    >>> sha256_hex("abc")[:16]
    'ba7816bf8f01cfea'

    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def _es6_number(x: float) -> str:
    """ECMAScript ``Number.prototype.toString`` of a finite float (RFC 8785 section 3.2.2.3)."""
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 2.0**53:
        return str(int(x))
    sign = "-" if x < 0 else ""
    text = repr(abs(x))  # shortest round-trip digits, as ECMAScript requires
    mantissa, _, exp_text = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    raw = whole + frac
    digits = raw.lstrip("0")
    n = len(whole) + (int(exp_text) if exp_text else 0) - (len(raw) - len(digits))
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    exp = n - 1
    body = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{body}e{'+' if exp > 0 else '-'}{abs(exp)}"


def _sorted_keys(value: Mapping[str, Any]) -> list[str]:
    keys = list(value)
    if "".join(keys).isascii():
        return sorted(keys)
    return sorted(keys, key=lambda k: k.encode("utf-16-be"))


def _jcs(value: Any, out: list[str]) -> None:
    kind = type(value)
    if kind is str:
        out.append(_encode_str(value))
    elif kind is dict or (kind is not list and isinstance(value, Mapping)):
        out.append("{")
        first = True
        for key in _sorted_keys(value):
            if not first:
                out.append(",")
            first = False
            out.append(_encode_str(str(key)))
            out.append(":")
            _jcs(value[key], out)
        out.append("}")
    elif kind is list or kind is tuple:
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _jcs(item, out)
        out.append("]")
    elif kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{value} cannot be written as JSON")
        out.append(_es6_number(value))
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif isinstance(value, int):
        if abs(value) > 2**53 - 1:
            raise ValueError(f"integer {value} is outside the I-JSON range")
        out.append(str(value))
    elif isinstance(value, float):
        _jcs(float(value), out)
    else:
        raise TypeError(f"{type(value).__name__} is not JSON")


def _jcs_fast(value: Any, out: list[str]) -> None:
    """:func:`_jcs` for the exact JSON types, with fewer checks on the common paths."""
    kind = type(value)
    if kind is str:
        out.append(_encode_str(value))
    elif kind is dict:
        append = out.append
        append("{")
        first = True
        keys = sorted(value)
        if len(keys) > 1 or (keys and type(keys[0]) is not str):
            joined = "".join(keys)  # TypeError for keys that are not strings, as in _jcs
            if not joined.isascii():
                keys = _sorted_keys(value)  # UTF-16 order
        for key in keys:
            if first:
                first = False
            else:
                append(",")
            append(_encode_str(key if type(key) is str else str(key)))
            append(":")
            item = value[key]
            if type(item) is str:
                append(_encode_str(item))
            else:
                _jcs_fast(item, out)
        append("}")
    elif kind is list:
        out.append("[")
        first = True
        for item in value:
            if first:
                first = False
            else:
                out.append(",")
            _jcs_fast(item, out)
        out.append("]")
    elif kind is float and 1e-4 <= value < 1e16 and not value.is_integer():
        out.append(repr(value))  # shortest round-trip digits, written as ECMAScript does
    else:
        _jcs(value, out)


#: A number with an exponent in ``orjson``'s output (ECMAScript writes some of them in
#: fixed notation); only looked for when ``e+`` or ``e-`` occurs at all.
_ORJSON_EXPONENT = re.compile(rb"[0-9]e[+-]")
_ORJSON_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
                   | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
                   | orjson.OPT_PASSTHROUGH_DATETIME)


def _from_orjson(value: Any, text: bytes) -> bytes | None:
    """RFC 8785 text of ``value`` from ``orjson``'s sorted output, or ``None`` if unproven.

    ``orjson`` escapes strings as RFC 8785 does, refuses integers beyond 2**53 (I-JSON)
    and writes a non-integral float below 2**53 with the same shortest round-trip digits
    in the same fixed notation as ECMAScript. What remains: pure ASCII output has its
    keys in UTF-16 order; ``null`` may be a NaN or an infinity; exponents and ``-0.0``
    are left to the general serialiser; an integral float (``1000.0``) loses its ``.0``.
    A ``.0`` so taken out must have ended a number, not part of a string: that is proven
    when no string holds ``.0`` before a delimiter (the text split at its quotes, when no
    quote is escaped), else by parsing the result back, which must give ``value`` again.
    """
    if text[:1] not in (b"{", b"[") or _unproven(text):
        return None
    if b".0," in text or b".0}" in text or b".0]" in text:
        fixed = text.replace(b".0,", b",").replace(b".0}", b"}").replace(b".0]", b"]")
        if _dots_outside_strings(text):
            return fixed  # every .0 is outside the strings: all were integral floats
        return fixed if orjson.loads(fixed) == value else None
    return text


def _unproven(text: bytes) -> bool:
    """Whether ``orjson``'s ``text`` holds what :func:`_from_orjson` leaves to Python.

    Non-ASCII text, ``null``, ``-0.0`` or a number with an exponent.
    """
    if not text.isascii() or b"null" in text or b"-0.0" in text:
        return True
    return (b"e+" in text or b"e-" in text) and _ORJSON_EXPONENT.search(text) is not None


def _dots_outside_strings(text: bytes) -> bool:
    """Whether no string of ``text`` holds ``.0,``, ``.0}`` or ``.0]``.

    Proven from the text split at its quotes, when no quote is escaped: the strings
    joined by a quote (which forms none of the three) must hold none of them. A ``.0``
    elsewhere in a string (``urn:epc:id:sgln:0614141.07346.1234``) is left alone by the
    rewriting of integral floats, so it does not matter.
    """
    if b'\\"' in text:
        return False
    strings = b'"'.join(text.split(b'"')[1::2])
    return b".0," not in strings and b".0}" not in strings and b".0]" not in strings


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON bytes of ``value`` (a JSON value).

    ``orjson`` writes the text when its output provably is (or is trivially made) the
    RFC 8785 one (see ``_from_orjson``); anything else, and values ``orjson`` refuses,
    go through the general serialiser. Both are checked against the ``rfc8785`` package
    by property tests.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": [1.0, "x"]})
    b'{"a":[1,"x"],"b":1}'
    >>> canonical_json([1e21, 1e-7, 123.456, -0.0])
    b'[1e+21,1e-7,123.456,0]'

    """
    try:
        text = orjson.dumps(value, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: a type or an integer it does not write
        pass
    else:
        fast = _from_orjson(value, text)
        if fast is not None:
            return fast
    return canonical_json_python(value)


def canonical_json_many(values: list[Any]) -> list[bytes | None]:
    """RFC 8785 text of each map or list of ``values``, proven once for all of them.

    The values are written by ``orjson`` one by one, and what :func:`_from_orjson` proves
    for each is proven once over their texts joined by commas (as a list would hold
    them): a document of thousands of events scans its text once instead of a dozen
    times per event. ``None`` stands for a value this does not prove (not a map or
    list, or the values as a whole unproven): call :func:`canonical_json` for it.

    Examples
    --------
    >>> canonical_json_many([{"b": 1.0, "a": "x"}, [2.5], "text"])
    [b'{"a":"x","b":1}', b'[2.5]', None]

    """
    try:
        texts = [orjson.dumps(value, option=_ORJSON_OPTIONS) for value in values]
    except TypeError:  # a type or an integer orjson does not write: each on its own
        return [None] * len(values)
    whole = b",".join(texts)
    if _unproven(whole) or ((b".0," in whole or b".0}" in whole or b".0]" in whole)
                            and not _dots_outside_strings(whole)):
        return [None] * len(values)
    out: list[bytes | None] = []
    for value, text in zip(values, texts, strict=True):
        if type(value) is not dict and type(value) is not list:
            out.append(None)
            continue
        if b".0" in text:
            text = text.replace(b".0,", b",").replace(b".0}", b"}").replace(b".0]", b"]")
        out.append(text)
    return out


def canonical_json_python(value: Any) -> bytes:
    """RFC 8785 canonical JSON by the general (pure Python) serialiser."""
    out: list[str] = []
    _jcs_fast(value, out)
    return "".join(out).encode("utf-8")


def canonical_json_reference(value: Any) -> bytes:
    """RFC 8785 canonical JSON by the ``rfc8785`` package (slow reference)."""
    return bytes(rfc8785.dumps(value))


class NotPlainError(ValueError):
    """A value holds something other than the exact JSON types."""


#: orjson hands anything but the exact JSON types to ``default`` (which refuses them).
_PLAIN_ONLY = (orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
               | orjson.OPT_PASSTHROUGH_SUBCLASS)


def _refuse(_: Any) -> Any:
    raise TypeError


def freeze(value: Any) -> Any:
    """A hashable key of a JSON value, equal only for values equal in type and content.

    Exact JSON types only (``dict`` with ``str`` keys, ``list``, ``str``, ``int``,
    ``float``, ``bool``, ``None``); numbers keep their type (``1`` and ``1.0`` differ, and
    so do ``-0.0`` and ``0.0``), maps keep their key order. Raises :class:`NotPlainError`
    for anything else. Keys of caches of pure functions of JSON.

    The key is the value's compact JSON by orjson (one C call, where walking the value in
    Python cost several microseconds an event); a value whose JSON holds ``null`` (which
    orjson also writes for NaN and infinities) is keyed by walking it instead. Tuples,
    UUIDs and enums, which never come out of parsed JSON, are keyed as the list or string
    orjson writes for them rather than refused.

    Examples
    --------
    >>> freeze({"a": [1, 1.0, True]}) == freeze({"a": [1.0, 1, True]})
    False
    >>> freeze({"x": float("nan")}) == freeze({"x": None})
    False

    """
    try:
        key = orjson.dumps(value, default=_refuse, option=_PLAIN_ONLY)
    except TypeError:
        raise NotPlainError from None
    return _freeze_walk(value) if b"null" in key else key


def _freeze_walk(value: Any) -> Any:
    """:func:`freeze` by walking the value (tuples tagged with their type)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is dict:
        items = []
        for key, item in value.items():
            if type(key) is not str:
                raise NotPlainError
            items.append((key, _freeze_walk(item)))
        return (dict, tuple(items))
    if kind is list:
        return (list, tuple([_freeze_walk(item) for item in value]))
    if kind is float:
        return (float, repr(value))
    if kind is int or kind is bool or value is None:
        return (kind, value)
    raise NotPlainError
