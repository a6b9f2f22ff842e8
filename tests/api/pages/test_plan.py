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
