"""The event hash IDs of a whole file: EPCIS documents, query documents and single events.

:func:`document_events` finds the events and the CURIE prefixes of any EPCIS 2.0 JSON-LD
input (``EPCISDocument``, ``EPCISQueryDocument``, a document whose body holds one
``event``, a single event); :func:`hash_file` gives each event's hash ID
and pre-hash string, in document order, as ``oreline trace hash-id`` prints them.

Examples
--------
>>> doc = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
...        "type": "EPCISQueryDocument", "epcisBody": {"queryResults": {"resultsBody":
...        {"eventList": [{"type": "ObjectEvent", "action": "OBSERVE",
...                        "eventTime": "2024-01-01T00:00:00Z",
...                        "eventTimeZoneOffset": "+00:00"}]}}}}
>>> [h.event_type for h in hash_file(doc)]
['ObjectEvent']

"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oreline.errors import CaptureError, Issue, LedgerError
from oreline.ledger.epcis.document import EVENT_TYPES, read_document
from oreline.ledger.epcis.hashid import event_hash_id, prehash_string

__all__ = ["EventHash", "document_events", "hash_file"]


@dataclass(frozen=True)
class EventHash:
    """One event's hash ID and pre-hash string, with its place in the input."""

    index: int
    event_type: str
    event_id: str | None
    hash_id: str
    prehash: str


def _prefixes(context: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, Mapping):
            out.update({str(k): v for k, v in item.items() if isinstance(v, str)})
    return out


def _not_epcis(where: str, found: str) -> CaptureError:
    return CaptureError([Issue(
        where, "epcisBody", f"not an EPCIS 2.0 document or event: {found}",
        "give an EPCISDocument (epcisBody.eventList), an EPCISQueryDocument "
        "(epcisBody.queryResults.resultsBody.eventList) or events with a 'type' such as "
        "ObjectEvent", code="document.not_epcis")])


def document_events(doc: Mapping[str, Any] | list[Any], where: str = "document",
                    ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The events of an EPCIS input, in order, and the prefixes its ``@context`` declares.

    Raises
    ------
    CaptureError
        When the input holds no EPCIS events (code ``document.not_epcis``).

    """
    if isinstance(doc, list):
        events: Any = doc
        prefixes: dict[str, str] = {}
    elif doc.get("type") in EVENT_TYPES or doc.get("isA") in EVENT_TYPES:
        events, prefixes = [doc], _prefixes(doc.get("@context"))
    else:
        body = doc.get("epcisBody")
        if not isinstance(body, Mapping):
            raise _not_epcis(where, f"type {doc.get('type')!r} and no epcisBody")
        if "queryResults" in body:
            results = body["queryResults"]
            events = (results.get("resultsBody") or {}).get("eventList") \
                if isinstance(results, Mapping) else None
        elif "event" in body:
            events = [body["event"]]
        else:
            events = body.get("eventList")
        prefixes = _prefixes(doc.get("@context"))
    if not isinstance(events, list):
        raise _not_epcis(where, "no event list in epcisBody")
    for i, ev in enumerate(events):
        kind = ev.get("type", ev.get("isA")) if isinstance(ev, Mapping) else None
        if kind not in EVENT_TYPES:
            raise _not_epcis(where, f"event {i + 1} has type {kind!r}, not one of "
                             + ", ".join(EVENT_TYPES))
    return [dict(ev) for ev in events], prefixes


def hash_file(source: str | Path | Mapping[str, Any],
              ignore: frozenset[str] = frozenset()) -> list[EventHash]:
    """Hash ID and pre-hash string of every event of a file, JSON text or mapping.

    ``ignore`` names top-level event fields to leave out (see
    :func:`~oreline.ledger.epcis.hashid.prehash_string`).

    Raises
    ------
    LedgerError
        When the file cannot be read, is not JSON, or holds no EPCIS events, or an event
        has a timestamp or identifier that cannot be written; the message names the file.

    """
    where = str(source) if isinstance(source, Path | str) and not str(source).lstrip() \
        .startswith(("{", "[")) else "document"
    try:
        doc = read_document(source)
        events, prefixes = document_events(doc, where)
        return _hash_events(events, prefixes, ignore, where)
    except CaptureError as exc:  # nothing is captured here: say so in the message
        raise LedgerError("cannot compute hash IDs: " + "; ".join(
            f"{i.where}: {i.field + ': ' if i.field else ''}{i.message} (fix: {i.fix})"
            for i in exc.issues)) from exc


def _hash_events(events: list[dict[str, Any]], prefixes: dict[str, str],
                 ignore: frozenset[str], where: str) -> list[EventHash]:
    out = []
    for i, ev in enumerate(events):
        try:
            pre = prehash_string(ev, prefixes, ignore=ignore)
            hid = event_hash_id(ev, prefixes, ignore=ignore)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise CaptureError([Issue(where, f"event {i + 1}", f"cannot hash: {exc}",
                                      "give ISO 8601 times with an offset and string IDs",
                                      code="hashid.value")]) from exc
        eid = ev.get("eventID")
        out.append(EventHash(i, str(ev.get("type", ev.get("isA"))),
                             str(eid) if eid is not None else None, hid, pre))
    return out
