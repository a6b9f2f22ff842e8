"""The plan page: KPIs, demand and fill rate, purchases, production, stock, Sankey, prices."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from oreline.api.routing import twin

__all__ = ["api", "html", "plan_view"]

html = APIRouter(tags=["pages"])
api = APIRouter(tags=["plans"])

Demand = Literal["firm", "expected", "all"]


@twin(html, api, "/plan/{name}", "plan.html", summary="The plan of a scenario")
def plan_view(request: Request, name: str,
              demand: Annotated[Demand, Query(description="firm, expected or all")] = "expected"
              ) -> dict[str, Any]:
    """Solve the scenario (or take the cached plan of the same content) and show it.

    The plan is cached per scenario content hash and demand mode, so a second visit (by
    any worker) is a look-up. A large scenario can be planned as a job first
    (``POST /api/jobs`` with ``{"kind": "plan"}``).
    """
    st = request.app.state
    data: dict[str, Any] = st.plans.solve(st.library.load(name), name, demand)
    return data
