"""The GS1 EPCIS 2.0 REST binding under ``/epcis`` (the GS1 OpenAPI's paths and answers).

:func:`install` mounts it on the app: discovery (``OPTIONS``, version headers), capture
(``POST /capture``, ``POST /events``), events (``GET /events`` and the top-level
resources), named queries and webhook subscriptions. Every write goes through
:meth:`oreline.ledger.ledger.Ledger.capture`; errors are problem details
(:mod:`oreline.api.epcis.problems`).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from oreline.api.epcis import capture, discovery, events, queries
from oreline.api.epcis.capture import CaptureJobs
from oreline.api.epcis.problems import EpcisProblem, problem_response
from oreline.api.epcis.webhooks import Notifier

__all__ = ["PREFIX", "close", "install"]

PREFIX = "/epcis"


def install(app: FastAPI) -> None:
    """Mount the binding on ``app`` (after ``app.state.ledger`` and ``engine`` are set)."""
    state = app.state
    state.epcis_notifier = Notifier(state.engine, state.ledger)
    state.epcis_jobs = CaptureJobs(state.engine, state.ledger, state.epcis_notifier.notify)

    @app.exception_handler(EpcisProblem)
    async def epcis_problem(request: Request, exc: EpcisProblem) -> Response:
        return problem_response(exc.status, exc.detail, name=exc.name,
                                instance=request.url.path, headers=exc.headers,
                                extra=exc.extra)

    app.middleware("http")(discovery.version_headers)
    for module in (discovery, capture, events, queries):
        app.include_router(module.router, prefix=PREFIX, tags=["EPCIS 2.0"])


def close(app: FastAPI) -> None:
    """Finish the capture jobs and webhook deliveries under way."""
    app.state.epcis_jobs.close()
    app.state.epcis_notifier.close()
