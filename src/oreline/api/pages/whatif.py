"""What-if pages: copy a scenario under a new name, edit the copy, compare it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from oreline.api.entityforms import copied_from
from oreline.api.routing import JSONResponse, page, twin
from oreline.api.scenarios import entity_rows
from oreline.api.security import require
from oreline.api.whatif import copy_scenario, save_scenario_text, scenario_text
from oreline.errors import ScenarioError

__all__ = ["CopyRequest", "EditRequest", "api", "copy_api", "copy_form", "edit_api",
           "edit_form", "edit_view", "html"]

html = APIRouter(tags=["pages"])
api = APIRouter(tags=["what-if"])
PLAN = [Depends(require("plan"))]


class CopyRequest(BaseModel):
    """The name of a what-if copy."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=61)


class EditRequest(BaseModel):
    """A scenario's new YAML text."""

    model_config = ConfigDict(extra="forbid")
    yaml: str = Field(max_length=2_000_000)


@api.post("/scenarios/{name}/copy", status_code=201, dependencies=PLAN,
          summary="Copy a scenario as a what-if (scope plan)")
def copy_api(request: Request, name: str, body: CopyRequest) -> JSONResponse:
    """Save scenario ``name`` under ``body.name``; 201 with its URL."""
    copy_scenario(request.app.state.library, name, body.name)
    return JSONResponse({"name": body.name, "page": f"/scenarios/{body.name}"},
                        status_code=201, headers={"Location": f"/api/scenarios/{body.name}"})


@html.post("/scenarios/{name}/copy", include_in_schema=False, dependencies=PLAN)
def copy_form(request: Request, name: str,
              new_name: Annotated[str, Form(max_length=61)]) -> RedirectResponse:
    """The same from the scenario page; goes on to the copy's edit page."""
    copy_scenario(request.app.state.library, name, new_name)
    return RedirectResponse(f"/scenarios/{new_name}/edit", status_code=303)


@twin(html, api, "/scenarios/{name}/edit", "edit.html", summary="A saved scenario's text")
def edit_view(request: Request, name: str) -> dict[str, Any]:
    """The YAML text of a saved what-if scenario (built-in ones are not editable)."""
    lib = request.app.state.library
    return {"name": name, "yaml": scenario_text(lib, name), "issues": [],
            "source": copied_from(lib.load(name))}


@api.put("/scenarios/{name}", dependencies=PLAN,
         summary="Replace a saved scenario's text (scope plan)")
def edit_api(request: Request, name: str, body: EditRequest) -> JSONResponse:
    """Check and save; 422 with every problem (file:line, field, fix) when invalid."""
    sc = save_scenario_text(request.app.state.library, name, body.yaml)
    return JSONResponse({"id": name, **entity_rows(sc)})


@html.post("/scenarios/{name}/edit", include_in_schema=False, dependencies=PLAN)
def edit_form(request: Request, name: str,
              text: Annotated[str, Form(max_length=2_000_000)]) -> Response:
    """Save the edit and show the scenario, or show the form again with the problems."""
    try:
        save_scenario_text(request.app.state.library, name, text)
    except ScenarioError as exc:
        issues = [{"where": i.where, "field": i.field, "message": i.message, "fix": i.fix}
                  for i in exc.issues]
        return page(request, "edit.html", {"name": name, "yaml": text, "issues": issues,
                                           "source": None}, status_code=422)
    return RedirectResponse(f"/scenarios/{name}", status_code=303)
