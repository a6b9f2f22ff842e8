"""EPCIS 2.0 query parameters (``eventType``, ``GE_eventTime``, ``MATCH_epc``...) as data.

:func:`parse_query` turns the parameters of a ``SimpleEventQuery`` (from a URL query
string or a named query's JSON) into an :class:`EventQuery`; :meth:`EventQuery.matches`
tests one stored event against the parts the ledger cannot look up by an indexed
column. Values are compared as the ledger compares them: identifiers through their one
canonical key (a lot written as an EPC URN or as a GS1 Digital Link is the same lot),
business steps and dispositions as full CBV URIs, times as instants.

Parameters with fixed names are listed in :data:`SUPPORTED`; the families named by a
pattern (``EQ_bizTransaction_{type}``, ``GE_quantity_{uom}``, ``EQ_{field}``,
``EQATTR_{field}_{attr}``, ``GT_value_{uom}``...) are recognised by :func:`is_parameter`.
Their filters live in :mod:`~oreline.ledger.profile.queryfilters` (standard fields),
:mod:`~oreline.ledger.profile.querysensors` (sensor data),
:mod:`~oreline.ledger.profile.queryfields` (extension fields, master data) and
:mod:`~oreline.ledger.profile.queryorder` (``orderBy`` and the limits). Every parameter
of the EPCIS 2.0 SimpleEventQuery is answered (:data:`NOT_SUPPORTED` is empty); anything
else is refused with a :class:`~oreline.errors.QueryError` naming the parameter.

Examples
--------
>>> q = parse_query({"eventType": ["ObjectEvent"], "EQ_bizStep": ["receiving"]})
>>> 'https://ref.gs1.org/cbv/BizStep-receiving' in q.biz_steps
True
>>> q.matches({"type": "ObjectEvent", "disposition": "in_transit"})
True
>>> parse_query({"EQ_disposition": ["in_progress"]}).matches({"disposition": "cbv:Disp-active"})
False
>>> parse_query({"EQ_colour": ["red"]})
Traceback (most recent call last):
...
oreline.errors.QueryError: EQ_colour is not an EPCIS query parameter this repository knows; ...

"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from oreline.errors import QueryError
from oreline.ledger.epcis.identity import canonical_key
from oreline.ledger.epcis.values import DEFAULT_PREFIXES, vocab
from oreline.ledger.profile.model import step_uri
from oreline.ledger.profile.queryfields import (
    FieldFilter,
    MasterFilter,
    field_filter,
    is_field,
    master_filter,
)
from oreline.ledger.profile.queryfilters import (
    Declared,
    Filter,
    error_filter,
    location_filter,
    persistent_filter,
    quantity_filter,
    typed_filter,
)
from oreline.ledger.profile.queryorder import ORDER_PARAMETERS, Order, limits_of, order_of
from oreline.ledger.profile.querysensors import SENSOR_LISTS, SENSOR_TIMES, is_sensor, sensor_filter
from oreline.ledger.profile.queryvalues import instant

__all__ = ["EVENT_TYPES", "NOT_SUPPORTED", "SUPPORTED", "EventQuery", "epcs_of",
           "is_parameter", "parse_query", "split_values", "utc_text"]

EVENT_TYPES = ("ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent",
               "AssociationEvent")

#: Lists each MATCH_ parameter reads: EPCs (``epc``) or EPC classes (``class``).
_MATCH_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "MATCH_epc": ("epc", ("epcList", "childEPCs")),
    "MATCH_parentID": ("epc", ("parentID",)),
    "MATCH_inputEPC": ("epc", ("inputEPCList",)),
    "MATCH_outputEPC": ("epc", ("outputEPCList",)),
    "MATCH_anyEPC": ("epc", ("epcList", "childEPCs", "inputEPCList", "outputEPCList",
                             "parentID")),
    "MATCH_epcClass": ("class", ("quantityList", "childQuantityList")),
    "MATCH_inputEPCClass": ("class", ("inputQuantityList",)),
    "MATCH_outputEPCClass": ("class", ("outputQuantityList",)),
    "MATCH_anyEPCClass": ("class", ("quantityList", "childQuantityList",
                                    "inputQuantityList", "outputQuantityList")),
}
_TIMES = ("GE_eventTime", "LT_eventTime", "GE_recordTime", "LT_recordTime")
_LISTS = ("eventType", "EQ_action", "EQ_bizStep", "EQ_disposition", "EQ_readPoint",
          "EQ_bizLocation", "EQ_transformationID", "EQ_eventID")
_PERSISTENT = ("EQ_persistentDisposition_set", "EQ_persistentDisposition_unset")
_ERRORS = ("EXISTS_errorDeclaration", "GE_errorDeclarationTime", "LT_errorDeclarationTime",
           "EQ_errorReason", "EQ_correctiveEventID")
_QUANTITY = re.compile(r"^(EQ|GT|GE|LT|LE)_quantity(_.*)?$")
_TYPED = ("EQ_bizTransaction_", "EQ_source_", "EQ_destination_")
#: Every query parameter with a fixed name the ledger answers (paging ones are the REST
#: binding's); the families named by a pattern are recognised by :func:`is_parameter`.
SUPPORTED = frozenset((
    *_TIMES, *_LISTS, *_MATCH_FIELDS, *_PERSISTENT, *_ERRORS, *ORDER_PARAMETERS,
    "WD_readPoint", "WD_bizLocation", *(f"{op}_quantity" for op in ("EQ", "GT", "GE", "LT",
                                                                     "LE")),
    *SENSOR_LISTS, *SENSOR_TIMES, "EXISTS_sensorElementList"))
#: Parameters of the standard's SimpleEventQuery the ledger does not answer: none.
NOT_SUPPORTED: frozenset[str] = frozenset()


def split_values(values: Iterable[str] | str) -> list[str]:
    """Values of a parameter given once pipe-delimited (``a|b``), repeated, or both."""
    items = [values] if isinstance(values, str) else list(values)
    return [v.strip() for item in items for v in str(item).split("|") if v.strip()]


def _step_columns(value: str) -> set[str]:
    """The ledger's ``biz_step`` column values of the spellings of a business step.

    The column holds :func:`step_uri` of the bizStep as written; a CBV step may be
    written bare, as a ``cbv:`` CURIE, as a URN or as its web URI.
    """
    full = vocab(value, "bizStep", DEFAULT_PREFIXES)
    spellings = {value, full}
    head = "https://ref.gs1.org/cbv/BizStep-"
    if full.startswith(head):
        name = full[len(head):]
        spellings |= {name, f"cbv:BizStep-{name}", f"urn:epcglobal:cbv:bizstep:{name}"}
    return {step_uri(s) for s in spellings}


def _disposition(value: str) -> str:
    return vocab(value, "disposition", DEFAULT_PREFIXES)


def _pattern(value: str) -> str:
    """An ``idpat`` pattern as the URN it matches (``*`` as a wildcard)."""
    return value.replace("urn:epc:idpat:", "urn:epc:id:", 1)


@dataclass(frozen=True)
class _Match:
    kind: str
    fields: tuple[str, ...]
    keys: frozenset[str]
    patterns: tuple[str, ...]

    def hit(self, event: Mapping[str, Any]) -> bool:
        for value in epcs_of(event, self.fields, self.kind):
            if canonical_key(value) in self.keys or any(
                    fnmatch.fnmatchcase(value, p) for p in self.patterns):
                return True
        return False


def epcs_of(event: Mapping[str, Any], fields: Iterable[str], kind: str) -> Iterator[str]:
    """The EPCs (``kind`` epc) or EPC classes (``class``) an event names in ``fields``."""
    for name in fields:
        got = event.get(name)
        if got is None:
            continue
        if kind == "epc":
            yield from ([got] if isinstance(got, str) else
                        [str(v) for v in got if isinstance(v, str)])
        else:
            yield from (str(q["epcClass"]) for q in got
                        if isinstance(q, Mapping) and "epcClass" in q)


def _location(event: Mapping[str, Any], name: str) -> str | None:
    got = event.get(name)
    if isinstance(got, Mapping):
        got = got.get("id")
    return canonical_key(str(got)) if isinstance(got, str) else None


@dataclass(frozen=True)
class EventQuery:
    """A parsed ``SimpleEventQuery``: each field is None (or empty) when not asked.

    The first group is looked up by indexed ledger columns (event type, business step,
    eventID, record time); the rest is tested on each event by :meth:`matches`.
    """

    event_types: tuple[str, ...] = ()
    biz_steps: tuple[str, ...] = ()
    event_ids: tuple[str, ...] = ()
    ge_record_time: datetime | None = None
    lt_record_time: datetime | None = None
    ge_event_time: datetime | None = None
    lt_event_time: datetime | None = None
    actions: frozenset[str] = frozenset()
    dispositions: frozenset[str] = frozenset()
    read_points: frozenset[str] = frozenset()
    biz_locations: frozenset[str] = frozenset()
    transformation_ids: frozenset[str] = frozenset()
    epc_matches: tuple[_Match, ...] = ()
    #: the filters of the other parameters (queryfilters, querysensors, queryfields)
    filters: tuple[Filter, ...] = ()
    #: orderBy, orderDirection and eventCountLimit (None: capture order)
    order: Order | None = None
    #: maxEventCount (None: no limit)
    max_events: int | None = None
    #: the parameters as given, in a stable order (for named queries and page tokens)
    given: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    @property
    def fingerprint(self) -> str:
        """A short hash of the parameters, to tie a page token to its query."""
        text = json.dumps(self.given, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def needs_body(self) -> bool:
        """Whether some filter reads the event body (beyond the indexed columns)."""
        return bool(self.ge_event_time or self.lt_event_time or self.actions
                    or self.dispositions or self.read_points or self.biz_locations
                    or self.transformation_ids or self.epc_matches or self.filters
                    or (self.order is not None and not self.order.column))

    @property
    def reads_declarations(self) -> bool:
        """Whether some filter reads the ``errorDeclaration`` the ledger keeps apart."""
        return any(isinstance(f, Declared) or (isinstance(f, FieldFilter) and f.scope ==
                                               "ERROR_DECLARATION_") for f in self.filters)

    @property
    def reads_master_data(self) -> bool:
        """Whether some filter needs the master data of locations (:meth:`bind`)."""
        return any(isinstance(f, MasterFilter) for f in self.filters)

    def bind(self, master: Mapping[str, Mapping[str, str]]) -> EventQuery:
        """The query with its master-data filters resolved against ``master``."""
        return replace(self, filters=tuple(f.bind(master) if isinstance(f, MasterFilter)
                                           else f for f in self.filters))

    def in_capture_order(self) -> EventQuery:
        """The query without orderBy and the limits (a subscription's new events)."""
        return replace(self, order=None, max_events=None)

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` (as captured) passes the filters that read its body.

        Event types, business steps, eventIDs and record times are the ledger's indexed
        columns: the store selects by them (``eventquery.find_events``).
        """
        if self.ge_event_time or self.lt_event_time:
            when = _event_time(event)
            if when is None or (self.ge_event_time and when < self.ge_event_time) or (
                    self.lt_event_time and when >= self.lt_event_time):
                return False
        return self._matches_fields(event)

    def _matches_fields(self, event: Mapping[str, Any]) -> bool:
        if self.actions and event.get("action") not in self.actions:
            return False
        if self.dispositions and (not isinstance(event.get("disposition"), str) or _disposition(
                event["disposition"]) not in self.dispositions):
            return False
        if self.read_points and _location(event, "readPoint") not in self.read_points:
            return False
        if self.biz_locations and _location(event, "bizLocation") not in self.biz_locations:
            return False
        if self.transformation_ids and event.get("transformationID") not in \
                self.transformation_ids:
            return False
        return all(m.hit(event) for m in self.epc_matches) and all(
            f.hit(event) for f in self.filters)


def _event_time(event: Mapping[str, Any]) -> datetime | None:
    text = event.get("eventTime")
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def is_parameter(name: str) -> bool:
    """Whether ``name`` is a SimpleEventQuery parameter the ledger answers.

    >>> is_parameter("GE_quantity_KGM"), is_parameter("EQ_ILMD_ex:grade"), is_parameter("EQ_colour")
    (True, True, False)
    """
    return name in SUPPORTED or bool(_QUANTITY.match(name)) or name.startswith(_TYPED) or \
        is_sensor(name) or is_field(name)


def _check_names(params: Mapping[str, list[str]]) -> None:
    for name, values in params.items():
        if not is_parameter(name):
            raise QueryError(name, f"{name} is not an EPCIS query parameter this repository "
                                   "knows; supported: " + ", ".join(sorted(SUPPORTED)) +
                                   ", and the families EQ_bizTransaction_{type}, "
                                   "EQ_source_{type}, EQ_destination_{type}, "
                                   "{EQ,GT,GE,LT,LE}_quantity_{uom}, {EQ,GT,GE,LT,LE}_value_"
                                   "{uom} (and minValue, maxValue, meanValue, sDev, percValue, "
                                   "percRank), {EQ,GT,GE,LT,LE,EXISTS}_[INNER_][ILMD_]{field}, "
                                   "HASATTR_{field}, EQATTR_{field}_{attr}")
        if not values and not name.startswith("EXISTS_"):
            raise QueryError(name, f"{name} has no value; give at least one")


def _filter(name: str, values: list[str]) -> Filter | None:
    """The filter of one parameter outside the first group (None: not a filter)."""
    if name in _PERSISTENT:
        return persistent_filter(name, values)
    if _QUANTITY.match(name):
        return quantity_filter(name, values)
    if name in _ERRORS:
        return error_filter(name, values)
    if name.startswith(_TYPED):
        return typed_filter(name, values)
    if name in ("WD_readPoint", "WD_bizLocation"):
        return location_filter(name, values)
    if is_sensor(name):
        return sensor_filter(name, values)
    if name.startswith(("HASATTR_", "EQATTR_")):
        return master_filter(name, values)
    if is_field(name):
        return field_filter(name, values)
    return None


def _filters(given: Mapping[str, list[str]]) -> tuple[Filter, ...]:
    found = (_filter(name, values) for name, values in sorted(given.items()))
    return tuple(f for f in found if f is not None)


def parse_query(params: Mapping[str, Iterable[str] | str]) -> EventQuery:
    """The :class:`EventQuery` of SimpleEventQuery parameters (name to values).

    Raises
    ------
    QueryError
        For a parameter that is unknown or not supported, or a malformed value.
    """
    given = {name: split_values(values) for name, values in params.items()}
    _check_names(given)
    bad = sorted(set(given.get("eventType", [])) - set(EVENT_TYPES))
    if bad:
        raise QueryError("eventType", f"eventType {bad[0]!r} is not an EPCIS event type; "
                                      "use " + ", ".join(EVENT_TYPES))
    times = {name: instant(name, given[name]) for name in _TIMES if name in given}
    matches = tuple(
        _Match(_MATCH_FIELDS[n][0], _MATCH_FIELDS[n][1],
               frozenset(canonical_key(v) for v in given[n] if "*" not in v),
               tuple(_pattern(v) for v in given[n] if "*" in v))
        for n in _MATCH_FIELDS if n in given)
    return EventQuery(
        event_types=tuple(given.get("eventType", ())),
        biz_steps=tuple(sorted({c for v in given.get("EQ_bizStep", ())
                                for c in _step_columns(v)})),
        event_ids=tuple(given.get("EQ_eventID", ())),
        ge_record_time=times.get("GE_recordTime"), lt_record_time=times.get("LT_recordTime"),
        ge_event_time=times.get("GE_eventTime"), lt_event_time=times.get("LT_eventTime"),
        actions=frozenset(given.get("EQ_action", ())),
        dispositions=frozenset(_disposition(v) for v in given.get("EQ_disposition", ())),
        read_points=frozenset(canonical_key(v) for v in given.get("EQ_readPoint", ())),
        biz_locations=frozenset(canonical_key(v) for v in given.get("EQ_bizLocation", ())),
        transformation_ids=frozenset(given.get("EQ_transformationID", ())),
        epc_matches=matches, filters=_filters(given), order=order_of(given),
        max_events=limits_of(given),
        given=tuple(sorted((k, tuple(v)) for k, v in given.items())))


def utc_text(when: datetime) -> str:
    """``when`` as the ledger writes record times (UTC, milliseconds)."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds")
