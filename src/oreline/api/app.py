"""The web app: pages with JSON twins, jobs, tokens, and the OpenAPI description at /docs.

:func:`create_app` builds one FastAPI app from a :class:`~oreline.api.config.ServeConfig`;
:func:`app_from_env` is the factory uvicorn's workers call.

Errors have one shape everywhere under ``/api``::

    {"error": {"status": 404, "title": "Not Found", "detail": "no scenario named ..."}}

A page answers an error with the same message on an HTML page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from oreline.api import epcis
from oreline.api.appdb import open_app_db
from oreline.api.config import ServeConfig
from oreline.api.investdata import run_invest_job
from oreline.api.jobs import JobRunner, Progress
from oreline.api.ledgerdata import ensure_demo_ledger
from oreline.api.owners import Heartbeat
from oreline.api.pages import AREAS
from oreline.api.plans import PlanCache
from oreline.api.routing import JSONResponse, page
from oreline.api.scenarios import ScenarioLibrary, UnknownScenarioError
from oreline.api.security import CSRF_COOKIE, BodyLimit
from oreline.api.stressdata import run_stress_job
from oreline.errors import ConfigError, LotNotFoundError, OrelineError
from oreline.ledger.ledger import Ledger

__all__ = ["app_from_env", "create_app", "error_status"]

_STATIC = Path(__file__).parent / "static"


def _swagger_static() -> Path:
    """Swagger UI's files as the swagger-ui-py package ships them (no CDN)."""
    import swagger_ui

    return Path(swagger_ui.__file__).parent / "static"


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def error_status(exc: OrelineError) -> int:
    """The HTTP status of a library error: 404 for what is not there, 400 otherwise."""
    if isinstance(exc, UnknownScenarioError | LotNotFoundError):
        return 404
    if isinstance(exc, ConfigError):
        return 400
    return 422


def _validation_detail(errors: Any) -> str:
    parts = []
    for e in errors:
        where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
        parts.append(f"{where or 'body'}: {e.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is malformed"


def _error(request: Request, status: int, detail: str,
           headers: Mapping[str, str] | None = None,
           issues: list[dict[str, Any]] | None = None) -> Response:
    if request.url.path.startswith(epcis.PREFIX):  # the binding's problem details
        extra = {"errors": issues} if issues else None
        return epcis.problems.problem_response(400 if status == 422 else status, detail,
                                               instance=request.url.path,
                                               headers=headers, extra=extra)
    title = HTTPStatus(status).phrase
    if request.url.path.startswith("/api") or "text/html" not in request.headers.get(
            "accept", ""):
        body: dict[str, Any] = {"status": status, "title": title, "detail": detail}
        if issues:
            body["issues"] = issues
        return JSONResponse({"error": body}, status_code=status, headers=dict(headers or {}))
    return page(request, "error.html", {"status": status, "title": title, "detail": detail},
                status_code=status)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return _error(request, 422, _validation_detail(exc.errors()))

    @app.exception_handler(OrelineError)
    async def library_error(request: Request, exc: OrelineError) -> Response:
        issues = [{"where": i.where, "field": i.field, "message": i.message, "fix": i.fix,
                   "code": i.code} for i in getattr(exc, "issues", [])]
        return _error(request, error_status(exc), str(exc), issues=issues)


def _job_functions(app: FastAPI) -> dict[str, Any]:
    def plan_job(params: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
        st = app.state
        steps = ["reading scenario", "compiling network", "building model",
                 "solving with HiGHS", "reading results"]
        name, demand = params["scenario"], params["demand"]

        def say(step: str) -> None:
            progress(step, steps.index(step) if step in steps else 0, len(steps))

        data = st.plans.solve(st.library.load(name), name, demand, progress=say)
        progress("done", len(steps), len(steps))
        return {"scenario": name, "demand": demand, "key": data.get("key"),
                "kpis": data["kpis"], "page": f"/plan/{name}?demand={demand}"}

    def invest_job(params: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
        return run_invest_job(params, progress, app.state.library)

    return {"plan": plan_job, "stress": run_stress_job, "invest": invest_job}


def create_app(config: ServeConfig) -> FastAPI:
    """The app for ``config``: opens (and on first start builds) the demo ledger."""
    folder = Path(config.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if config.demo_ledger:
        ensure_demo_ledger(folder / "demo-ledger.sqlite", folder / "demo-ledger.key")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        epcis.close(app)
        app.state.runner.close()
        app.state.heartbeat.close()
        app.state.ledger.close()
        app.state.engine.dispose()

    app = FastAPI(title="Oreline", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Plans, stress tests and lot traces of critical-metal supply "
                              "chains. Every page has a JSON twin under /api. Writes need "
                              "a bearer token (`oreline serve token create`).")
    engine = open_app_db(config.app_url)
    app.state.config = config
    app.state.engine = engine
    app.state.library = ScenarioLibrary(folder / "scenarios")
    app.state.plans = PlanCache(engine)
    app.state.ledger = Ledger.open(config.ledger_url)
    app.state.runner = JobRunner(engine, _job_functions(app))
    _handlers(app)

    @app.middleware("http")
    async def csrf_cookie(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        new = getattr(request.state, "new_csrf", None)
        if new:
            response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="strict")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    # EPCIS capture reads its body with its own, larger limit (413 as problem details)
    app.add_middleware(BodyLimit, limit=config.max_body_bytes,
                       exempt=(f"{epcis.PREFIX}/capture", f"{epcis.PREFIX}/events"))

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(_plotly_js(), media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="Oreline API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png")

    app.mount("/static/swagger", StaticFiles(directory=_swagger_static()), name="swagger")
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")
    for area in AREAS:
        app.include_router(area.html)
        app.include_router(area.api, prefix="/api")
    epcis.install(app)  # /epcis: the GS1 EPCIS 2.0 REST binding
    # jobs left running by a server process that has stopped since fail, with a reason
    app.state.heartbeat = Heartbeat(engine)
    app.state.runner.reap()
    app.state.epcis_jobs.reap()
    return app


def app_from_env() -> FastAPI:
    """The app of the config ``oreline serve`` handed over (uvicorn's factory)."""
    return create_app(ServeConfig.from_env())
