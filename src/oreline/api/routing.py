"""Pages with JSON twins: one data function, an HTML route and an ``/api`` route.

:func:`twin` registers ``GET path`` (a template rendered with the data) and
``GET /api{path}`` (the same data as JSON) from one function, so the two cannot drift;
``tests/api/test_parity.py`` checks that each page's twin answers.
"""

from __future__ import annotations

import functools
import inspect
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from oreline.api.security import require
from oreline.report import fmt

__all__ = ["TEMPLATES", "JSONResponse", "page", "twin"]


class JSONResponse(Response):
    """JSON through orjson: numpy numbers as numbers, NaN and infinity as null."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """``content`` as JSON bytes."""
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY
                            | orjson.OPT_NON_STR_KEYS)


def _frame_table(frame: dict[str, Any], limit: int = 200) -> fmt.Table:
    rows = frame.get("rows", [])
    cols = frame.get("columns", [])
    return fmt.table(pd.DataFrame(rows, columns=cols), limit)


def _records_table(records: list[dict[str, Any]], limit: int = 200,
                   columns: list[str] | None = None) -> fmt.Table:
    df = pd.DataFrame(records, columns=columns) if records or columns else pd.DataFrame()
    return fmt.table(df, limit)


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters.update(number=fmt.number, tonnes=fmt.tonnes, money=fmt.money,
                             percent=fmt.percent, header=fmt.header, cell=fmt.value,
                             when=fmt.timestamp)
TEMPLATES.env.globals.update(frame_table=_frame_table, records_table=_records_table,
                             finite=_finite)


#: Pages rendered from data that carries a content ``key`` (a cached plan), by template,
#: key, sign-in state and URL; the CSRF value is put in per request.
_RENDERED: OrderedDict[tuple[Any, ...], str] = OrderedDict()
_RENDERED_MAX = 32
_RENDERED_LOCK = threading.Lock()
#: Stands for the request's CSRF value in a cached page (URL-safe, never in page data).
_CSRF_MARK = "oreline-csrf-mark-5b1f0c"


def page(request: Request, template: str, data: Any, status_code: int = 200,
         **extra: Any) -> HTMLResponse:
    """Render ``template`` with ``data`` and the request's CSRF value.

    Data with a content ``key`` (a cached plan: the same key, the same data) is rendered
    once per URL and sign-in state and reused, with this request's CSRF value put in:
    rendering every table of a large plan costs more than looking the plan up.
    """
    from oreline.api.security import csrf_token

    csrf = csrf_token(request)
    signed_in = bool(request.cookies.get("oreline_token"))
    content_key = data.get("key") if isinstance(data, dict) and not extra else None
    if content_key is None or status_code != 200:
        context = {"data": data, "csrf": csrf, "signed_in": signed_in, **extra}
        return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
    key = (template, content_key, signed_in, request.url.path, request.url.query)
    with _RENDERED_LOCK:
        html = _RENDERED.get(key)
        if html is not None:
            _RENDERED.move_to_end(key)
    if html is None:
        html = TEMPLATES.get_template(template).render(
            {"request": request, "data": data, "csrf": _CSRF_MARK, "signed_in": signed_in})
        with _RENDERED_LOCK:
            _RENDERED[key] = html
            while len(_RENDERED) > _RENDERED_MAX:
                _RENDERED.popitem(last=False)
    return HTMLResponse(html.replace(_CSRF_MARK, csrf))


def twin(html: APIRouter, api: APIRouter, path: str, template: str, *,
         summary: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn`` as the page ``GET path`` and its JSON twin ``GET /api{path}``."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(fn)

        @functools.wraps(fn)
        def as_json(*args: Any, **kwargs: Any) -> JSONResponse:
            return JSONResponse(fn(*args, **kwargs))

        @functools.wraps(fn)
        def as_page(*args: Any, **kwargs: Any) -> HTMLResponse:
            request = kwargs.get("request")
            assert isinstance(request, Request), f"{fn.__name__} must take request"
            return page(request, template, fn(*args, **kwargs))

        as_json.__signature__ = sig  # type: ignore[attr-defined]
        as_page.__signature__ = sig  # type: ignore[attr-defined]
        deps = [Depends(require("read"))]
        api.add_api_route(path, as_json, methods=["GET"], summary=summary,
                          dependencies=deps, response_class=JSONResponse)
        html.add_api_route(path, as_page, methods=["GET"], summary=summary,
                           dependencies=deps, response_class=HTMLResponse,
                           include_in_schema=False)
        return fn

    return deco
