"""The home page and sign-in."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_home_counts_what_the_server_holds(client: TestClient):
    data = client.get("/api/").json()
    led = client.app.state.ledger  # type: ignore[attr-defined]
    assert data["lots"] == len(led.lots()) > 0
    assert data["ledger"] == "demo ledger"


def test_login_with_bad_token_is_401_on_the_page(client: TestClient):
    client.get("/login")
    csrf = client.cookies.get("oreline_csrf")
    r = client.post("/login", data={"token": "ol_x_y", "csrf": csrf},
                    headers={"accept": "text/html"})
    assert r.status_code == 401 and "unknown token" in r.text
