"""Named queries and their webhook subscriptions, kept in the app database.

``POST /queries`` stores ``{"name": ..., "query": {"EQ_bizStep": [...], ...}}`` once its
parameters parse (400 ``QueryParameterException`` naming a bad one, 409 for a name in
use); ``GET /queries/{name}/events`` answers it like ``GET /events``.
``POST /queries/{name}/subscriptions`` with ``dest`` (http or https) and ``secret``
(the OpenAPI's ``signatureToken`` is taken as the secret too) subscribes a webhook
(:mod:`oreline.api.epcis.webhooks`). Reading follows the server's read setting;
making or deleting a query or subscription always needs a token (scope ``read``).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from oreline.api.appdb import epcis_queries, epcis_subscriptions
from oreline.api.epcis.events import answer_query, parse_params, request_params
from oreline.api.epcis.problems import EpcisProblem
from oreline.api.routing import JSONResponse
from oreline.api.security import require, token_of
from oreline.api.tokens import ScopeError, TokenError, check_token
from oreline.ledger.profile.query import split_values

__all__ = ["create_query", "delete_query", "get_query", "list_queries", "query_events", "router",
           "subscribe", "subscription", "subscriptions", "unsubscribe"]

router = APIRouter()
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}$")


async def _token(request: Request) -> None:
    """Changing queries needs a token with ``read`` even when reads are open."""
    try:
        check_token(request.app.state.engine, token_of(request), "read")
    except TokenError as exc:
        raise EpcisProblem(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from exc
    except ScopeError as exc:
        raise EpcisProblem(403, str(exc)) from exc


_READ = [Depends(require("read"))]
_WRITE = [Depends(_token)]


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")


async def _object(request: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise EpcisProblem(400, f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise EpcisProblem(400, "the body must be a JSON object")
    return body


def _stored(request: Request, name: str) -> dict[str, list[str]]:
    with request.app.state.engine.connect() as conn:
        text = conn.execute(select(epcis_queries.c.query).where(
            epcis_queries.c.name == name)).scalar()
    if text is None:
        raise EpcisProblem(404, f"no query named {name!r}; GET /epcis/queries lists them",
                           name="NoSuchNameException")
    return dict(json.loads(text))


@router.post("/queries", dependencies=_WRITE, status_code=201, summary="Name a query")
async def create_query(request: Request) -> Response:
    """201 and ``Location: /epcis/queries/{name}``; 400 for bad parameters, 409 if taken."""
    body = await _object(request)
    name, query = body.get("name"), body.get("query", {})
    if not isinstance(name, str) or not _NAME.match(name):
        raise EpcisProblem(400, "name must be letters, digits, '_', '.' or '-' (up to 200), "
                                f"got {name!r}", extra={"field": "name"})
    if not isinstance(query, dict):
        raise EpcisProblem(400, "query must be an object of query parameters, e.g. "
                                '{"EQ_bizStep": ["receiving"]}', extra={"field": "query"})
    params = {k: split_values(v if isinstance(v, list | str) else str(v))
              for k, v in query.items()}
    parse_params(params)
    try:
        with request.app.state.engine.begin() as conn:
            conn.execute(insert(epcis_queries).values(name=name, query=json.dumps(params),
                                                      created=time.time()))
    except IntegrityError as exc:
        raise EpcisProblem(409, f"a query named {name!r} exists; pick another name or "
                                "DELETE it first") from exc
    return JSONResponse({"name": name, "query": params}, status_code=201,
                        headers={"Location": f"/epcis/queries/{quote(name)}"})


@router.get("/queries", dependencies=_READ, summary="The named queries")
def list_queries(request: Request) -> JSONResponse:
    """Every named query with its parameters."""
    with request.app.state.engine.connect() as conn:
        rows = conn.execute(select(epcis_queries).order_by(epcis_queries.c.name)).all()
    return JSONResponse([{"name": r.name, "query": json.loads(r.query)} for r in rows])


@router.get("/queries/{name}", dependencies=_READ, summary="One named query")
def get_query(request: Request, name: str) -> JSONResponse:
    """The query's parameters (404 ``NoSuchNameException``)."""
    return JSONResponse({"name": name, "query": _stored(request, name)})


@router.delete("/queries/{name}", dependencies=_WRITE, status_code=204,
               summary="Delete a named query and its subscriptions")
def delete_query(request: Request, name: str) -> Response:
    """204; the query's subscriptions go with it."""
    _stored(request, name)
    with request.app.state.engine.begin() as conn:
        conn.execute(delete(epcis_subscriptions).where(
            epcis_subscriptions.c.query_name == name))
        conn.execute(delete(epcis_queries).where(epcis_queries.c.name == name))
    return Response(status_code=204)


@router.get("/queries/{name}/events", dependencies=_READ, summary="A named query's events")
def query_events(request: Request, name: str) -> Response:
    """The events answering the query, paged like ``GET /events``."""
    params = _stored(request, name)
    extra = request_params(request)
    if extra:
        raise EpcisProblem(400, f"{sorted(extra)[0]} cannot be added to a named query; "
                                "only perPage and nextPageToken", name="QueryParameterException",
                           extra={"parameter": sorted(extra)[0]})
    return answer_query(request, params, query_name=name)


def _public(row: Any) -> dict[str, Any]:
    return {"subscriptionID": row.id, "queryName": row.query_name, "dest": row.dest,
            "stream": True, "reportIfEmpty": bool(row.report_if_empty),
            "createdAt": _iso(row.created), "lastNotifiedAt": _iso(row.last_notified),
            "deliveries": row.deliveries, "failures": row.failures,
            "lastStatus": row.last_status, "lastError": row.last_error}


@router.post("/queries/{name}/subscriptions", dependencies=_WRITE, status_code=201,
             summary="Subscribe a webhook to a named query")
async def subscribe(request: Request, name: str) -> Response:
    """201 with the subscription (without its secret) and its ``Location``."""
    _stored(request, name)
    body = await _object(request)
    dest, secret = body.get("dest"), body.get("secret") or body.get("signatureToken")
    if not isinstance(dest, str) or urlsplit(dest).scheme not in ("http", "https") or \
            not urlsplit(dest).netloc:
        raise EpcisProblem(400, f"dest must be an http or https URL, got {dest!r}",
                           extra={"field": "dest"})
    if not isinstance(secret, str) or len(secret) < 16:
        raise EpcisProblem(400, "secret (or signatureToken) must be a string of at least 16 "
                                "characters; the server signs each delivery with it",
                           extra={"field": "secret"})
    if "schedule" in body or body.get("stream") is False:
        raise EpcisProblem(400, "scheduled subscriptions are not offered; subscribe with "
                                '"stream": true (events are sent after each capture)',
                           name="SubscriptionControlsException", extra={"field": "schedule"})
    sid = uuid.uuid4().hex
    with request.app.state.engine.begin() as conn:
        conn.execute(insert(epcis_subscriptions).values(
            id=sid, query_name=name, dest=dest, secret=secret, created=time.time(),
            report_if_empty=int(bool(body.get("reportIfEmpty"))), deliveries=0, failures=0,
            last_status="", last_error=""))
    return JSONResponse(_subscription(request, name, sid), status_code=201,
                        headers={"Location": f"/epcis/queries/{quote(name)}/subscriptions/{sid}"})


def _subscription(request: Request, name: str, sid: str) -> dict[str, Any]:
    s = epcis_subscriptions.c
    with request.app.state.engine.connect() as conn:
        row = conn.execute(select(epcis_subscriptions).where(
            s.id == sid, s.query_name == name)).first()
    if row is None:
        raise EpcisProblem(404, f"query {name!r} has no subscription {sid!r}")
    return _public(row)


@router.get("/queries/{name}/subscriptions", dependencies=_READ,
            summary="A named query's subscriptions")
def subscriptions(request: Request, name: str) -> JSONResponse:
    """Every subscription of the query, with its delivery status."""
    _stored(request, name)
    with request.app.state.engine.connect() as conn:
        rows = conn.execute(select(epcis_subscriptions).where(
            epcis_subscriptions.c.query_name == name)).all()
    return JSONResponse([_public(r) for r in rows])


@router.get("/queries/{name}/subscriptions/{sid}", dependencies=_READ,
            summary="One subscription and its delivery status")
def subscription(request: Request, name: str, sid: str) -> JSONResponse:
    """Deliveries, failures, the last status and error, lastNotifiedAt."""
    return JSONResponse(_subscription(request, name, sid))


@router.delete("/queries/{name}/subscriptions/{sid}", dependencies=_WRITE, status_code=204,
               summary="Unsubscribe")
def unsubscribe(request: Request, name: str, sid: str) -> Response:
    """204; nothing more is delivered to the subscription."""
    _subscription(request, name, sid)
    with request.app.state.engine.begin() as conn:
        conn.execute(delete(epcis_subscriptions).where(epcis_subscriptions.c.id == sid))
    return Response(status_code=204)
