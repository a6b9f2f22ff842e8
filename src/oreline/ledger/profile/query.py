"""EPCIS 2.0 query parameters (``eventType``, ``GE_eventTime``, ``MATCH_epc``...) as data.

:func:`parse_query` turns the parameters of a ``SimpleEventQuery`` (from a URL query
string or a named query's JSON) into an :class:`EventQuery`; :meth:`EventQuery.matches`
tests one stored event against the parts the ledger cannot look up by an indexed
column. Values are compared as the ledger compares them: identifiers through their one
canonical key (a lot written as an EPC URN or as a GS1 Digital Link is the same lot),
business steps and dispositions as full CBV URIs, times as instants.

Parameters the ledger supports are listed in :data:`SUPPORTED`; the standard's other
parameters (:data:`NOT_SUPPORTED`) and anything else are refused with a
:class:`~oreline.errors.QueryError` naming the parameter.

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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from oreline.errors import QueryError
from oreline.ledger.epcis.identity import canonical_key
from oreline.ledger.epcis.values import DEFAULT_PREFIXES, vocab
from oreline.ledger.profile.model import step_uri

__all__ = ["EVENT_TYPES", "NOT_SUPPORTED", "SUPPORTED", "EventQuery", "epcs_of",
           "parse_query", "split_values", "utc_text"]

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
#: Every query parameter the ledger answers (paging ones are the REST binding's).
SUPPORTED = frozenset((*_TIMES, *_LISTS, *_MATCH_FIELDS))
#: Parameters of the standard's SimpleEventQuery the ledger does not answer (yet).
NOT_SUPPORTED = frozenset({
    "EQ_persistentDisposition_set", "EQ_persistentDisposition_unset", "WD_readPoint",
    "WD_bizLocation", "EQ_quantity", "GT_quantity", "GE_quantity", "LT_quantity",
    "LE_quantity", "EXISTS_errorDeclaration", "GE_errorDeclarationTime",
    "LT_errorDeclarationTime", "EQ_errorReason", "EQ_correctiveEventID", "orderBy",
    "orderDirection", "eventCountLimit", "maxEventCount", "GE_startTime", "LT_startTime",
    "GE_endTime", "LT_endTime", "EQ_type", "EQ_deviceID", "EQ_dataProcessingMethod",
    "EQ_microorganism", "EQ_chemicalSubstance", "EQ_bizRules", "EQ_stringValue",
    "EQ_hexBinaryValue", "EQ_uriValue", "EQ_booleanValue"})


def split_values(values: Iterable[str] | str) -> list[str]:
    """Values of a parameter given once pipe-delimited (``a|b``), repeated, or both."""
    items = [values] if isinstance(values, str) else list(values)
    return [v.strip() for item in items for v in str(item).split("|") if v.strip()]


def _instant(name: str, values: list[str]) -> datetime:
    if len(values) != 1:
        raise QueryError(name, f"{name} takes one time, got {len(values)}; give one "
                               "such as 2026-03-01T00:00:00Z")
    text = values[0].replace("Z", "+00:00").replace(" ", "+")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise QueryError(name, f"{name}={values[0]!r} is not a time with its offset; give "
                               "one such as 2026-03-01T00:00:00Z or 2026-03-01T09:00:00+09:00")
    return when


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
                    or self.transformation_ids or self.epc_matches)

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
        return all(m.hit(event) for m in self.epc_matches)


def _event_time(event: Mapping[str, Any]) -> datetime | None:
    text = event.get("eventTime")
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _check_names(params: Mapping[str, list[str]]) -> None:
    for name, values in params.items():
        if name in NOT_SUPPORTED:
            raise QueryError(name, f"{name} is an EPCIS query parameter this repository "
                                   "does not support; supported: " + ", ".join(sorted(SUPPORTED)))
        if name not in SUPPORTED:
            raise QueryError(name, f"{name} is not an EPCIS query parameter this repository "
                                   "knows; supported: " + ", ".join(sorted(SUPPORTED)))
        if not values:
            raise QueryError(name, f"{name} has no value; give at least one")


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
    times = {name: _instant(name, given[name]) for name in _TIMES if name in given}
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
        epc_matches=matches,
        given=tuple(sorted((k, tuple(v)) for k, v in given.items())))


def utc_text(when: datetime) -> str:
    """``when`` as the ledger writes record times (UTC, milliseconds)."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds")
