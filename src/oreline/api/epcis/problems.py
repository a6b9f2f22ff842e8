"""The binding's answers to errors (RFC 7807 problem details) and its version headers.

Every error under ``/epcis`` is ``application/problem+json`` with the EPCIS exception
as its ``type``, as the GS1 OpenAPI of EPCIS 2.0 gives them::

    {"type": "epcisException:NoSuchResourceException", "title": "Not Found",
     "status": 404, "detail": "no event with eventID ...", "instance": "/epcis/events/..."}

A capture refused for its content adds ``errors``: one problem per issue, each with
the event (``where``), the ``field``, the ``message``, the ``fix`` and the ``code``.

Examples
--------
>>> exception_type(413)
'epcisException:CaptureLimitExceededException'
>>> version_refused({"gs1-epcis-version": "1.2.0"})
'this repository speaks EPCIS 2.0.0 only; GS1-EPCIS-Version asked for 1.2.0'

"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import orjson
from fastapi.responses import Response

from oreline import __version__
from oreline.errors import Issue

__all__ = ["PROBLEM_TYPE", "VERSION_HEADERS", "EpcisProblem", "exception_type",
           "issue_problems", "problem_response", "version_refused"]

EPCIS_VERSION = "2.0.0"
CBV_VERSION = "2.0.0"

#: Headers on every /epcis response (the OpenAPI's discovery headers)
VERSION_HEADERS: dict[str, str] = {
    "GS1-EPCIS-Version": EPCIS_VERSION, "GS1-EPCIS-Min": EPCIS_VERSION,
    "GS1-EPCIS-Max": EPCIS_VERSION, "GS1-CBV-Version": CBV_VERSION,
    "GS1-CBV-Min": CBV_VERSION, "GS1-CBV-Max": CBV_VERSION,
    "GS1-Vendor-Version": f"oreline-{__version__}",
    "GS1-Extensions": "oreline=https://oreline.dev/voc/",
    "GS1-EPC-Format": "Never_Translates",
}

#: The EPCIS exception of each status (400 may also be QueryParameterException)
PROBLEM_TYPE: dict[int, str] = {
    400: "ValidationException", 401: "SecurityException", 403: "SecurityException",
    404: "NoSuchResourceException", 406: "NotAcceptableException",
    409: "ResourceAlreadyExistsException", 413: "CaptureLimitExceededException",
    414: "URITooLongException", 415: "UnsupportedMediaTypeException",
    500: "ImplementationException", 501: "ImplementationException",
}


def exception_type(status: int, name: str | None = None) -> str:
    """The problem ``type`` URI of a status (or of the exception ``name``)."""
    return "epcisException:" + (name or PROBLEM_TYPE.get(status, "ImplementationException"))


class EpcisProblem(Exception):
    """An error the binding answers as problem details (raised by its routes)."""

    def __init__(self, status: int, detail: str, *, name: str | None = None,
                 headers: Mapping[str, str] | None = None,
                 extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.name = name
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def problem_response(status: int, detail: str, *, name: str | None = None,
                     instance: str | None = None, headers: Mapping[str, str] | None = None,
                     extra: Mapping[str, Any] | None = None) -> Response:
    """The problem-details response of an error."""
    body: dict[str, Any] = {"type": exception_type(status, name),
                            "title": HTTPStatus(status).phrase, "status": status,
                            "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra or {})
    return Response(orjson.dumps(body), status_code=status,
                    media_type="application/problem+json", headers=dict(headers or {}))


def issue_problems(issues: list[Issue]) -> list[dict[str, Any]]:
    """One problem (``ValidationException``) per issue of a refused capture."""
    return [{"type": exception_type(400), "title": "Bad Request", "status": 400,
             "detail": f"{i.where}: {i.field}: {i.message}" + (f" ({i.fix})" if i.fix else ""),
             "where": i.where, "field": i.field, "message": i.message, "fix": i.fix,
             "code": i.code} for i in issues]


def _version(text: str) -> tuple[int, ...] | None:
    """``2.0`` as (2, 0, 0): missing parts are zero."""
    try:
        parts = [int(p) for p in text.strip().split(".")]
    except ValueError:
        return None
    return tuple([*parts, 0, 0, 0][:max(3, len(parts))])


def version_refused(headers: Mapping[str, str]) -> str | None:
    """Why the version headers of a request cannot be met (406), or None."""
    ours = (2, 0, 0)
    asked = headers.get("gs1-epcis-version")
    if asked and _version(asked) != ours:  # 2.0 is 2.0.0
        return f"this repository speaks EPCIS {EPCIS_VERSION} only; GS1-EPCIS-Version " \
               f"asked for {asked.strip()}"
    low, high = headers.get("gs1-epcis-min"), headers.get("gs1-epcis-max")
    lo, hi = _version(low or "0"), _version(high or "99")
    if lo is None or hi is None or lo > ours or hi < ours:
        return f"this repository speaks EPCIS {EPCIS_VERSION} only, outside the range " \
               f"GS1-EPCIS-Min {low or '-'} to GS1-EPCIS-Max {high or '-'}"
    cbv = headers.get("gs1-cbv-version")
    if cbv and _version(cbv) != (2, 0, 0):
        return f"this repository uses CBV {CBV_VERSION} only; GS1-CBV-Version asked " \
               f"for {cbv.strip()}"
    return None
