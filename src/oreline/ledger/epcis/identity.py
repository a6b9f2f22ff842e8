"""One identity per EPC and EPC class: URN and GS1 Digital Link forms mapped to one key.

A lot or item can be written as an EPC URN (GS1 Tag Data Standard 2.0 section 6:
``urn:epc:class:lgtin:4012345.012345.998877``, ``urn:epc:id:sgtin:...``) or as a GS1
Digital Link URI on any domain (``https://id.gs1.org/01/04012345123456/10/998877``,
``https://brand.example/gtin/04012345123456/lot/998877``). :func:`canonical_key` maps
every spelling of one GS1 key to the same text, the constrained Digital Link URI on
``https://id.gs1.org``:

* URNs are translated as TDS 2.0 section 7 does: the GS1 company prefix and the
  reference are joined (the indicator digit of a GTIN or the extension digit of an SSCC
  first) and the check digit appended. The URN carries the company-prefix split and the
  Digital Link does not, so the key is the Digital Link form (the URN cannot be rebuilt
  without knowing the prefix length).
* Digital Link URIs lose the domain, the query string and the fragment; short names
  (``/gtin/``, ``/lot/``, ``/ser/`` ...) become application identifiers; a GTIN of 8, 12
  or 13 digits is padded to 14; of an item with a serial, the lot and the CPV are dropped
  (GTIN + serial identifies the item; GS1 Digital Link 1.2 section 4.11, as the CBV 2.0
  event hash ID writes it).
* Serials are written with the percent-encoding GS1 Digital Link requires, whichever form
  they came in.

Anything else (``urn:oreline:lot:...``, a URI of another scheme, a URN whose parts do not
have the lengths of a GS1 key) is its own key, unchanged. The function is pure and
memoised: capture calls it for every quantity of every event.

Examples
--------
>>> canonical_key("urn:epc:class:lgtin:4012345.012345.998877")
'https://id.gs1.org/01/04012345123456/10/998877'
>>> canonical_key("https://brand.example/gtin/4012345123456/lot/998877?x=1")
'https://id.gs1.org/01/04012345123456/10/998877'
>>> canonical_key("urn:epc:id:sgtin:0614141.107346.2017")
'https://id.gs1.org/01/10614141073464/21/2017'
>>> canonical_key("https://id.gs1.org/01/10614141073464/10/L1/21/2017")
'https://id.gs1.org/01/10614141073464/21/2017'
>>> canonical_key("urn:epc:id:sscc:0614141.1234567890")
'https://id.gs1.org/00/106141412345678908'
>>> canonical_key("urn:oreline:lot:ox-1")
'urn:oreline:lot:ox-1'

"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote, unquote

from oreline.ledger.epcis.memo import Memo

__all__ = ["DL_ROOT", "canonical_key", "check_digit", "same_identity"]

#: The domain of constrained (canonical) GS1 Digital Link URIs.
DL_ROOT = "https://id.gs1.org"

#: GS1 Digital Link short names (deprecated since DL 1.2, still accepted) by AI.
_ALIASES = {
    "gtin": "01", "itip": "8006", "cpv": "22", "lot": "10", "ser": "21", "sscc": "00",
    "gln": "414", "exten": "254", "party": "417", "grai": "8003", "giai": "8004",
    "gsrn": "8018", "gsrnp": "8017", "gdti": "253", "gcn": "255", "cpid": "8010",
    "cpsn": "8011", "ginc": "401", "gsin": "402", "upui": "235",
}
#: Primary keys: AI -> (digits of the key, or 0 for a variable alphanumeric key;
#: the qualifiers it may carry, in canonical order).
_PRIMARY: dict[str, tuple[int, tuple[str, ...]]] = {
    "01": (14, ("22", "10", "21", "235")),
    "8006": (18, ("22", "10", "21")),
    "00": (18, ()),
    "414": (13, ("254", "7040")),
    "417": (13, ()),
    "8003": (0, ()),
    "8004": (0, ()),
    "8017": (18, ("8019",)),
    "8018": (18, ("8019",)),
    "253": (0, ()),
    "255": (0, ()),
    "8010": (0, ("8011",)),
    "401": (0, ()),
    "402": (17, ()),
}
_DL_PATH = re.compile(r"^https?://[^/?#]+((?:/[^/?#]+)+?)/?(?:[?#].*)?$")
_DIGITS = re.compile(r"^\d+$")
#: Characters a Digital Link path segment keeps literally (RFC 3986 unreserved).
_SAFE = "-._~"

_KEYS: Memo[str, str] = Memo(16384)


def check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of a key written without it.

    Examples
    --------
    >>> check_digit("1061414107346")
    '4'

    """
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def canonical_key(uri: str) -> str:
    """The one key of an EPC or EPC class, whichever form it is written in.

    See the module docstring for the rules; a value that is not a GS1 key is returned
    unchanged (stripped of surrounding blanks).
    """
    if uri.startswith("urn:") and not uri.startswith("urn:epc:"):
        return uri  # our own and other URN schemes: no GS1 key, the hot path of capture
    cached = _KEYS.get(uri)
    if cached is not None:
        return cached
    value = uri.strip()
    key = (_from_urn(value) if value.startswith("urn:epc:") else _from_link(value)) or value
    return _KEYS.remember(uri, key)


def same_identity(a: str, b: str) -> bool:
    """Whether two spellings name the same EPC or class.

    Examples
    --------
    >>> same_identity("urn:epc:class:lgtin:4012345.012345.998877",
    ...               "https://example.com/01/04012345123456/lot/998877")
    True

    """
    return canonical_key(a) == canonical_key(b)


def _serial(text: str) -> str:
    """A serial or lot as a Digital Link path segment writes it (percent-encoded)."""
    return quote(unquote(text), safe=_SAFE)


def _link(ai: str, key: str, *qualifiers: tuple[str, str]) -> str:
    return f"{DL_ROOT}/{ai}/{key}" + "".join(f"/{q}/{_serial(v)}" for q, v in qualifiers)


# -- EPC URNs (TDS 2.0 section 6) -----------------------------------------------------

def _split(body: str, parts: int, total: int | None) -> list[str] | None:
    """``body`` split on dots into ``parts``, its company prefix and reference digits.

    ``total`` is the length company prefix + reference must have (``None``: any).
    """
    p = body.split(".", parts - 1)
    if len(p) != parts or not (6 <= len(p[0]) <= 12) or not _DIGITS.match(p[0]):
        return None
    if total is not None and (len(p[0]) + len(p[1]) != total
                              or (p[1] and not _DIGITS.match(p[1]))):
        return None
    return p


def _gtin(prefix: str, item: str) -> str:
    raw = item[:1] + prefix + item[1:]
    return raw + check_digit(raw)


def _with_check(raw: str) -> str:
    return raw + check_digit(raw)


def _gtin_key(qualifier: str | None) -> Callable[[str], str | None]:
    def convert(body: str) -> str | None:
        p = _split(body, 3, 13)
        if p is None or not p[2]:
            return None
        if qualifier is None:  # a pattern: the GTIN class
            return _link("01", _gtin(p[0], p[1])) if p[2] == "*" else None
        return _link("01", _gtin(p[0], p[1]), (qualifier, p[2]))
    return convert


def _sscc(body: str) -> str | None:
    p = _split(body, 2, 17)
    return None if p is None else _link("00", _with_check(p[1][:1] + p[0] + p[1][1:]))


def _sgln(body: str) -> str | None:
    p = _split(body, 3, 12)
    if p is None:
        return None
    gln = _with_check(p[0] + p[1])
    return _link("414", gln) if p[2] in ("", "0") else _link("414", gln, ("254", p[2]))


def _fixed(ai: str, total: int, lead: str = "") -> Callable[[str], str | None]:
    """PGLN (417), GSRN (8018), GSRNP (8017): prefix + reference, check digit."""
    def convert(body: str) -> str | None:
        p = _split(body, 2, total)
        return None if p is None else _link(ai, _with_check(lead + p[0] + p[1]))
    return convert


def _serialised(ai: str, lead: str) -> Callable[[str], str | None]:
    """GRAI (8003), GDTI (253), SGCN (255): prefix + type, check digit, then serial."""
    def convert(body: str) -> str | None:
        p = _split(body, 3, 12)
        if p is None or not p[2] or p[2] == "*":
            return None
        return f"{DL_ROOT}/{ai}/{_with_check(lead + p[0] + p[1])}{_serial(p[2])}"
    return convert


def _giai(body: str) -> str | None:
    p = _split(body, 2, None)
    return None if p is None or not p[1] else f"{DL_ROOT}/8004/{p[0]}{_serial(p[1])}"


def _cpi(body: str) -> str | None:
    p = _split(body, 3, None)
    if p is None or not p[1] or not p[2]:
        return None
    return f"{DL_ROOT}/8010/{p[0]}{_serial(p[1])}/8011/{_serial(p[2])}"


_URNS: dict[str, Callable[[str], str | None]] = {
    "urn:epc:id:sgtin:": _gtin_key("21"),
    "urn:epc:class:lgtin:": _gtin_key("10"),
    "urn:epc:idpat:sgtin:": _gtin_key(None),
    "urn:epc:id:upui:": _gtin_key("235"),
    "urn:epc:id:sscc:": _sscc,
    "urn:epc:id:sgln:": _sgln,
    "urn:epc:id:pgln:": _fixed("417", 12),
    "urn:epc:id:gsrn:": _fixed("8018", 17),
    "urn:epc:id:gsrnp:": _fixed("8017", 17),
    "urn:epc:id:grai:": _serialised("8003", "0"),
    "urn:epc:id:gdti:": _serialised("253", ""),
    "urn:epc:id:sgcn:": _serialised("255", ""),
    "urn:epc:id:giai:": _giai,
    "urn:epc:id:cpi:": _cpi,
}


def _from_urn(value: str) -> str | None:
    head = value[:value.rfind(":") + 1]
    convert = _URNS.get(head)
    return None if convert is None else convert(value[len(head):])


# -- GS1 Digital Link URIs (DL 1.2 sections 4 and 6) ---------------------------------

def _from_link(value: str) -> str | None:
    match = _DL_PATH.match(value)
    if match is None or value.startswith("https://ref.gs1.org"):
        return None
    segments = match.group(1).split("/")[1:]
    if len(segments) % 2:
        return None
    pairs = [(_ALIASES.get(segments[i], segments[i]), segments[i + 1])
             for i in range(0, len(segments), 2)]
    ai, key = pairs[0]
    spec = _PRIMARY.get(ai)
    if spec is None:
        return None
    digits, allowed = spec
    if digits:
        if not _DIGITS.match(key) or len(key) > digits or (ai == "01" and len(key) < 8):
            return None
        key = key.zfill(digits)
    qualifiers = dict(pairs[1:])
    if len(qualifiers) != len(pairs) - 1 or any(q not in allowed for q in qualifiers):
        return None
    if "21" in qualifiers:  # an item: its serial identifies it, lot and CPV do not
        qualifiers.pop("10", None)
        qualifiers.pop("22", None)
    qualifiers.pop("22", None)  # the CPV qualifies a GTIN, not the key (as the hash ID)
    ordered = [(q, qualifiers[q]) for q in allowed if q in qualifiers]
    if ai == "414" and qualifiers.get("254") == "0":
        ordered = [(q, v) for q, v in ordered if q != "254"]
    return _link(ai, key if digits else _serial(key), *ordered)
