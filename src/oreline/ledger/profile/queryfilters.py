"""The SimpleEventQuery filters on an event's standard fields beyond the indexed ones.

Each parameter becomes one filter with a ``hit(event)`` test on the event as captured
(with its ``errorDeclaration`` when it was declared in error):

* ``EQ_persistentDisposition_set`` / ``_unset``: a disposition of the ``set`` (``unset``)
  list, in any spelling of the CBV term;
* ``EQ_`` / ``GT_`` / ``GE_`` / ``LT_`` / ``LE_quantity``, optionally ``_{uom}``: some
  quantity element of the event (``quantityList``, ``childQuantityList``,
  ``inputQuantityList``, ``outputQuantityList``). With a unit the element's quantity is
  compared in that unit: the same unit, or converted between Rec 20 units of mass
  (:data:`~oreline.ledger.profile.quantities.MASS_UNITS`, exact) or of temperature; an
  element in a unit that does not convert never matches. Without a unit the quantity is
  compared as written, whatever its unit;
* ``EXISTS_errorDeclaration``, ``GE_`` / ``LT_errorDeclarationTime``,
  ``EQ_errorReason``, ``EQ_correctiveEventID``;
* ``EQ_bizTransaction_{type}``, ``EQ_source_{type}``, ``EQ_destination_{type}``: an
  entry of that type (a CBV term bare or as URI) with one of the values;
* sensor filters (:mod:`oreline.ledger.profile.querysensors`).

Examples
--------
>>> f = quantity_filter("GE_quantity_KGM", ["500"])
>>> f.hit({"quantityList": [{"epcClass": "urn:x", "quantity": 0.6, "uom": "TNE"}]})
True
>>> f.hit({"quantityList": [{"epcClass": "urn:x", "quantity": 400, "uom": "KGM"}]})
False
>>> typed_filter("EQ_bizTransaction_po", ["urn:po:1"]).hit(
...     {"bizTransactionList": [{"type": "cbv:BTT-po", "bizTransaction": "urn:po:1"}]})
True

"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from oreline.errors import QueryError
from oreline.ledger.epcis.identity import canonical_key
from oreline.ledger.epcis.values import DEFAULT_PREFIXES, vocab
from oreline.ledger.profile.quantities import MASS_UNITS
from oreline.ledger.profile.queryvalues import compare, flag, instant, number, parse_time

__all__ = ["QUANTITY_LISTS", "TYPED_LISTS", "Compare", "Declared", "Filter", "Located",
           "Persistent", "Typed", "cbv_uri", "convert", "error_filter", "location_filter",
           "persistent_filter", "quantity_filter", "typed_filter", "unit_of"]

#: The lists of quantity elements an event may carry.
QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList",
                  "outputQuantityList")
#: EQ_{list}_{type}: the event field, the field of each entry, and the CBV code prefix.
TYPED_LISTS: dict[str, tuple[str, str, str]] = {
    "bizTransaction": ("bizTransactionList", "bizTransaction", "BTT-"),
    "source": ("sourceList", "source", "SDT-"),
    "destination": ("destinationList", "destination", "SDT-"),
}
_CBV = "https://ref.gs1.org/cbv/"
_UOM = re.compile(r"^[A-Z0-9]{2,4}$")
#: Rec 20 temperature units as (scale, offset) to kelvin: K = scale * value + offset.
_TEMPERATURE: dict[str, tuple[Fraction, Fraction]] = {
    "KEL": (Fraction(1), Fraction(0)), "CEL": (Fraction(1), Fraction("273.15")),
    "FAH": (Fraction(5, 9), Fraction("273.15") - Fraction(160, 9)),
}


class Filter:
    """One query parameter's test on an event (subclasses say how)."""

    def hit(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` passes this filter."""
        raise NotImplementedError


def convert(value: float, uom: str | None, to: str) -> float | None:
    """``value`` in ``uom`` expressed in ``to`` (Rec 20 codes), or None if it cannot be.

    >>> convert(1, "TNE", "KGM"), convert(100, "CEL", "FAH"), convert(1, "MTR", "KGM")
    (1000.0, 212.0, None)
    """
    if uom == to:
        return float(value)
    if uom in MASS_UNITS and to in MASS_UNITS:
        return float(Fraction(value) * MASS_UNITS[uom] / MASS_UNITS[to])
    if uom in _TEMPERATURE and to in _TEMPERATURE:
        (a, b), (c, d) = _TEMPERATURE[uom], _TEMPERATURE[to]
        return float(((a * Fraction(value) + b) - d) / c)
    return None


def unit_of(name: str, stem: str) -> str | None:
    """The ``uom`` suffix of a name such as ``GE_quantity_KGM`` (stem ``quantity``)."""
    tail = name.split(f"_{stem}", 1)[1]
    if not tail:
        return None
    uom = tail[1:]
    if not tail.startswith("_") or not _UOM.match(uom):
        raise QueryError(name, f"{name}: {uom or tail!r} is not a UN/ECE Rec 20 unit code; "
                               f"write the unit as in {name.split('_')[0]}_{stem}_KGM")
    return uom


@dataclass(frozen=True)
class Compare(Filter):
    """``op`` of the event's quantities against ``wants`` (EQ: any of them)."""

    op: str
    wants: tuple[float, ...]
    uom: str | None
    lists: tuple[str, ...] = QUANTITY_LISTS

    def values(self, event: Mapping[str, Any]) -> Iterator[float]:
        """The quantities of the event, in :attr:`uom` when one is asked."""
        for name in self.lists:
            for q in event.get(name) or ():
                if not isinstance(q, Mapping) or isinstance(q.get("quantity"), bool) or \
                        not isinstance(q.get("quantity"), int | float):
                    continue
                got = float(q["quantity"]) if self.uom is None else convert(
                    q["quantity"], q.get("uom"), self.uom)
                if got is not None:
                    yield got

    def hit(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` passes this filter."""
        return any(compare(self.op, v, w) for v in self.values(event) for w in self.wants)


def quantity_filter(name: str, values: list[str]) -> Compare:
    """``EQ_quantity`` (any of the values) or ``GT_``/``GE_``/``LT_``/``LE_quantity``."""
    op = name[:2]
    wants = tuple(number(name, [v]) for v in values) if op == "EQ" else (number(name, values),)
    return Compare(op, wants, unit_of(name, "quantity"))


def cbv_uri(value: str, code: str) -> str:
    """A CBV term (bare, ``cbv:`` CURIE, URN or web URI) as its web URI.

    >>> cbv_uri("po", "BTT-") == cbv_uri("urn:epcglobal:cbv:btt:po", "BTT-")
    True
    """
    value = value.strip()
    if ":" not in value:
        return _CBV + code + value
    return vocab(value, "bizStep", DEFAULT_PREFIXES)  # URN or CURIE: the kind plays no part


def _disposition(value: str) -> str:
    return cbv_uri(value, "Disp-")


@dataclass(frozen=True)
class Persistent(Filter):
    """``EQ_persistentDisposition_set`` / ``_unset``: one of the terms in that list."""

    part: str
    terms: frozenset[str]

    def hit(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` passes this filter."""
        got = event.get("persistentDisposition")
        items = got.get(self.part) if isinstance(got, Mapping) else None
        return any(isinstance(v, str) and _disposition(v) in self.terms
                   for v in (items if isinstance(items, list) else ()))


def persistent_filter(name: str, values: list[str]) -> Persistent:
    """The filter of ``EQ_persistentDisposition_set`` or ``_unset``."""
    return Persistent(name.rsplit("_", 1)[1], frozenset(_disposition(v) for v in values))


@dataclass(frozen=True)
class Declared(Filter):
    """A test on the event's ``errorDeclaration`` (absent: the event does not pass)."""

    exists: bool = False
    ge_time: datetime | None = None
    lt_time: datetime | None = None
    reasons: frozenset[str] = frozenset()
    corrective: frozenset[str] = frozenset()

    def hit(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` passes this filter."""
        got = event.get("errorDeclaration")
        if not isinstance(got, Mapping):
            return not self.exists
        when = parse_time(str(got.get("declarationTime", "")))
        if (self.ge_time or self.lt_time) and when is None:
            return False
        if (self.ge_time and when and when < self.ge_time) or (
                self.lt_time and when and when >= self.lt_time):
            return False
        if self.reasons and (not isinstance(got.get("reason"), str) or cbv_uri(
                got["reason"], "ER-") not in self.reasons):
            return False
        ids = got.get("correctiveEventIDs")
        return not self.corrective or any(
            i in self.corrective for i in (ids if isinstance(ids, list) else ()))


def error_filter(name: str, values: list[str]) -> Declared | None:
    """The filter of one of the error-declaration parameters (None: no constraint)."""
    if name == "EXISTS_errorDeclaration":
        return Declared(exists=True) if flag(name, values) else None
    if name == "GE_errorDeclarationTime":
        return Declared(exists=True, ge_time=instant(name, values))
    if name == "LT_errorDeclarationTime":
        return Declared(exists=True, lt_time=instant(name, values))
    if name == "EQ_errorReason":
        return Declared(exists=True, reasons=frozenset(cbv_uri(v, "ER-") for v in values))
    return Declared(exists=True, corrective=frozenset(values))


@dataclass(frozen=True)
class Typed(Filter):
    """``EQ_bizTransaction_{type}`` and the like: an entry of the type with a value."""

    field: str
    key: str
    code: str
    type: str
    ids: frozenset[str]

    def hit(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` passes this filter."""
        for item in event.get(self.field) or ():
            if not isinstance(item, Mapping) or not isinstance(item.get("type"), str) or \
                    cbv_uri(item["type"], self.code) != self.type:
                continue
            value = str(item.get(self.key))
            if value in self.ids or canonical_key(value) in self.ids:
                return True
        return False


def typed_filter(name: str, values: list[str]) -> Typed:
    """The filter of ``EQ_bizTransaction_``, ``EQ_source_`` or ``EQ_destination_{type}``."""
    stem, _, kind = name[3:].partition("_")
    field, key, code = TYPED_LISTS[stem]
    if not kind:
        raise QueryError(name, f"{name} names no type; write it as EQ_{stem}_{{type}}, "
                               f"e.g. EQ_{stem}_{'po' if stem == 'bizTransaction' else 'location'}")
    ids = frozenset(values) | frozenset(canonical_key(v) for v in values)
    return Typed(field, key, code, cbv_uri(kind, code), ids)


@dataclass(frozen=True)
class Located(Filter):
    """``WD_readPoint`` / ``WD_bizLocation``: the location or one of its descendants.

    The ledger's sites are flat (no master data names a parent), so the descendants of a
    location are none and ``WD_`` answers as ``EQ_``; ``ids`` holds the locations and
    whatever descendants a hierarchy would add.
    """

    field: str
    ids: frozenset[str]

    def hit(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` passes this filter."""
        got = event.get(self.field)
        if isinstance(got, Mapping):
            got = got.get("id")
        return isinstance(got, str) and canonical_key(got) in self.ids


def location_filter(name: str, values: list[str]) -> Located:
    """The filter of ``WD_readPoint`` or ``WD_bizLocation``."""
    return Located(name[3:], frozenset(canonical_key(v) for v in values))
