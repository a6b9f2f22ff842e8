"""EPC URIs and GS1 Digital Link URIs as the constrained canonical GS1 Digital Link URI.

CBV 2.0 (section "EPCIS Event Hash ID", rules on EPC URIs and Digital Link) writes every
GS1 key in the pre-hash string as a canonical GS1 Digital Link URI on ``https://id.gs1.org``
holding only the most fine-grained level of identification: EPC URIs (``urn:epc:id:``),
EPC class URIs (``urn:epc:class:``) and EPC pattern URIs (``urn:epc:idpat:``) of every
scheme are translated (TDS 2.0 section 7 and GS1 Digital Link 1.2 section 4.11), and
Digital Link URIs lose a custom domain, the query string, the CPV (AI 22) and the lot
when a serial is present; short names (``/gtin/``, ``/lot/``...) become AIs.

A value that is none of these, or a URI whose parts do not have the lengths of a GS1 key,
is returned unchanged (``None`` from :func:`canonical_link`), as the reference event hash
generator does. Characters that GS1 Digital Link requires percent-encoded
(``! ( ) * + , :``) are encoded in serials; percent-escapes already in the URN are kept.

Examples
--------
>>> canonical_link("urn:epc:id:giai:4000001.111")
'https://id.gs1.org/8004/4000001111'
>>> canonical_link("urn:epc:id:gdti:4012345.55555.1234")
'https://id.gs1.org/253/40123455555541234'
>>> canonical_link("https://example.com/gtin/09780345418913/21/765tz?abc=1")
'https://id.gs1.org/01/09780345418913/21/765tz'
>>> canonical_link("urn:oreline:lot:1") is None
True

"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["canonical_link", "check_digit"]

_DL = "https://id.gs1.org"
#: One character of an EPC serial or GS1 alphanumeric value in URI form (TDS 2.0).
_CHARS = r"(?:%[0-9A-Fa-f]{2}|[!'()*+,.0-9:;=A-Za-z_-])"
_DIGITS = re.compile(r"^\d+$")
_TEXT = re.compile(rf"^{_CHARS}+$")
_CPI_REF = re.compile(r"^(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])+$")
#: Characters GS1 Digital Link requires percent-encoded that an EPC URI may hold literally.
_ENCODE = str.maketrans({"!": "%21", "(": "%28", ")": "%29", "*": "%2A", "+": "%2B",
                         ",": "%2C", ":": "%3A"})


def check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of a key without it (GenSpecs 7.9.1).

    Examples
    --------
    >>> check_digit("1061414107346")
    '4'

    """
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def _enc(text: str) -> str:
    return text.translate(_ENCODE)


def _company(parts: list[str], n: int, total: int | None) -> tuple[str, str] | None:
    """Company prefix and reference of ``parts[:2]`` if they are digits of ``total`` length."""
    if len(parts) != n:
        return None
    prefix, ref = parts[0], parts[1]
    if not (6 <= len(prefix) <= 12) or not _DIGITS.match(prefix):
        return None
    if total is not None and (len(prefix) + len(ref) != total
                              or (ref and not _DIGITS.match(ref))):
        return None
    return prefix, ref


def _gtin(prefix: str, item: str) -> str:
    raw = item[:1] + prefix + item[1:]
    return raw + check_digit(raw)


def _sgtin(p: list[str]) -> str | None:
    cp = _company(p, 3, 13)
    if cp is None or not _TEXT.match(p[2]):
        return None
    return f"{_DL}/01/{_gtin(*cp)}/21/{_enc(p[2])}"


def _lgtin(p: list[str]) -> str | None:
    cp = _company(p, 3, 13)
    if cp is None or not _TEXT.match(p[2]):
        return None
    return f"{_DL}/01/{_gtin(*cp)}/10/{_enc(p[2])}"


def _upui(p: list[str]) -> str | None:
    cp = _company(p, 3, 13)
    if cp is None or not _TEXT.match(p[2]):
        return None
    return f"{_DL}/01/{_gtin(*cp)}/235/{_enc(p[2])}"


def _sscc(p: list[str]) -> str | None:
    cp = _company(p, 2, 17)
    if cp is None:
        return None
    raw = cp[1][:1] + cp[0] + cp[1][1:]
    return f"{_DL}/00/{raw}{check_digit(raw)}"


def _gln(ai: str) -> Callable[[list[str]], str | None]:
    def convert(p: list[str]) -> str | None:
        cp = _company(p, 2, 12)
        return None if cp is None else f"{_DL}/{ai}/{cp[0]}{cp[1]}{check_digit(cp[0] + cp[1])}"
    return convert


def _sgln(p: list[str]) -> str | None:
    cp = _company(p, 3, 12)
    if cp is None or not _TEXT.match(p[2]):
        return None
    out = f"{_DL}/414/{cp[0]}{cp[1]}{check_digit(cp[0] + cp[1])}"
    return out if p[2] == "0" else f"{out}/254/{_enc(p[2])}"


def _serial_key(ai: str, lead: str, digits_only: bool) -> Callable[[list[str]], str | None]:
    """GRAI (8003), GDTI (253) and SGCN (255): key of 12 digits, check digit, serial."""
    def convert(p: list[str]) -> str | None:
        cp = _company(p, 3, 12)
        ok = _DIGITS.match(p[2]) if digits_only else _TEXT.match(p[2])
        if cp is None or not ok:
            return None
        raw = lead + cp[0] + cp[1]
        return f"{_DL}/{ai}/{raw}{check_digit(raw)}{_enc(p[2])}"
    return convert


def _class_key(ai: str, lead: str) -> Callable[[list[str]], str | None]:
    """The pattern (``.*``) of a GRAI, GDTI or SGCN: the key without serial."""
    def convert(p: list[str]) -> str | None:
        cp = _company(p, 3, 12)
        if cp is None or p[2] != "*":
            return None
        raw = lead + cp[0] + cp[1]
        return f"{_DL}/{ai}/{raw}{check_digit(raw)}"
    return convert


def _free_key(ai: str) -> Callable[[list[str]], str | None]:
    """GIAI (8004) and GINC (401): company prefix and an alphanumeric reference."""
    def convert(p: list[str]) -> str | None:
        joined = [p[0], ".".join(p[1:])] if len(p) >= 2 else p
        cp = _company(joined, 2, None)
        if cp is None or not _TEXT.match(cp[1]):
            return None
        return f"{_DL}/{ai}/{cp[0]}{_enc(cp[1])}"
    return convert


def _check_key(ai: str, total: int) -> Callable[[list[str]], str | None]:
    """GSRN (8018), GSRN-P (8017) and GSIN (402): digits and a check digit."""
    def convert(p: list[str]) -> str | None:
        cp = _company(p, 2, total)
        return None if cp is None else f"{_DL}/{ai}/{cp[0]}{cp[1]}{check_digit(cp[0] + cp[1])}"
    return convert


def _cpi(p: list[str]) -> str | None:
    if len(p) != 3 or not _CPI_REF.match(p[1]) or not (_DIGITS.match(p[2]) or p[2] == "*"):
        return None
    if _company([p[0], ""], 2, None) is None:
        return None
    out = f"{_DL}/8010/{_enc(p[0] + p[1])}"
    return out if p[2] == "*" else f"{out}/8011/{p[2]}"


def _itip(p: list[str]) -> str | None:
    cp = _company(p[:2], 2, 13) if len(p) == 5 else None
    if cp is None or not all(len(x) == 2 and _DIGITS.match(x) for x in p[2:4]):
        return None
    base = f"{_DL}/8006/{_gtin(*cp)}{p[2]}{p[3]}"
    if p[4] == "*":
        return base
    return f"{base}/21/{_enc(p[4])}" if _TEXT.match(p[4]) else None


def _gtin_class(p: list[str]) -> str | None:
    cp = _company(p, 3, 13)
    return None if cp is None or p[2] != "*" else f"{_DL}/01/{_gtin(*cp)}"


_ID: dict[str, Callable[[list[str]], str | None]] = {
    "sgtin": _sgtin, "sscc": _sscc, "sgln": _sgln, "pgln": _gln("417"),
    "grai": _serial_key("8003", "0", False), "gdti": _serial_key("253", "", False),
    "sgcn": _serial_key("255", "", True), "giai": _free_key("8004"),
    "ginc": _free_key("401"), "gsrn": _check_key("8018", 17), "gsrnp": _check_key("8017", 17),
    "gsin": _check_key("402", 16), "cpi": _cpi, "itip": _itip, "upui": _upui,
}
_IDPAT: dict[str, Callable[[list[str]], str | None]] = {
    "sgtin": _gtin_class, "upui": _gtin_class, "grai": _class_key("8003", "0"),
    "gdti": _class_key("253", ""), "sgcn": _class_key("255", ""), "cpi": _cpi,
    "itip": _itip,
}


def _from_epc(value: str) -> str | None:
    head, _, body = value.partition(":epc:")
    kind, _, rest = body.partition(":")
    scheme, _, tail = rest.partition(":")
    if head != "urn" or not tail:
        return None
    parts = tail.split(".")
    if kind == "id":
        convert = _ID.get(scheme)
        if scheme in ("gdti", "sgcn", "grai", "sgtin", "sgln", "upui") and len(parts) > 3:
            parts = [*parts[:2], ".".join(parts[2:])]  # a serial may hold dots
        return convert(parts) if convert else None
    if kind == "class" and scheme == "lgtin":
        return _lgtin([*parts[:2], ".".join(parts[2:])]) if len(parts) >= 3 else None
    if kind == "idpat":
        convert = _IDPAT.get(scheme)
        return convert(parts) if convert else None
    return None


_ALIASES = {"gtin": "01", "itip": "8006", "cpid": "8010", "gln": "414", "party": "417",
            "gsrnp": "8017", "gsrn": "8018", "gcn": "255", "sscc": "00", "gdti": "253",
            "ginc": "401", "gsin": "402", "grai": "8003", "giai": "8004", "cpv": "22",
            "lot": "10", "ser": "21", "exten": "254", "upui": "235"}
_PRIMARY = frozenset({"01", "8006", "8010", "414", "417", "8017", "8018", "255", "00", "253",
                      "401", "402", "8003", "8004"})
#: One character of a value: a percent-escape counts as one (GS1 Digital Link 1.2 4.2).
_VAL = r"(?:%[0-9A-Fa-f]{2}|[\"'\-.0-9;-?A-Z_a-z])"
#: The constrained canonical forms (the most fine-grained level of every key).
_CANONICAL = re.compile(
    r"^/(?:00/\d{18}|01/\d{14}(?:/21/" + _VAL + r"{0,20}|/10/" + _VAL + r"{0,20}|/235/"
    + _VAL + r"{0,28})?|253/\d{13}" + _VAL + r"{0,17}|255/\d{13}\d{0,12}|401/" + _VAL
    + r"{0,30}|402/\d{17}|414/\d{13}(?:/254/" + _VAL + r"{0,20})?|417/\d{13}|8003/\d{14}"
    + _VAL + r"{0,16}|8004/" + _VAL + r"{0,30}|8006/\d{18}(?:/21/" + _VAL + r"{0,20}|/10/"
    + _VAL + r"{0,20})?|8010/[#\-/0-9A-Z]{0,30}(?:/8011/\d{0,12})?|8017/\d{18}|8018/\d{18})$"
)
_WEB = re.compile(r"^https?://[^/?#]*(/[^?#]*)")


def _from_link(value: str) -> str | None:
    match = _WEB.match(value)
    if match is None:
        return None
    segments = match.group(1).split("/")[1:]
    while segments and segments[-1] == "":
        segments.pop()
    start = next((i for i, s in enumerate(segments)
                  if _ALIASES.get(s, s) in _PRIMARY and i + 1 < len(segments)
                  and re.match(r"^\d{4}", segments[i + 1])), None)
    if start is None:
        return None
    pairs = segments[start:]
    if len(pairs) % 2:
        return None
    keys = [_ALIASES.get(k, k) for k in pairs[0::2]]
    vals = pairs[1::2]
    if keys[0] == "01" and len(vals[0]) in (8, 12, 13):
        vals[0] = vals[0].rjust(14, "0")
    kept = [(k, v) for k, v in zip(keys, vals, strict=True) if k != "22"]
    if [k for k, _ in kept[1:]] == ["10", "21"]:
        kept = [kept[0], kept[2]]
    path = "".join(f"/{k}/{v}" for k, v in kept)
    return _DL + path if _CANONICAL.match(path) else None


def canonical_link(value: str) -> str | None:
    """The constrained canonical GS1 Digital Link URI of an EPC or GS1 URI, or ``None``.

    Examples
    --------
    >>> canonical_link("urn:epc:id:sgtin:0614141.812345.6789!")
    'https://id.gs1.org/01/80614141123458/21/6789%21'
    >>> canonical_link("https://id.gs1.org/01/04012345123456/10/L1/21/S1")
    'https://id.gs1.org/01/04012345123456/21/S1'

    """
    if value.startswith("urn:epc:"):
        return _from_epc(value)
    if value.startswith(("http://", "https://")):
        return _from_link(value)
    return None
