"""Writing events: ``POST /capture`` (a document, asynchronous) and ``POST /events`` (one).

Both go through :meth:`oreline.ledger.ledger.Ledger.capture`, the ledger's one write
path: a document is written whole or not at all (``GS1-Capture-Error-Behaviour:
rollback``, the only behaviour offered), and events the ledger holds already are left
as they are (a re-sent document is a capture of nothing new). A capture job runs on a
thread of the process that accepted it; its outcome is kept in the app database, so
every worker answers ``GET /capture/{captureID}``. The document itself is not kept.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import Engine, insert, select, update

from oreline.api import owners
from oreline.api.appdb import epcis_captures
from oreline.api.epcis.events import event_location
from oreline.api.epcis.problems import EpcisProblem, issue_problems
from oreline.api.routing import JSONResponse
from oreline.api.security import require
from oreline.errors import CaptureError, OrelineError
from oreline.ledger.ledger import CaptureResult, Ledger
from oreline.ledger.profile.query import EVENT_TYPES

__all__ = ["CaptureJobs", "capture", "capture_event", "capture_job", "capture_jobs",
           "limit_headers", "outcome", "router"]

router = APIRouter()
_JSON_TYPES = ("application/json", "application/ld+json")


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat(
        timespec="milliseconds")


class CaptureJobs:
    """Capture jobs: recorded in the app database, run on a small thread pool."""

    def __init__(self, engine: Engine, ledger: Ledger,
                 on_captured: Callable[[int, int], Any], threads: int = 2) -> None:
        self.engine = engine
        self.ledger = ledger
        self.on_captured = on_captured
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="oreline-epcis")

    def submit(self, document: Mapping[str, Any]) -> tuple[str, Future[None]]:
        """Record a running job for ``document`` and start it; its captureID."""
        jid = uuid.uuid4().hex
        with self.engine.begin() as conn:
            conn.execute(insert(epcis_captures).values(id=jid, status="running",
                                                       created=time.time(), result="{}"))
            owners.claim(conn, jid)
        return jid, self.pool.submit(self._run, jid, document)

    def _run(self, jid: str, document: Mapping[str, Any]) -> None:
        result: dict[str, Any]
        try:
            done = self.ledger.capture(document)
        except CaptureError as exc:
            status, result = "failed", {"errors": issue_problems(exc.issues)}
        except OrelineError as exc:
            status, result = "failed", {"errors": [_error(str(exc))]}
        except Exception as exc:  # a job must end with a status, whatever went wrong
            status, result = "failed", {"errors": [_error(f"{type(exc).__name__}: {exc}",
                                                          500)]}
        else:
            status, result = "success", outcome(done)
        with self.engine.begin() as conn:
            conn.execute(update(epcis_captures).where(epcis_captures.c.id == jid).values(
                status=status, finished=time.time(), result=json.dumps(result)))
            owners.release(conn, jid)
        if status == "success" and result["captured"]:
            self.on_captured(result["firstSeq"], result["lastSeq"])

    def get(self, jid: str) -> dict[str, Any] | None:
        """The job as ``GET /capture/{captureID}`` shows it, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(epcis_captures).where(epcis_captures.c.id == jid)).first()
        if row is not None and row.status == "running" and self.reap(jid):
            return self.get(jid)
        return None if row is None else _public(row)

    def reap(self, jid: str | None = None) -> int:
        """Fail the running jobs (``jid``, or all) whose server process is gone.

        Nothing of such a capture is in the ledger (a capture is one transaction).
        """
        def failed(message: str) -> dict[str, Any]:
            return {"result": json.dumps({"errors": [_error(
                message + "; nothing of the document was captured", 500)]})}

        with self.engine.begin() as conn:
            return owners.fail_orphans(conn, epcis_captures, ("running",), failed, jid)

    def recent(self, limit: int) -> list[dict[str, Any]]:
        """The latest jobs, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(epcis_captures).order_by(
                epcis_captures.c.created.desc()).limit(limit)).all()
        return [_public(r) for r in rows]

    def close(self) -> None:
        """Finish the jobs under way."""
        self.pool.shutdown(wait=True)


def _error(detail: str, status: int = 400) -> dict[str, Any]:
    kind = "ValidationException" if status == 400 else "ImplementationException"
    return {"type": f"epcisException:{kind}", "title": "Capture failed", "status": status,
            "detail": detail}


def outcome(done: CaptureResult) -> dict[str, Any]:
    """What a capture wrote, as a job result: counts, the entries and the flags."""
    return {"captured": done.events, "held": len(done.held), "findings": len(done.findings),
            "flags": done.flags, "firstSeq": done.first_seq, "lastSeq": done.last_seq,
            "eventIDs": done.event_ids[:1000]}


def _public(row: Any) -> dict[str, Any]:
    result = json.loads(row.result)
    out: dict[str, Any] = {
        "captureID": row.id, "createdAt": _iso(row.created), "running": row.status == "running",
        "success": row.status != "failed", "captureErrorBehaviour": "rollback",
        "status": row.status, "errors": result.pop("errors", [])}
    if row.finished is not None:
        out["finishedAt"] = _iso(row.finished)
    out.update(result)
    return out


def limit_headers(request: Request) -> dict[str, str]:
    """``GS1-EPCIS-Capture-Limit`` and ``GS1-EPCIS-Capture-File-Size-Limit`` of the server."""
    config = request.app.state.config
    return {"GS1-EPCIS-Capture-Limit": str(config.epcis_capture_events),
            "GS1-EPCIS-Capture-File-Size-Limit": str(config.epcis_capture_bytes),
            "GS1-Capture-Error-Behaviour": "rollback"}


async def _json_body(request: Request) -> Any:
    """The request's JSON, read up to the capture size limit (413 beyond, 415, 400)."""
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if kind not in _JSON_TYPES:
        raise EpcisProblem(415, f"the body is {kind}; send EPCIS 2.0 JSON or JSON-LD "
                                "(Content-Type: application/json or application/ld+json)")
    limit = request.app.state.config.epcis_capture_bytes
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise EpcisProblem(413, f"the body is over the limit of {limit} bytes "
                                    "(GS1-EPCIS-Capture-File-Size-Limit); split the "
                                    "document", headers=limit_headers(request))
        chunks.append(chunk)
    try:
        return orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError as exc:
        raise EpcisProblem(400, f"the body is not JSON: {exc}") from exc


def _event_count(doc: Mapping[str, Any]) -> int:
    body = doc.get("epcisBody")
    if not isinstance(body, Mapping):
        raise EpcisProblem(400, "the document has no epcisBody; send an EPCISDocument with "
                                "epcisBody.eventList", extra={"field": "epcisBody"})
    if doc.get("type") == "EPCISQueryDocument":
        results = body.get("queryResults")
        body = results.get("resultsBody", {}) if isinstance(results, Mapping) else {}
    events = body.get("eventList", []) if isinstance(body, Mapping) else []
    return len(events) if isinstance(events, list) else 0


@router.post("/capture", status_code=202, dependencies=[Depends(require("capture"))],
             summary="Capture an EPCIS document (asynchronous)")
async def capture(request: Request) -> Response:
    """202 with ``Location: /epcis/capture/{captureID}``; the job captures the document."""
    behaviour = request.headers.get("gs1-capture-error-behaviour", "rollback")
    if behaviour.strip().lower() != "rollback":
        raise EpcisProblem(406, f"GS1-Capture-Error-Behaviour {behaviour!r} is not offered; "
                                "captures are all-or-nothing (rollback)",
                           headers=limit_headers(request))
    doc = await _json_body(request)
    if not isinstance(doc, Mapping) or doc.get("type") not in ("EPCISDocument",
                                                                "EPCISQueryDocument"):
        raise EpcisProblem(400, "the body is not an EPCIS document; send an object with "
                                "type EPCISDocument or EPCISQueryDocument (one event goes "
                                "to POST /epcis/events)", extra={"field": "type"})
    count = _event_count(doc)
    limit = request.app.state.config.epcis_capture_events
    if count > limit:
        raise EpcisProblem(413, f"the document has {count} events, over the limit of {limit} "
                                "(GS1-EPCIS-Capture-Limit); split it",
                           headers=limit_headers(request))
    jid, _ = request.app.state.epcis_jobs.submit(doc)
    return JSONResponse({"captureID": jid}, status_code=202,
                        headers={"Location": f"/epcis/capture/{jid}"})


@router.get("/capture", dependencies=[Depends(require("capture"))],
            summary="The latest capture jobs")
def capture_jobs(request: Request, perPage: int = 30) -> JSONResponse:
    """The latest capture jobs, newest first (at most ``perPage``, up to 1000)."""
    return JSONResponse(request.app.state.epcis_jobs.recent(max(1, min(perPage, 1000))))


@router.get("/capture/{capture_id}", dependencies=[Depends(require("capture"))],
            summary="One capture job")
def capture_job(request: Request, capture_id: str) -> JSONResponse:
    """running, success or failed, with the errors and what was captured."""
    job = request.app.state.epcis_jobs.get(capture_id)
    if job is None:
        raise EpcisProblem(404, f"no capture job {capture_id!r}; POST /epcis/capture answers "
                                "with the Location of its job")
    return JSONResponse(job)


@router.post("/events", status_code=201, dependencies=[Depends(require("capture"))],
             summary="Capture one event (synchronous)")
async def capture_event(request: Request) -> Response:
    """201 and the event's ``Location``; 200 when the ledger held it already; 409, 400."""
    event = await _json_body(request)
    if not isinstance(event, Mapping) or event.get("type") not in EVENT_TYPES:
        raise EpcisProblem(400, "the body is not one EPCIS event; send an object whose type "
                                "is " + ", ".join(EVENT_TYPES) + " (documents go to POST "
                                "/epcis/capture)", extra={"field": "type"})
    state = request.app.state
    try:
        done = await run_in_threadpool(state.ledger.capture, event)
    except CaptureError as exc:
        held = [i for i in exc.issues if i.code == "event.captured"]
        status = 409 if held else 400
        raise EpcisProblem(status, str(exc.issues[0] if held else exc),
                           extra={"errors": issue_problems(exc.issues)}) from exc
    ids = done.event_ids or done.held
    if done.events:
        state.epcis_notifier.notify(done.first_seq, done.last_seq)
    return JSONResponse(outcome(done), status_code=201 if done.events else 200,
                        headers={"Location": event_location(ids[0])} if ids else {})
