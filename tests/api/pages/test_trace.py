"""Trace pages: overview, search, a lot's genealogy and verdicts, its certificate."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from oreline.ledger.certificate import certificate_html


@pytest.fixture(scope="module")
def alloy(client: TestClient) -> str:
    return str(client.get("/api/trace/lots", params={"q": "alloy"}).json()["lots"][0]["lot"])


def test_overview_verifies_the_chain(client: TestClient):
    data = client.get("/api/trace").json()
    led = client.app.state.ledger  # type: ignore[attr-defined]
    assert data["verify"]["ok"] and data["verify"]["entries"] == led.verify()["entries"]
    assert data["lots_total"] == len(led.lots())
    assert sum(s["kg"] for s in data["stock"]) == pytest.approx(
        sum(s["kg"] for s in led.stock()))


def test_search_matches_case_insensitively(client: TestClient):
    lower = client.get("/api/trace/lots", params={"q": "alloy"}).json()
    upper = client.get("/api/trace/lots", params={"q": "ALLOY"}).json()
    assert lower["total"] == upper["total"] > 0
    assert all("alloy" in (r["lot"] + r["form"] + r["material"]).lower() for r in lower["lots"])


def test_lot_verdicts_are_the_ledgers(client: TestClient, alloy: str):
    data = client.get("/api/trace/lot", params={"lot": alloy}).json()
    led = client.app.state.ledger  # type: ignore[attr-defined]
    assert data["dfars"]["status"] == led.check(alloy, "dfars-2027")["status"]
    assert data["crma"]["status"] == led.check(alloy, "crma")["status"]
    assert data["upstream"][0]["lot"] == alloy and data["upstream"][0]["depth"] == 0
    assert len(data["upstream"]) > 1
    cert = client.get(data["certificate"])  # the link the page gives opens the certificate
    assert cert.status_code == 200 and alloy in cert.text


def test_certificate_page_is_the_ledgers_renderer(client: TestClient, alloy: str):
    page = client.get("/trace/certificate", params={"lot": alloy}).text
    cert = client.get("/api/trace/certificate", params={"lot": alloy}).json()
    expected = certificate_html(cert)
    # issued_at differs by the second at most; compare the body without the stamp
    assert page.split("issued")[0] == expected.split("issued")[0]


def test_unknown_lot_is_404(client: TestClient):
    for url in ("/api/trace/lot", "/api/trace/certificate"):
        r = client.get(url, params={"lot": "urn:nope"})
        assert r.status_code == 404 and "not in the ledger" in r.json()["error"]["detail"]
    assert client.get("/api/trace/lot").status_code == 422


def test_the_verify_status_is_reused_until_the_head_moves(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The overview does not re-read the whole chain on every view, only after a capture."""
    from oreline.api.ledgerdata import overview
    from oreline.ledger import Ledger
    from tests.ledger.ledgerkit import KMP, doc, receipt

    led = Ledger.open(tmp_path / "l.sqlite")
    try:
        led.register_site(KMP, "KMP", "KR", "alloying")
        led.capture(doc(receipt("ox1", 10.0)))
        first = overview(led)["verify"]
        again = overview(led)["verify"]
        assert first is again and first["entries"] == 1  # the cached result, not a re-run
        led.capture(doc(receipt("ox2", 10.0)))
        moved = overview(led)["verify"]
        assert moved is not first and moved["ok"] and moved["entries"] == 2
    finally:
        led.close()
