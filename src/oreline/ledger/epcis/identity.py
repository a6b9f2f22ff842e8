"""One identity per EPC and EPC class: URN and GS1 Digital Link forms mapped to one key.

A lot or item can be written as an EPC URN (GS1 Tag Data Standard 2.0 section 6:
``urn:epc:class:lgtin:4012345.012345.998877``, ``urn:epc:id:sgtin:...``) or as a GS1
Digital Link URI on any domain (``https://id.gs1.org/01/04012345123456/10/998877``,
``https://brand.example/gtin/04012345123456/lot/998877``). :func:`canonical_key` maps
every spelling of one GS1 key to the same text, the constrained Digital Link URI on
``https://id.gs1.org``:

* The translation is the one the CBV 2.0 event hash ID uses, owned by
  :mod:`oreline.ledger.epcis.digitallink` (checked there against the reference
  generators' vectors): URNs as TDS 2.0 section 7 translates them (company prefix and
  reference joined, check digit appended; the key is the Digital Link form because the
  URN cannot be rebuilt without the prefix length); Digital Link URIs lose the domain,
  the query string, the fragment and the CPV, short names (``/gtin/``, ``/lot/`` ...)
  become application identifiers, a GTIN of 8, 12 or 13 digits is padded to 14, and of an
  item with a serial the lot is dropped (GTIN + serial identifies the item).
* This module adds only what identity needs beyond the hash: each value after the key
  (lot, serial) is percent-encoded one way (RFC 3986 unreserved characters literal,
  everything else escaped), whichever form it came in, so ``6789!`` and ``6789%21`` are
  one serial.

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

from urllib.parse import quote, unquote, urlsplit, urlunsplit

from oreline.ledger.epcis.digitallink import canonical_link, check_digit
from oreline.ledger.epcis.memo import Memo

__all__ = ["DL_ROOT", "canonical_key", "check_digit", "same_identity"]

#: The domain of constrained (canonical) GS1 Digital Link URIs.
DL_ROOT = "https://id.gs1.org"
#: Characters a Digital Link path segment keeps literally (RFC 3986 unreserved).
_SAFE = "-._~"

_KEYS: Memo[str, str] = Memo(16384)


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
    link = canonical_link(value)
    if link is None and value.startswith(("http://", "https://")):
        # a Digital Link with characters it should have escaped (``/21/a!b``)
        split = urlsplit(value)
        path = "/".join(quote(unquote(seg), safe=_SAFE) for seg in split.path.split("/"))
        link = canonical_link(urlunsplit(split._replace(path=path)))
    return _KEYS.remember(uri, _one_key(link) if link is not None else value)


def _one_key(link: str) -> str:
    """``link`` with every value after an AI percent-encoded one way.

    An SGLN's extension ``0`` (TDS 2.0: "no extension") is dropped, as the URN form is.
    """
    parts = link[len(DL_ROOT) + 1:].split("/")
    parts[1::2] = [quote(unquote(v), safe=_SAFE) for v in parts[1::2]]
    if parts[0] == "414" and parts[2:] == ["254", "0"]:
        parts = parts[:2]
    return f"{DL_ROOT}/" + "/".join(parts)


def same_identity(a: str, b: str) -> bool:
    """Whether two spellings name the same EPC or class.

    Examples
    --------
    >>> same_identity("urn:epc:class:lgtin:4012345.012345.998877",
    ...               "https://example.com/01/04012345123456/lot/998877")
    True

    """
    return canonical_key(a) == canonical_key(b)
