"""The SimpleEventQuery filters on sensor data (EPCIS 2.0 ``sensorElementList``).

An event passes a sensor filter when one of its sensor elements has, in its
``sensorMetadata`` or in one of its ``sensorReport`` entries, the attribute the
parameter names with a value that answers it (each parameter is tested on its own):

* ``EQ_type`` (a GS1 measurement type: ``Temperature``, ``gs1:Temperature`` and its
  web URI are one), ``EQ_deviceID``, ``EQ_dataProcessingMethod``, ``EQ_microorganism``,
  ``EQ_chemicalSubstance``, ``EQ_bizRules``, ``EQ_stringValue``, ``EQ_hexBinaryValue``
  (case does not matter), ``EQ_uriValue``: one of the values;
* ``EQ_booleanValue``: ``true`` or ``false``;
* ``GE_`` / ``LT_time``, ``_startTime``, ``_endTime``: times, compared as instants;
* ``EQ_`` / ``GT_`` / ``GE_`` / ``LT_`` / ``LE_`` of ``value``, ``minValue``,
  ``maxValue``, ``meanValue``, ``sDev``, ``percValue``, with an optional ``_{uom}``: the
  report's number in that unit (converted from the report's ``uom`` between units of
  mass or of temperature; a report in a unit that does not convert does not match);
  ``_percRank`` compares without a unit;
* ``EXISTS_sensorElementList``: the event has sensor data.

Examples
--------
>>> ev = {"sensorElementList": [{"sensorMetadata": {"deviceID": "urn:d:1"},
...        "sensorReport": [{"type": "gs1:Temperature", "value": 26, "uom": "CEL"}]}]}
>>> sensor_filter("GT_value_FAH", ["78"]).hit(ev), sensor_filter("EQ_type", ["Temperature"]).hit(ev)
(True, True)
>>> sensor_filter("EQ_deviceID", ["urn:d:2"]).hit(ev)
False

"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oreline.errors import QueryError
from oreline.ledger.epcis.values import DEFAULT_PREFIXES, GS1_VOC, expand_curie
from oreline.ledger.profile.queryfilters import Filter, convert, unit_of
from oreline.ledger.profile.queryvalues import compare, flag, instant, number

__all__ = ["SENSOR_LISTS", "SENSOR_TIMES", "SENSOR_VALUE", "SensorFilter", "is_sensor",
           "sensor_filter"]

#: EQ_ parameters of sensor attributes, and how their values compare.
SENSOR_LISTS: dict[str, str] = {
    "EQ_type": "type", "EQ_deviceID": "uri", "EQ_dataProcessingMethod": "uri",
    "EQ_microorganism": "uri", "EQ_chemicalSubstance": "uri", "EQ_bizRules": "uri",
    "EQ_stringValue": "text", "EQ_hexBinaryValue": "hex", "EQ_uriValue": "uri",
    "EQ_booleanValue": "bool"}
#: Time parameters of sensor data.
SENSOR_TIMES = frozenset(f"{op}_{t}" for op in ("GE", "LT")
                         for t in ("time", "startTime", "endTime"))
#: Number parameters of sensor reports: ``{op}_{field}`` with an optional ``_{uom}``.
SENSOR_VALUE = re.compile(r"^(EQ|GT|GE|LT|LE)_(value|minValue|maxValue|meanValue|sDev|"
                          r"percValue|percRank)(_.*)?$")


def _norm(kind: str, value: str) -> str:
    if kind == "hex":
        return value.lower()
    if kind == "type":
        full = expand_curie(value, DEFAULT_PREFIXES)
        return full[len(GS1_VOC):] if full.startswith(GS1_VOC) else full
    return expand_curie(value, DEFAULT_PREFIXES) if kind == "uri" else value


def _parts(event: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for element in event.get("sensorElementList") or ():
        if not isinstance(element, Mapping):
            continue
        if isinstance(element.get("sensorMetadata"), Mapping):
            yield element["sensorMetadata"]
        for report in element.get("sensorReport") or ():
            if isinstance(report, Mapping):
                yield report


@dataclass(frozen=True)
class SensorFilter(Filter):
    """``op`` on the sensor attribute ``key`` against ``wants`` (EQ: any of them)."""

    key: str
    op: str
    wants: tuple[Any, ...]
    kind: str = "number"
    uom: str | None = None

    def _answers(self, got: Any, part: Mapping[str, Any]) -> bool:
        if self.kind == "bool":
            return isinstance(got, bool) and got in self.wants
        if self.kind in ("text", "uri", "type", "hex"):
            return isinstance(got, str) and _norm(self.kind, got) in self.wants
        if self.kind == "number" and (isinstance(got, bool) or not isinstance(got, int | float)):
            return False
        if self.uom is not None:
            got = convert(got, part.get("uom"), self.uom)
        return got is not None and any(compare(self.op, got, w) for w in self.wants)

    def hit(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` passes this filter."""
        if self.key == "sensorElementList":
            return bool(event.get("sensorElementList"))
        return any(self.key in part and self._answers(part[self.key], part)
                   for part in _parts(event))


def is_sensor(name: str) -> bool:
    """Whether ``name`` is a sensor parameter of the standard."""
    return name in SENSOR_LISTS or name in SENSOR_TIMES or bool(SENSOR_VALUE.match(name)) \
        or name == "EXISTS_sensorElementList"


def sensor_filter(name: str, values: list[str]) -> SensorFilter:
    """The filter of one sensor parameter (see the module docstring)."""
    if name == "EXISTS_sensorElementList":
        flag(name, values)
        return SensorFilter("sensorElementList", "EQ", ())
    if name in SENSOR_LISTS:
        kind = SENSOR_LISTS[name]
        key = name[3:]
        if kind == "bool":
            return SensorFilter(key, "EQ", (flag(name, values),), kind)
        return SensorFilter(key, "EQ", tuple(_norm(kind, v) for v in values), kind)
    op, key = name.split("_", 2)[:2]
    if name in SENSOR_TIMES:
        when: datetime = instant(name, values)
        return SensorFilter(key, op, (when,), "time")
    if key == "percRank" and name != f"{op}_percRank":
        raise QueryError(name, f"{name}: a percentile rank has no unit; write {op}_percRank")
    uom = None if key == "percRank" else unit_of(name, key)
    wants = tuple(number(name, [v]) for v in values) if op == "EQ" else (number(name, values),)
    return SensorFilter(key, op, wants, "number", uom)
