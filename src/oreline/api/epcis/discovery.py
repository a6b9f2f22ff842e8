"""Discovery: ``OPTIONS`` on every resource, and the version headers of every answer.

``OPTIONS /epcis`` (and on each resource below it) answers 204 with ``Allow`` and the
``GS1-EPCIS-*``, ``GS1-CBV-*``, ``GS1-Vendor-Version`` and ``GS1-Extensions`` headers;
``OPTIONS /epcis/capture`` adds the capture limits. :func:`version_headers` puts the
version headers on every ``/epcis`` answer and refuses (406) a request asking for an
EPCIS or CBV version other than 2.0.0.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from oreline.api.epcis.capture import limit_headers
from oreline.api.epcis.problems import (
    VERSION_HEADERS,
    EpcisProblem,
    problem_response,
    version_refused,
)
from oreline.api.security import require

__all__ = ["allowed", "options_resource", "options_root", "router", "version_headers"]

router = APIRouter(dependencies=[Depends(require("read"))])

_TOP = r"(eventTypes|bizSteps|epcs|bizLocations|readPoints|dispositions)"
#: Each resource pattern (below /epcis) and the methods it allows
_ALLOW: list[tuple[re.Pattern[str], str]] = [(re.compile(p), m) for p, m in [
    (r"", "OPTIONS, GET"),
    (r"/capture", "OPTIONS, POST, GET"),
    (r"/capture/[^/]+", "OPTIONS, GET"),
    (r"/events", "OPTIONS, GET, POST"),
    (r"/events/.+", "OPTIONS, GET"),
    (r"/(eventTypes|bizSteps)", "OPTIONS, GET"),
    (rf"/{_TOP}/.+", "OPTIONS, GET"),
    (r"/queries", "OPTIONS, GET, POST"),
    (r"/queries/[^/]+", "OPTIONS, GET, DELETE"),
    (r"/queries/[^/]+/events", "OPTIONS, GET"),
    (r"/queries/[^/]+/subscriptions", "OPTIONS, GET, POST"),
    (r"/queries/[^/]+/subscriptions/[^/]+", "OPTIONS, GET, DELETE"),
]]


def allowed(sub_path: str) -> str | None:
    """The ``Allow`` of a path below ``/epcis``, or None for no such resource.

    >>> allowed("/queries/q1/subscriptions")
    'OPTIONS, GET, POST'
    >>> allowed("/nothing") is None
    True
    """
    for pattern, methods in _ALLOW:
        if pattern.fullmatch(sub_path.rstrip("/") if sub_path != "/" else ""):
            return methods
    return None


def _options(request: Request, rest: str = "") -> Response:
    sub = "/" + rest if rest else ""
    methods = allowed(sub)
    if methods is None:
        raise EpcisProblem(404, f"/epcis{sub} is no resource of this repository; "
                                "OPTIONS /epcis lists the top level")
    headers = {**VERSION_HEADERS, "Allow": methods}
    if sub == "/capture":
        headers.update(limit_headers(request))
    return Response(status_code=204, headers=headers)


@router.options("", summary="Discovery: versions and extensions of this repository")
def options_root(request: Request) -> Response:
    """204 with the version headers and ``Allow``."""
    return _options(request)


@router.options("/{rest:path}", summary="Discovery of one resource")
def options_resource(request: Request, rest: str) -> Response:
    """204 with the version headers and the resource's ``Allow`` (404 if none)."""
    return _options(request, rest)


async def version_headers(request: Request, call_next: Any) -> Response:
    """Middleware: 406 for an unsupported version asked for; version headers on answers."""
    if not request.url.path.startswith("/epcis"):
        response: Response = await call_next(request)
        return response
    refused = version_refused(request.headers)
    if refused:
        response = problem_response(406, refused, instance=request.url.path)
    else:
        response = await call_next(request)
    for name, value in VERSION_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
