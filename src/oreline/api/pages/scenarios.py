"""Scenario pages: the list, every entity with its sources and ⚑ flags, and exports."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from oreline.api.compare import compare
from oreline.api.routing import twin
from oreline.api.scenarios import entity_rows
from oreline.api.security import require

__all__ = ["api", "compare_view", "export_api", "export_page", "html", "scenario_list",
           "scenario_view"]

html = APIRouter(tags=["pages"])
api = APIRouter(tags=["scenarios"])


@twin(html, api, "/scenarios", "scenarios.html", summary="Every scenario")
def scenario_list(request: Request) -> dict[str, Any]:
    """Built-in and saved scenarios with their description and horizon."""
    lib = request.app.state.library
    out = []
    for item in lib.names():
        sc = lib.load(item["name"])
        out.append({**item, "title": sc.name, "description": sc.description,
                    "start": sc.horizon.start, "periods": sc.horizon.periods,
                    "customers": len(sc.customers), "contracts": len(sc.contracts)})
    return {"scenarios": out}


@twin(html, api, "/scenarios/{name}", "scenario.html", summary="One scenario's entities")
def scenario_view(request: Request, name: str) -> dict[str, Any]:
    """Every entity of a scenario with its fields, sources and flags."""
    lib = request.app.state.library
    return {"id": name, **entity_rows(lib.load(name)),
            "editable": lib.path(name).parent == lib.folder}


def _export(request: Request, name: str, fmt: str) -> Response:
    body, media, filename = request.app.state.library.export(name, fmt)
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@html.get("/scenarios/{name}/export.{fmt}", include_in_schema=False,
          dependencies=[Depends(require("read"))])
def export_page(request: Request, name: str, fmt: Literal["yaml", "csv", "xlsx"]) -> Response:
    """Download a scenario as YAML, a zip of CSV files or an Excel workbook."""
    return _export(request, name, fmt)


@api.get("/scenarios/{name}/export.{fmt}", dependencies=[Depends(require("read"))],
         summary="Download a scenario (yaml, csv as zip, xlsx)")
def export_api(request: Request, name: str, fmt: Literal["yaml", "csv", "xlsx"]) -> Response:
    """Download a scenario as YAML, a zip of CSV files or an Excel workbook."""
    return _export(request, name, fmt)


@twin(html, api, "/compare", "compare.html", summary="Two scenarios and their plans")
def compare_view(request: Request,
                 a: Annotated[str, Query(max_length=80, description="reference scenario")],
                 b: Annotated[str, Query(max_length=80, description="scenario to compare")],
                 demand: Annotated[Literal["firm", "expected", "all"], Query()] = "expected"
                 ) -> dict[str, Any]:
    """KPIs, sales, purchases and DFARS-clean tonnage of two plans, and entity changes."""
    st = request.app.state
    sa, sb = st.library.load(a), st.library.load(b)
    return compare(st.plans.solve(sa, a, demand), st.plans.solve(sb, b, demand),
                   entity_rows(sa), entity_rows(sb))
