"""The pre-hash parts of user extensions (fields outside the EPCIS standard).

CBV 2.0 writes an extension as ``{namespace}local=value``, nested maps as their name
followed by their children's parts, every list of parts sorted. Events of a document
repeat whole maps two levels down (the master data of each lot under
``ilmd["oreline:lotMaster"]``), so :func:`extensions` memoises their parts by content
(:func:`~oreline.ledger.epcis.canonical.freeze`) when given a hashable snapshot of the
prefixes.

Examples
--------
>>> extensions({"ex:a": {"ex:b": 1.50}, "type": "ObjectEvent"}, frozenset({"type"}),
...            {"ex": "urn:ex:"})
'{urn:ex:}a{urn:ex:}b=1.5'

"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from oreline.ledger.epcis.canonical import NotPlainError, freeze
from oreline.ledger.epcis.memo import Memo
from oreline.ledger.epcis.values import format_number

__all__ = ["extensions"]

#: Pre-hash parts of the children of plain maps by (content key, namespace, prefixes).
_BODIES: Memo[Any, str] = Memo(8192)


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


def extensions(obj: Mapping[str, Any], skip: frozenset[str], prefixes: Mapping[str, str],
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
        body = _BODIES.get(memo_key)
    except (NotPlainError, TypeError):  # not exact JSON types, or prefixes not hashable
        memo_key = body = None
    if body is None:
        body = "".join(sorted([_ext_parts(k, v, prefixes, ns) for k, v in value.items()
                               if not k.startswith("@")]))
        if memo_key is not None:
            _BODIES.remember(memo_key, body)
    return body
