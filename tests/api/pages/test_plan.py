"""The plan page: demand modes, the page's figures, bad modes."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_demand_modes_are_cached_apart(client: TestClient):
    firm = client.get("/api/plan/tiny", params={"demand": "firm"}).json()
    expected = client.get("/api/plan/tiny").json()
    assert firm["demand_mode"] == "firm" and expected["demand_mode"] == "expected"
    assert firm["key"] != expected["key"]


def test_page_holds_every_figure_and_table(client: TestClient):
    page = client.get("/plan/tiny").text
    for key in ("sankey", "production", "inventory", "sales"):
        assert f'id="plot-{key}"' in page and f'id="fig-{key}"' in page
    for section in ("demand", "purchases", "dfars", "classes", "shadow"):
        assert f'<section id="{section}">' in page
    assert "-0.0" not in page.split("<script")[0]


def test_unknown_demand_mode_is_422(client: TestClient):
    r = client.get("/api/plan/tiny", params={"demand": "most"})
    assert r.status_code == 422 and "demand" in r.json()["error"]["detail"]


def test_plotly_is_served_from_the_package(client: TestClient):
    from pathlib import Path

    import plotly

    r = client.get("/static/plotly.min.js")
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert r.status_code == 200 and r.content == path.read_bytes()
    assert "cdn" not in client.get("/plan/tiny").text.split("<main>")[0].lower()


def test_a_cached_page_carries_each_browsers_own_csrf_value(client: TestClient) -> None:
    """The plan page is rendered once and reused; each browser still gets its own CSRF
    value in every form, and the reused page equals a fresh render."""
    import re

    from fastapi.testclient import TestClient as Browser

    from oreline.api import routing
    from oreline.api.security import CSRF_COOKIE

    first = client.get("/plan/tiny").text
    # a second browser, no cookies yet (no `with`: the app's lifespan is the session's)
    other = Browser(client.app)
    page = other.get("/plan/tiny")
    values = set(re.findall(r'name="csrf" value="([^"]+)"', page.text))
    assert values == {page.cookies.get(CSRF_COOKIE) or other.cookies.get(CSRF_COOKIE)}
    mine = set(re.findall(r'name="csrf" value="([^"]+)"', first))
    assert len(mine) == 1 and mine != values
    assert routing._CSRF_MARK not in first + page.text
    routing._RENDERED.clear()  # a fresh render gives the same page
    assert client.get("/plan/tiny").text == first
