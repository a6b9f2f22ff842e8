"""Invest pages: start ``oreline invest`` as a job, and a finished run's decision and values."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from oreline.api.investdata import MAX_MRP, MAX_OOS, MAX_SAMPLES, invest_scenarios
from oreline.api.jobs import accepted, finished_run
from oreline.api.routing import JSONResponse, twin
from oreline.api.security import require
from oreline.errors import ConfigError
from oreline.stress import builtin_stress_names

__all__ = ["InvestRequest", "api", "html", "invest_home", "invest_run", "start_invest",
           "start_invest_form"]

html = APIRouter(tags=["pages"])
api = APIRouter(tags=["invest"])


class InvestRequest(BaseModel):
    """An invest run to start: ``oreline invest``'s options (the CLI's defaults)."""

    model_config = ConfigDict(extra="forbid")

    scenario: str = Field("tiny-invest", max_length=80,
                          description="a scenario with investment options")
    stress: str | None = Field(None, max_length=80, description="a built-in stress set "
                               "whose events make the scenarios; none: the base plan alone")
    samples: int | None = Field(None, ge=1, le=MAX_SAMPLES,
                                description="Monte Carlo scenarios (the set's default)")
    seed: int | None = Field(None, description="random seed (the set's default)")
    risk_weight: float = Field(0.0, ge=0.0, lt=1.0, description="weight of CVaR, 0 to 0.99 "
                               "(at 1 only the worst scenarios would count)")
    alpha: float = Field(0.95, gt=0.0, lt=1.0, description="CVaR level")
    alternatives: bool = True
    breakeven: bool = True
    budget_step: float = Field(0.1, ge=0.0, le=10.0, description="0 skips the budgets")
    oos: int = Field(100, ge=0, le=MAX_OOS, description="out-of-sample scenarios (0 skips)")
    mrp: int = Field(5, ge=0, le=MAX_MRP, description="MRP replications (0 skips)")
    mrp_samples: int = Field(10, ge=1, le=MAX_SAMPLES)


def _start(request: Request, body: InvestRequest) -> Any:
    st = request.app.state
    st.library.path(body.scenario)  # 404 now, not a failed job later
    if body.scenario not in invest_scenarios(st.library):
        raise ConfigError(f"scenario: {body.scenario!r} has no investment options; use one "
                          f"of: {', '.join(invest_scenarios(st.library))}")
    if body.stress and body.stress not in builtin_stress_names():
        raise ConfigError(f"stress: unknown stress set {body.stress!r}; use one of: "
                          f"{', '.join(builtin_stress_names())}, or none")
    return st.runner.submit("invest", body.model_dump())


@api.post("/invest/runs", status_code=202, summary="Start an invest run (scope plan)",
          dependencies=[Depends(require("plan"))])
def start_invest(request: Request, body: InvestRequest) -> JSONResponse:
    """Start ``oreline invest`` as a job; answers 202 with the job and its status URL."""
    return accepted(_start(request, body))


@html.post("/invest/runs", include_in_schema=False, dependencies=[Depends(require("plan"))])
def start_invest_form(
        request: Request, scenario: Annotated[str, Form(max_length=80)],
        stress: Annotated[str, Form(max_length=80)] = "",
        samples: Annotated[int | None, Form(ge=1, le=MAX_SAMPLES)] = None,
        seed: Annotated[int | None, Form()] = None,
        risk_weight: Annotated[float, Form(ge=0.0, lt=1.0)] = 0.0,
        alpha: Annotated[float, Form(gt=0.0, lt=1.0)] = 0.95,
        alternatives: Annotated[bool, Form()] = False,
        breakeven: Annotated[bool, Form()] = False,
        budget_step: Annotated[float, Form(ge=0.0, le=10.0)] = 0.0,
        oos: Annotated[int, Form(ge=0, le=MAX_OOS)] = 0,
        mrp: Annotated[int, Form(ge=0, le=MAX_MRP)] = 0) -> RedirectResponse:
    """The same from the /invest form (an unticked box is off); goes on to the job's page."""
    job = _start(request, InvestRequest(
        scenario=scenario, stress=stress or None, samples=samples if stress else None,
        seed=seed, risk_weight=risk_weight, alpha=alpha, alternatives=alternatives,
        breakeven=breakeven, budget_step=budget_step, oos=oos, mrp=mrp))
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@twin(html, api, "/invest", "invest.html", summary="Invest runs, and the form to start one")
def invest_home(request: Request) -> dict[str, Any]:
    """The scenarios with options, the stress sets, and the invest runs kept."""
    st = request.app.state
    runs = [j.public(with_result=False) for j in st.runner.recent(100) if j.kind == "invest"]
    return {"scenarios": invest_scenarios(st.library), "stress_sets": builtin_stress_names(),
            "max_samples": MAX_SAMPLES, "runs": runs}


@twin(html, api, "/invest/runs/{job_id}", "invest_run.html", summary="A finished invest run")
def invest_run(request: Request, job_id: str) -> dict[str, Any]:
    """The decision, its NPV distribution and values, regret, break-even capex, ⚑ numbers."""
    return finished_run(request.app.state.runner, job_id, "invest")
