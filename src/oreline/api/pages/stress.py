"""Stress pages: start a sweep as a job, and a finished sweep's distribution and tornado."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from oreline.api.jobs import finished_run
from oreline.api.routing import twin
from oreline.api.stressdata import MAX_SAMPLES
from oreline.stress import builtin_stress_names

__all__ = ["api", "html", "stress_home", "stress_run"]

html = APIRouter(tags=["pages"])
api = APIRouter(tags=["stress"])


@twin(html, api, "/stress", "stress.html", summary="Stress sets and finished sweeps")
def stress_home(request: Request) -> dict[str, Any]:
    """The stress sets the server can run and the sweeps it has run."""
    runs = [j.public(with_result=False) for j in request.app.state.runner.recent(100)
            if j.kind == "stress"]
    return {"sets": builtin_stress_names(), "max_samples": MAX_SAMPLES, "runs": runs}


@twin(html, api, "/stress/runs/{job_id}", "stress_run.html", summary="A finished sweep")
def stress_run(request: Request, job_id: str) -> dict[str, Any]:
    """Risk summary, margin histogram, tornado and per-customer shortfall of a sweep."""
    return finished_run(request.app.state.runner, job_id, "stress")
