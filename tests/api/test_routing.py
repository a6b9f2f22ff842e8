"""Every page has a JSON twin with the same data, and every twin is tested here."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from oreline.api.pages import AREAS
from oreline.report import fmt


def _lot(client: TestClient) -> str:
    return str(client.get("/api/trace/lots", params={"q": "alloy"}).json()["lots"][0]["lot"])


#: A sample URL of every page (filled with a lot and a job where the path needs one).
SAMPLES = {
    "/": "/", "/scenarios": "/scenarios", "/scenarios/{name}": "/scenarios/tiny",
    "/plan/{name}": "/plan/tiny", "/stress": "/stress", "/trace": "/trace",
    "/trace/lots": "/trace/lots?q=alloy", "/trace/lot": "/trace/lot?lot={lot}",
    "/jobs": "/jobs", "/jobs/{job_id}": "/jobs/{job}", "/compare": "/compare?a=tiny&b=tiny",
    "/invest": "/invest", "/invest/runs/{job_id}": None,  # pages/test_invest.py
    # tested beside their area: a finished sweep, files and the certificate page
    "/stress/runs/{job_id}": None, "/scenarios/{name}/export.{fmt}": None,
    "/trace/certificate": None, "/scenarios/{name}/edit": None,  # pages/test_whatif.py
    "/scenarios/{name}/edit/{kind}": None,  # pages/test_forms.py
}


def _twins() -> set[str]:
    html = {r.path for a in AREAS for r in a.html.routes
            if isinstance(r, APIRoute) and "GET" in r.methods}
    return {r.path for a in AREAS for r in a.api.routes
            if isinstance(r, APIRoute) and "GET" in r.methods and r.path in html}


def test_every_twin_has_a_sample():
    assert _twins() == set(SAMPLES)


def test_every_api_route_is_in_the_openapi_description(client: TestClient):
    described = set(client.get("/openapi.json").json()["paths"])
    for area in AREAS:
        for r in area.api.routes:
            assert isinstance(r, APIRoute)
            path = r.path.replace(":path}", "}")  # OpenAPI leaves out the converter
            assert "/api" + path in described, r.path


@pytest.fixture(scope="module")
def job(client: TestClient, tokens: dict[str, str]) -> str:
    r = client.post("/api/jobs", json={"kind": "plan", "scenario": "tiny"},
                    headers={"Authorization": f"Bearer {tokens['plan']}"})
    return str(r.json()["id"])


def _strings(data: Any) -> list[str]:
    """Short text values of a JSON document (names, ids), which the page must show."""
    if isinstance(data, dict):
        return [s for v in data.values() for s in _strings(v)]
    if isinstance(data, list):
        return [s for v in data[:5] for s in _strings(v)]
    return [data] if isinstance(data, str) and 2 < len(data) < 40 and "<" not in data else []


@pytest.mark.parametrize("path", [p for p, s in SAMPLES.items() if s])
def test_page_and_twin_show_the_same_data(client: TestClient, path: str, job: str):
    url = SAMPLES[path].format(lot=_lot(client), job=job)  # type: ignore[union-attr]
    page = client.get(url, headers={"accept": "text/html"})
    twin = client.get("/api" + url if url != "/" else "/api/")
    assert page.status_code == twin.status_code == 200, (page.text[:300], twin.text[:300])
    assert page.headers["content-type"].startswith("text/html")
    assert twin.headers["content-type"] == "application/json"
    data = twin.json()
    names = [s for s in _strings(data) if not s.startswith(("http", "/", "ni:"))][:25]
    import html

    text = html.unescape(page.text)
    missing = [s for s in names if s not in text and fmt.header(s) not in text]
    assert len(missing) <= len(names) // 2, missing  # the page shows what the twin holds


def test_twin_numbers_are_plain_json(client: TestClient):
    data = client.get("/api/plan/tiny").json()
    assert isinstance(data["kpis"]["margin"], float)
    assert data["fill_rate"]["columns"][0] == "customer"
