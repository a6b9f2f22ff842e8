"""Reading events: ``GET /events`` with the query parameters, one event, the top level.

Results are ``EPCISQueryDocument``s of ``perPage`` events (30 unless asked, at most
:data:`MAX_PER_PAGE`) in capture order, or in the ``orderBy`` / ``orderDirection``
asked (``eventCountLimit`` cuts the whole answer, across pages; ``maxEventCount``
refuses a larger answer with 413 ``QueryTooLargeException``); when more follow, a
``Link: <...>; rel="next"`` header carries the URL of the next page with its ``nextPageToken``
(:mod:`oreline.api.epcis.paging`). ``/eventTypes/{t}/events``, ``/bizSteps/{s}/events``,
``/epcs/{epc}/events``, ``/bizLocations/{l}/events``, ``/readPoints/{r}/events`` and
``/dispositions/{d}/events`` are the same query with one parameter set by the path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from oreline.api.epcis.paging import make_token, page_key, read_position
from oreline.api.epcis.problems import EpcisProblem
from oreline.api.routing import JSONResponse
from oreline.api.security import require
from oreline.errors import QueryError
from oreline.ledger.epcis.document import EPCIS_CONTEXT
from oreline.ledger.profile.query import EVENT_TYPES, EventQuery, parse_query
from oreline.ledger.store.eventorder import Position
from oreline.ledger.store.eventquery import count_events, distinct_values, event_by_id, find_page

__all__ = ["MAX_PER_PAGE", "answer_query", "biz_steps", "event_location", "event_types",
           "events", "one_event", "parse_params", "query_document", "request_params", "router",
           "top_level"]

MAX_PER_PAGE = 1000
_PAGING = ("perPage", "nextPageToken")
#: Top-level resources whose value selects events through one query parameter
_BY_PATH = {"eventTypes": "eventType", "bizSteps": "EQ_bizStep", "epcs": "MATCH_anyEPC",
            "bizLocations": "EQ_bizLocation", "readPoints": "EQ_readPoint",
            "dispositions": "EQ_disposition"}

router = APIRouter(dependencies=[Depends(require("read"))])


def query_document(events: list[dict[str, Any]], query_name: str = "SimpleEventQuery",
                   subscription: str | None = None) -> dict[str, Any]:
    """Events wrapped in an EPCIS 2.0 ``EPCISQueryDocument``."""
    results: dict[str, Any] = {"queryName": query_name}
    if subscription is not None:
        results["subscriptionID"] = subscription
    results["resultsBody"] = {"eventList": events}
    return {"@context": [EPCIS_CONTEXT], "type": "EPCISQueryDocument", "schemaVersion": "2.0",
            "creationDate": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "epcisBody": {"queryResults": results}}


def _problem(exc: QueryError) -> EpcisProblem:
    return EpcisProblem(400, str(exc), name="QueryParameterException",
                        extra={"parameter": exc.parameter})


def parse_params(params: Mapping[str, list[str]]) -> EventQuery:
    """The query of request parameters; 400 ``QueryParameterException`` naming a bad one."""
    try:
        return parse_query(params)
    except QueryError as exc:
        raise _problem(exc) from exc


def _per_page(request: Request) -> int:
    text = request.query_params.get("perPage", "30")
    if not text.isdigit() or not 1 <= int(text) <= MAX_PER_PAGE:
        raise EpcisProblem(400, f"perPage={text!r} is not a whole number from 1 to "
                                f"{MAX_PER_PAGE}", name="QueryParameterException",
                           extra={"parameter": "perPage"})
    return int(text)


def answer_query(request: Request, params: Mapping[str, list[str]],
                 query_name: str = "SimpleEventQuery") -> Response:
    """One page of the events answering ``params``, with the ``Link`` to the next."""
    query = parse_params(params)
    per_page = _per_page(request)
    key = page_key(request.app.state.engine)
    after = Position()
    token = request.query_params.get("nextPageToken")
    if token is not None:
        got = read_position(key, token, query.fingerprint)
        if got is None:
            raise EpcisProblem(400, "nextPageToken is not one this server made for this "
                                    "query; follow the Link header of the previous page, "
                                    "with the same query parameters",
                               name="QueryParameterException",
                               extra={"parameter": "nextPageToken"})
        after = got
    with request.app.state.ledger.store.read() as conn:
        if query.max_events is not None and \
                count_events(conn, query, query.max_events + 1) > query.max_events:
            raise EpcisProblem(413, f"the query answers more than maxEventCount="
                                    f"{query.max_events} events; narrow it (a time window, "
                                    "an event type) or raise maxEventCount",
                               name="QueryTooLargeException",
                               extra={"parameter": "maxEventCount"})
        page = find_page(conn, query, after=after, limit=per_page)
    headers: dict[str, str] = {}
    if page.more:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "nextPageToken"]
        kept.append(("nextPageToken", make_token(key, page.next, query.fingerprint)))
        headers["Link"] = f'<{request.url.path}?{urlencode(kept)}>; rel="next"'
    return JSONResponse(query_document([f.body for f in page.events], query_name),
                        headers=headers)


def request_params(request: Request) -> dict[str, list[str]]:
    """The query parameters of a request, by name (paging ones left out)."""
    out: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        if name not in _PAGING:
            out.setdefault(name, []).append(value)
    return out


@router.get("", summary="The top-level resources of this EPCIS repository")
def top_level() -> JSONResponse:
    """The resources ``GET`` answers at the top level (``OPTIONS`` says what else)."""
    return JSONResponse(["events", "eventTypes", "bizSteps", "capture", "queries"])


@router.get("/events", summary="Events answering the EPCIS query parameters")
def events(request: Request) -> Response:
    """``EQ_``, ``GE_``, ``LT_`` and ``MATCH_`` filters, ``perPage``, ``nextPageToken``."""
    return answer_query(request, request_params(request))


@router.get("/events/{event_id:path}", summary="One event by its eventID (URL-encoded)")
def one_event(request: Request, event_id: str) -> Response:
    """The event as an ``EPCISQueryDocument``; 404 when the ledger has no such event."""
    with request.app.state.ledger.store.read() as conn:
        body = event_by_id(conn, event_id)
    if body is None:
        raise EpcisProblem(404, f"no event with eventID {event_id!r}; URL-encode the "
                                "eventID (ni:///sha-256;... as ni%3A%2F%2F%2Fsha-256%3B...)")
    return JSONResponse(query_document([body]))


@router.get("/eventTypes", summary="The event types of the events held")
def event_types(request: Request) -> JSONResponse:
    """Every event type the standard defines (the ledger answers for each)."""
    return JSONResponse(list(EVENT_TYPES))


@router.get("/bizSteps", summary="The business steps of the events held")
def biz_steps(request: Request) -> JSONResponse:
    """Every business step the ledger holds events of, as full URIs."""
    with request.app.state.ledger.store.read() as conn:
        return JSONResponse(distinct_values(conn, "biz_step"))


def _resource(kind: str) -> Any:
    def sub_resources(request: Request, value: str) -> JSONResponse:
        if kind == "eventTypes" and value not in EVENT_TYPES:
            raise EpcisProblem(404, f"{value!r} is not an event type; use one of "
                                    + ", ".join(EVENT_TYPES))
        return JSONResponse(["events"])

    def resource_events(request: Request, value: str) -> Response:
        params = request_params(request)
        if _BY_PATH[kind] in params:
            raise EpcisProblem(400, f"{_BY_PATH[kind]} is set by the path already",
                               name="QueryParameterException",
                               extra={"parameter": _BY_PATH[kind]})
        return answer_query(request, {**params, _BY_PATH[kind]: [value]})

    return sub_resources, resource_events


for _kind in _BY_PATH:
    _subs, _events = _resource(_kind)
    router.add_api_route(f"/{_kind}/{{value:path}}/events", _events, methods=["GET"],
                         summary=f"Events of one of {_kind}")
    router.add_api_route(f"/{_kind}/{{value:path}}", _subs, methods=["GET"],
                         summary=f"The sub-resources of one of {_kind}")


def event_location(event_id: str) -> str:
    """The URL of an event's resource (its eventID URL-encoded)."""
    return "/epcis/events/" + quote(event_id, safe="")
