"""Background jobs: start one (a token with the job's scope), follow it, read its result."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from oreline.api.jobs import accepted
from oreline.api.routing import JSONResponse, twin
from oreline.api.security import require
from oreline.api.stressdata import MAX_SAMPLES, stress_params

__all__ = ["JobRequest", "api", "html", "job_list", "job_view", "start_job", "start_job_form"]

html = APIRouter(tags=["pages"])
api = APIRouter(tags=["jobs"])


class JobRequest(BaseModel):
    """A job to start: a plan of a scenario, or a stress set."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["plan", "stress"]
    scenario: str | None = Field(None, max_length=80, description="plan: the scenario")
    demand: Literal["firm", "expected", "all"] = "expected"
    set: str | None = Field(None, max_length=80, description="stress: the stress set")
    samples: int = Field(50, ge=1, le=MAX_SAMPLES)
    seed: int = 2026


def _start(request: Request, body: JobRequest) -> Any:
    st = request.app.state
    if body.kind == "plan":
        if not body.scenario:
            raise HTTPException(422, "a plan job needs a scenario, e.g. {\"kind\": \"plan\", "
                                     "\"scenario\": \"kmp\"}")
        st.library.path(body.scenario)  # 404 now, not a failed job later
        return st.runner.submit("plan", {"scenario": body.scenario, "demand": body.demand})
    params = stress_params({"set": body.set or "kmp", "samples": body.samples,
                            "seed": body.seed})
    return st.runner.submit("stress", params)


@api.post("/jobs", status_code=202, summary="Start a job (token with scope plan)",
          dependencies=[Depends(require("plan"))])
def start_job(request: Request, body: JobRequest) -> JSONResponse:
    """Start a plan or stress job; answers 202 with the job and its status URL."""
    return accepted(_start(request, body))


@html.post("/jobs", include_in_schema=False, dependencies=[Depends(require("plan"))])
def start_job_form(request: Request, kind: Annotated[Literal["plan", "stress"], Form()],
                   scenario: Annotated[str | None, Form(max_length=80)] = None,
                   demand: Annotated[Literal["firm", "expected", "all"], Form()] = "expected",
                   set: Annotated[str | None, Form(max_length=80)] = None,
                   samples: Annotated[int, Form(ge=1, le=MAX_SAMPLES)] = 50,
                   seed: Annotated[int, Form()] = 2026) -> RedirectResponse:
    """The same from a page's form; goes on to the job's page."""
    job = _start(request, JobRequest(kind=kind, scenario=scenario, demand=demand, set=set,
                                     samples=samples, seed=seed))
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@twin(html, api, "/jobs", "jobs.html", summary="The latest jobs")
def job_list(request: Request) -> dict[str, Any]:
    """The latest jobs, newest first."""
    return {"jobs": [j.public(with_result=False) for j in request.app.state.runner.recent()]}


@twin(html, api, "/jobs/{job_id}", "job.html", summary="One job's status and result")
def job_view(request: Request, job_id: str) -> dict[str, Any]:
    """A job's status, progress and (when done) result."""
    job = request.app.state.runner.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id!r}; /jobs lists the latest")
    data: dict[str, Any] = job.public()
    return data
