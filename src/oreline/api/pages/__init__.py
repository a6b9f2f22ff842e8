"""The server's pages, one module per area; each page has a JSON twin under ``/api``."""

from __future__ import annotations

from oreline.api.pages import forms, home, invest, jobs, plan, scenarios, stress, trace, whatif

__all__ = ["AREAS"]

#: Every area's module; each has ``html`` and ``api`` routers.
AREAS = (home, scenarios, whatif, forms, plan, stress, invest, trace, jobs)
