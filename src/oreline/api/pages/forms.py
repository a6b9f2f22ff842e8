"""What-if forms per entity: a table of contracts, capacity phases, demand or options.

``GET /scenarios/{name}/edit/{kind}`` shows the rows of one kind of a saved copy, each
an edit form; a post checks the whole scenario with the loader and shows its messages
next to the fields. The JSON twins (``PATCH``, ``POST``, ``DELETE`` under
``/api/scenarios/{name}/{kind}``) take and answer the same, with scope ``plan``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from oreline.api.entityforms import (
    KINDS,
    UnknownEntityError,
    add_row,
    copied_from,
    delete_row,
    field_issues,
    kind_of,
    row_path,
    rows,
    update_row,
)
from oreline.api.routing import JSONResponse, page, twin
from oreline.api.security import require
from oreline.errors import Issue, ScenarioError

__all__ = ["NewRow", "api", "form_post", "form_view", "html"]

html = APIRouter(tags=["pages"])
api = APIRouter(tags=["what-if forms"])
PLAN = [Depends(require("plan"))]
Value = str | int | float | bool | None
Values = dict[str, Value]


class NewRow(BaseModel):
    """A row to add: the new entity's id (for a capacity phase, its process id) and values."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(max_length=120)
    values: Values = Field(default_factory=dict)


def _view(request: Request, name: str, kind: str) -> dict[str, Any]:
    form = kind_of(kind)
    lib = request.app.state.library
    return {"name": name, "source": copied_from(lib.load(name)), "kind": form.name,
            "title": form.title, "help": form.help,
            "fields": list(form.fields), "required": list(form.required),
            "defaults": form.defaults(),
            "nested": form.nested, "kinds": {k.name: k.title for k in KINDS.values()},
            "rows": rows(lib, name, kind), "issues": [],
            "errors": {}, "failed": None}


@twin(html, api, "/scenarios/{name}/edit/{kind}", "forms.html",
      summary="The rows of one form of a saved scenario")
def form_view(request: Request, name: str, kind: str,
              saved: Annotated[str | None, Query(max_length=120)] = None) -> dict[str, Any]:
    """Rows of ``kind`` (contracts, capacities, customers, enquiries, options) as form values."""
    return {**_view(request, name, kind), "saved": saved}


def _issue_dicts(exc: ScenarioError) -> list[dict[str, str]]:
    return [{"where": i.where, "field": i.field, "message": i.message, "fix": i.fix}
            for i in exc.issues]


@html.post("/scenarios/{name}/edit/{kind}", include_in_schema=False, dependencies=PLAN)
async def form_post(request: Request, name: str, kind: str) -> Response:
    """Save, add or delete one row; on a problem show the form again with the messages."""
    form = await request.form()
    action = str(form.get("action") or "save")
    key = str(form.get("key") or "").strip()
    values = {k[2:]: str(v) for k, v in form.items() if k.startswith("v.")}
    lib = request.app.state.library
    data = _view(request, name, kind)
    try:
        prefix = "" if action == "add" else row_path(lib, name, kind, key)
        if action == "delete":
            delete_row(lib, name, kind, key)
            return RedirectResponse(f"/scenarios/{name}/edit/{kind}", status_code=303)
        if action == "add":
            key, _ = add_row(lib, name, kind, key, values)
        else:
            update_row(lib, name, kind, key, values)
    except UnknownEntityError as exc:
        if action != "add":
            raise
        unknown = ScenarioError([Issue("form", "id", str(exc))])  # no such process
        return _refused(request, data, unknown, "", action, key, values)
    except ScenarioError as exc:
        prefix = _new_prefix(data, kind, key) if action == "add" else prefix
        return _refused(request, data, exc, prefix, action, key, values)
    return RedirectResponse(f"/scenarios/{name}/edit/{kind}?saved={key}#row-{key}",
                            status_code=303)


def _refused(request: Request, data: dict[str, Any], exc: ScenarioError, prefix: str,
             action: str, key: str, values: dict[str, str]) -> Response:
    """The form again (422) with what the user typed still in the boxes.

    The loader's messages about the row at ``prefix`` go by their fields; the others
    above the table.
    """
    errors = field_issues(exc.issues, prefix) if prefix else {}
    if not prefix and action == "add":
        errors = {"id": [i.message for i in exc.issues if i.field == "id"]}
    rest = [i for i in _issue_dicts(exc)
            if not (prefix and i["field"].startswith(prefix + "."))
            and not (not prefix and i["field"] == "id")]
    if action != "delete":
        _keep_sent(data, action, key, values)
    return page(request, "forms.html", {**data, "saved": None, "issues": rest,
                                        "errors": errors, "failed": key, "action": action},
                status_code=422)


def _new_prefix(data: dict[str, Any], kind: str, key: str) -> str:
    form = KINDS[kind]
    if form.nested:
        phases = sum(1 for r in data["rows"] if r["key"].split("/")[0] == key)
        processes = list(dict.fromkeys(r["key"].split("/")[0] for r in data["rows"]))
        if key not in processes:
            return ""
        return f"{form.key}[{processes.index(key)}].{form.nested}[{phases}]"
    return f"{form.key}[{len(data['rows'])}]"


def _keep_sent(data: dict[str, Any], action: str, key: str, values: dict[str, str]) -> None:
    """Show what the user typed, not the saved values, in the row that failed."""
    if action == "add":
        data["new"] = {"key": key, "values": values}
        return
    for row in data["rows"]:
        if row["key"] == key:
            row["values"] = {**row["values"], **values}


def _row(request: Request, name: str, kind: str, key: str) -> dict[str, Any]:
    for row in rows(request.app.state.library, name, kind):
        if row["key"] == key:
            return {"kind": kind, **row}
    return {"kind": kind, "key": key, "deleted": True}


def _routes(kind: str) -> None:
    form = KINDS[kind]
    fields = ", ".join(form.fields)
    doc = (f"Fields: {fields}. A value is read as in the scenario file; null or '' removes a "
           f"field. Checked by the scenario loader: 422 with its problems (field paths as "
           f"`{form.key}[i]...`) and nothing saved when any part of the scenario is invalid.")
    key_doc = ("a capacity phase: `{process id}/{phase number from 1}`" if form.nested
               else "the entity's id")

    def patch(request: Request, name: str, key: str,
              values: Annotated[Values, Body()]) -> JSONResponse:
        update_row(request.app.state.library, name, kind, key, values)
        return JSONResponse(_row(request, name, kind, key))

    def post(request: Request, name: str, body: NewRow) -> JSONResponse:
        new_key, _ = add_row(request.app.state.library, name, kind, body.id, body.values)
        return JSONResponse(_row(request, name, kind, new_key), status_code=201,
                            headers={"Location": f"/api/scenarios/{name}/{kind}/{new_key}"})

    def delete(request: Request, name: str, key: str) -> Response:
        delete_row(request.app.state.library, name, kind, key)
        return Response(status_code=204)

    add: Callable[..., Any] = api.add_api_route
    add(f"/scenarios/{{name}}/{kind}/{{key:path}}", patch, methods=["PATCH"],
        dependencies=PLAN, name=f"patch_{kind}",
        summary=f"Change fields of one row of {form.title.lower()} (scope plan)",
        description=f"{doc} The row is {key_doc}.")
    add(f"/scenarios/{{name}}/{kind}", post, methods=["POST"], status_code=201,
        dependencies=PLAN, name=f"add_{kind}",
        summary=f"Add a row to {form.title.lower()} (scope plan)",
        description=f"{doc} `id` is " + ("the process the phase is added to."
                                         if form.nested else "the new entity's id."))
    add(f"/scenarios/{{name}}/{kind}/{{key:path}}", delete, methods=["DELETE"],
        dependencies=PLAN, status_code=204, name=f"delete_{kind}",
        summary=f"Delete one row of {form.title.lower()} (scope plan)",
        description=f"The row is {key_doc}. Refused (422) when the rest is invalid "
                    "without it, e.g. when another entity refers to it.")


for _kind in KINDS:
    _routes(_kind)
