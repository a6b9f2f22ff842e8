"""Query parameters on extension fields and on master-data attributes.

A parameter names a field as ``{namespace}#{local}`` (as the standard writes it) or
as ``{prefix}:{local}`` (as JSON events do). Both sides are read as one name: a prefix
is expanded through the prefixes the repository knows (``cbv``, ``gs1``, ``oreline``...)
and those an event's own ``@context`` declares, and trailing ``/``, ``#`` or ``:`` of a
namespace do not count (``https://ex.com/voc/#lot`` is ``ex:lot`` when ``ex`` is
``https://ex.com/voc/``). A name is also matched as written, so a prefix the repository
does not know (``example:myField``) finds the events that use that prefix.

The families (``{op}`` is ``EQ``, ``GT``, ``GE``, ``LT`` or ``LE``):

* ``{op}_{field}``: a top-level extension field of the event; ``{op}_ILMD_{field}`` one
  of its ``ilmd``; ``{op}_ERROR_DECLARATION_{field}`` one of its ``errorDeclaration``;
  ``{op}_SENSORELEMENT_``, ``_SENSORMETADATA_``, ``_SENSORREPORT_{field}`` one of its
  sensor data; ``EQ_readPoint_{field}`` / ``EQ_bizLocation_{field}`` one of the
  location's. ``INNER_`` after the operator looks at any depth inside those fields;
* ``EXISTS_`` with the same scopes: the field is there;
* ``HASATTR_{field}`` and ``EQATTR_{field}_{attribute}``: the master data of the
  event's ``bizLocation`` or ``readPoint`` (the ledger's sites: ``oreline:name``,
  ``oreline:country``, ``oreline:stage``, ``oreline:policy``) has the attribute (with one
  of the values). Master data of other fields is not held: such a filter matches none.

``EQ_`` takes one or more values; numbers compare as numbers, times as instants,
anything else as text (:func:`~oreline.ledger.profile.queryvalues.compare`).

Examples
--------
>>> ev = {"ex:grade": "N52", "ilmd": {"https://oreline.dev/voc/kg": 25.0}}
>>> field_filter("EQ_ex:grade", ["N52", "N48"]).hit(ev)
True
>>> field_filter("GT_ILMD_oreline:kg", ["20"]).hit(ev)
True
>>> field_filter("EXISTS_https://oreline.dev/voc/#kg", []).hit(ev)
False

"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from oreline.errors import QueryError
from oreline.ledger.epcis.identity import canonical_key
from oreline.ledger.epcis.values import DEFAULT_PREFIXES
from oreline.ledger.epcis.vocabulary import declared_prefixes
from oreline.ledger.profile.queryfilters import Filter
from oreline.ledger.profile.queryvalues import compare, flag, scalar

__all__ = ["MASTER_FIELDS", "SCOPES", "FieldFilter", "MasterFilter", "field_filter",
           "field_name", "field_values", "is_field", "master_filter"]

#: Where each scope word of a parameter looks (paths from the event).
SCOPES: dict[str, tuple[str, ...]] = {
    "": (), "ILMD_": ("ilmd",), "ERROR_DECLARATION_": ("errorDeclaration",),
    "SENSORELEMENT_": ("sensorElementList", "*"),
    "SENSORMETADATA_": ("sensorElementList", "*", "sensorMetadata"),
    "SENSORREPORT_": ("sensorElementList", "*", "sensorReport", "*"),
    "readPoint_": ("readPoint",), "bizLocation_": ("bizLocation",)}
#: Fields whose master data the ledger holds (its sites).
MASTER_FIELDS = ("bizLocation", "readPoint")
_FIELD = re.compile(r"^(EQ|GT|GE|LT|LE|EXISTS)_(INNER_)?(ILMD_|ERROR_DECLARATION_|"
                    r"SENSORELEMENT_|SENSORMETADATA_|SENSORREPORT_|readPoint_|bizLocation_)?"
                    r"(.+)$")


def field_name(key: str, prefixes: Mapping[str, str] = DEFAULT_PREFIXES) -> str | None:
    """The one name of an extension field's key (None for a standard field).

    >>> field_name("ex:a", {"ex": "urn:ex:"}) == field_name("urn:ex#a") == "urn:ex#a"
    True
    """
    if "#" in key:
        ns, _, local = key.rpartition("#")
        return ns.rstrip("/#:") + "#" + local
    head, sep, local = key.partition(":")
    if not sep or not head or not local:
        return None
    if local.startswith("//"):  # a full IRI: the namespace ends at its last / or :
        cut = max(key.rfind("/"), key.rfind(":"))
        return key[:cut].rstrip("/#:") + "#" + key[cut + 1:]
    known = prefixes.get(head)
    return (known.rstrip("/#:") + "#" + local) if known else key


def _children(node: Any) -> Iterator[Any]:
    if isinstance(node, list):
        for item in node:
            yield from _children(item)
    elif isinstance(node, Mapping):
        yield node


def _scoped(event: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[Mapping[str, Any]]:
    nodes: list[Any] = [event]
    for step in path:
        if step == "*":
            nodes = [c for n in nodes for c in (n if isinstance(n, list) else ())]
        else:
            nodes = [n.get(step) for n in nodes if isinstance(n, Mapping)]
    return (n for n in nodes if isinstance(n, Mapping))


def _inner(value: Any, prefixes: Mapping[str, str]) -> Iterator[tuple[str, str, Any]]:
    for node in _children(value):
        for key, got in node.items():
            name = field_name(key, prefixes)
            if name is not None:
                yield key, name, got
            yield from _inner(got, prefixes)


def field_values(event: Mapping[str, Any], scope: str, inner: bool,
                 names: frozenset[str]) -> list[Any]:
    """The values of the extension field in ``scope`` of the event (see SCOPES).

    ``names`` holds the field's one name (:func:`field_name`) and its name as written.
    """
    prefixes = {**DEFAULT_PREFIXES, **declared_prefixes(event["@context"])} \
        if "@context" in event else DEFAULT_PREFIXES
    found: list[Any] = []
    for node in _scoped(event, SCOPES[scope]):
        for key, got in node.items():
            own = field_name(key, prefixes)
            if own is None:
                continue
            if not inner and (own in names or key in names):
                found.append(got)
            elif inner:
                found += [v for k, n, v in _inner(got, prefixes) if n in names or k in names]
    return found


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, Mapping) and "@value" in value:
        yield value["@value"]
    else:
        yield value


@dataclass(frozen=True)
class FieldFilter(Filter):
    """``op`` on extension field ``name`` in ``scope`` (``EXISTS``: is there)."""

    op: str
    scope: str
    inner: bool
    names: frozenset[str]
    wants: tuple[Any, ...] = ()

    def hit(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` passes this filter."""
        found = field_values(event, self.scope, self.inner, self.names)
        if self.op == "EXISTS":
            return bool(found)
        return any(compare(self.op, got, want) for value in found
                   for got in _leaves(value) for want in self.wants)


def is_field(name: str) -> bool:
    """Whether ``name`` is an extension-field or master-data parameter."""
    if name.startswith(("HASATTR_", "EQATTR_")):
        return True
    got = _FIELD.match(name)
    return got is not None and (":" in got.group(4) or "#" in got.group(4))


def field_filter(name: str, values: list[str]) -> FieldFilter:
    """The filter of an ``EQ_``/``GT_``/``GE_``/``LT_``/``LE_``/``EXISTS_`` field parameter."""
    got = _FIELD.match(name)
    key = field_name(got.group(4)) if got else None
    if got is None or key is None:
        raise QueryError(name, f"{name} names no extension field; write it as "
                               "EQ_{prefix}:{name} or EQ_{namespace}#{name}")
    op, inner, scope = got.group(1), bool(got.group(2)), got.group(3) or ""
    names = frozenset({key, got.group(4)})
    if op == "EXISTS":
        flag(name, values)
        return FieldFilter(op, scope, inner, names)
    if op != "EQ" and len(values) != 1:
        raise QueryError(name, f"{name} takes one value, got {len(values)}; give one "
                               "number or time")
    return FieldFilter(op, scope, inner, names, tuple(scalar(v) for v in values))


@dataclass(frozen=True)
class MasterFilter(Filter):
    """``HASATTR_`` / ``EQATTR_`` on the master data of a location field.

    ``ids`` holds the locations (canonical keys) whose master data answers; the store
    fills it (:meth:`bind`) before events are tested.
    """

    field: str
    attrs: frozenset[str]
    values: tuple[str, ...] = ()
    ids: frozenset[str] | None = None

    def bind(self, master: Mapping[str, Mapping[str, str]]) -> MasterFilter:
        """The filter with :attr:`ids` from ``master`` (location to attribute values)."""
        if self.field not in MASTER_FIELDS:
            return replace(self, ids=frozenset())
        return replace(self, ids=frozenset(
            loc for loc, attrs in master.items() if any(
                a in attrs and (not self.values or any(
                    compare("EQ", attrs[a], scalar(v)) for v in self.values))
                for a in self.attrs)))

    def hit(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` passes this filter."""
        got = event.get(self.field)
        if isinstance(got, Mapping):
            got = got.get("id")
        return isinstance(got, str) and self.ids is not None and canonical_key(got) in self.ids


def _attr(name: str, text: str) -> str:
    got = field_name(text) if (":" in text or "#" in text) else text
    if got is None:
        raise QueryError(name, f"{name}: {text!r} is not an attribute name; write one such "
                               "as oreline:country")
    return got


def master_filter(name: str, values: list[str]) -> MasterFilter:
    """The filter of ``HASATTR_{field}`` (values: attributes) or ``EQATTR_{field}_{attr}``."""
    if name.startswith("HASATTR_"):
        return MasterFilter(name[8:], frozenset(_attr(name, v) for v in values))
    rest = name[7:]
    field = next((f for f in MASTER_FIELDS if rest.startswith(f + "_")), None)
    if field is None:
        cut = rest.find("_", max(rest.find(":"), rest.find("#")))
        field = rest[:cut] if cut > 0 else ""
    attr = rest[len(field) + 1:]
    if not field or not attr:
        raise QueryError(name, f"{name} names no field and attribute; write it as "
                               "EQATTR_bizLocation_oreline:country")
    return MasterFilter(field, frozenset({_attr(name, attr)}), tuple(values))
