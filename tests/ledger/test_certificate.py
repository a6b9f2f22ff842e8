"""Certificates: unknown vs not reached, the CRMA table, offline verify, the title by
verdict, issuer, customer and shipments."""

from __future__ import annotations

from typing import Any

import pytest

from oreline.errors import LedgerError
from oreline.ledger import Ledger
from oreline.ledger.certificate import certificate_html
from oreline.origin import STAGES
from tests.ledger.ledgerkit import KMP, L, alloy_scenario, doc, ship


def test_certificate_tells_unknown_from_not_reached(ledger: Ledger) -> None:
    """An undeclared mine is "unknown"; a stage an alloy never reaches is null / a dash."""
    ledger.capture(doc(*alloy_scenario({"mined": None, "separated": "MY"})))
    cert = ledger.certificate(L + "a1")
    assert cert["stages_reached"] == ["mined", "separated", "refined", "melted"]
    by_lot = {tuple(p["lots"]): p["stages"] for p in cert["origin"]}
    assert by_lot[(L + "dyox1",)] == {"mined": "unknown", "separated": "MY",
                                      "refined": "KR", "melted": "KR", "produced": None}
    assert by_lot[(L + "ox1",)] == {"mined": "AU", "separated": "MY", "refined": "KR",
                                    "melted": "KR", "produced": None}
    sources = {s["lot"]: s["stages"] for s in cert["sources"]}
    assert sources[L + "dyox1"] == {"mined": "unknown", "separated": "MY", "refined": None,
                                    "melted": None, "produced": None}
    assert sources[L + "iron1"] == dict.fromkeys(STAGES)  # a reagent: no rare earths
    page = certificate_html(cert)
    table = page.split("<h2>Origin by stage</h2>")[1].split("<h2>")[0]
    assert "?" not in table
    # one dash per part (produced), one "unknown" (the Dy oxide's mine)
    assert table.count('<td class="not-reached" title="not reached">&mdash;</td>') == 2
    assert table.count(">unknown</td>") == 1
    dy_row = next(r for r in table.split("<tr>") if L + "dyox1" in r)
    assert dy_row.index(">unknown<") < dy_row.index(">MY<") < dy_row.index("&mdash;")


def test_certificate_html_lists_crma_rows_and_the_offline_verify_command(
        ledger: Ledger) -> None:
    ledger.capture(doc(*alloy_scenario({"mined": None, "separated": "MY"})))
    cert = ledger.certificate(L + "a1")
    page = certificate_html(cert)
    crma = page.split('<table class="crma">')[1].split("</table>")[0]
    dy = cert["crma"]["by_stage"]["separated"]["MY"] - cert["crma"]["by_stage"]["mined"]["AU"]
    expected = [("mined", "AU", f"{1 - dy:.1%}", "above-benchmark"),
                ("mined", "unknown", f"{dy:.1%}", "within-benchmark"),
                ("separated", "MY", "100.0%", "above-benchmark"),
                ("refined", "KR", "100.0%", "not-assessed"),
                ("melted", "KR", "100.0%", "not-assessed")]
    assert 0.01 < dy < 0.1  # the Dy addition's share of the rare earths
    assert crma.count("<tr>") == len(expected) + 1  # header
    for row in expected:
        assert "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" in crma
    assert "produced" not in crma  # an alloy is never produced
    assert (f"<code>oreline trace verify --pack PACK.zip --trusted-key "
            f"{cert['checkpoint']['public_key'] if cert['checkpoint'] else 'HEX'}</code>"
            in page)
    assert f"<code>oreline trace export --pack PACK.zip --lot {L}a1 --key KEY</code>" in page
    assert "<code>oreline trace verify</code>" not in page


def _shipped(ledger: Ledger, dy_origin: dict[str, Any]) -> str:
    """The alloy scenario, then 600 kg of the alloy shipped to a customer under a PO."""
    ev = ship("a1", 600.0, day=25, customer="urn:epc:id:pgln:0614141.00001",
              event_id="urn:uuid:ship-a1")
    ev["bizTransactionList"] = [{"type": "po", "bizTransaction": "urn:x:po:4711"}]
    ledger.capture(doc(*alloy_scenario(dy_origin), ev))
    return "urn:uuid:ship-a1"


def test_a_passing_lot_is_a_certificate_naming_issuer_customer_and_shipment(
        ledger: Ledger) -> None:
    ship_id = _shipped(ledger, {"mined": "AU", "separated": "MY"})
    cert = ledger.certificate(L + "a1", customer="Magnet Maker GmbH")
    assert cert["dfars_2027"]["status"] == "pass"
    assert cert["certificate"] == "certificate of conformance"
    assert cert["issuer"]["id"] == KMP and cert["issuer"]["name"] != KMP  # registered name
    [shipped] = cert["shipments"]
    assert (shipped["event_id"], shipped["kg"]) == (ship_id, 600.0)
    assert shipped["destination"] == ["urn:epc:id:pgln:0614141.00001"]
    assert shipped["business_transactions"] == [{"type": "po", "id": "urn:x:po:4711"}]
    assert ship_id in [r["event_id"] for r in cert["ledger_entries"]]  # its entry is cited
    page = certificate_html(cert)
    assert "<h1>Certificate of conformance</h1>" in page
    assert "Magnet Maker GmbH" in page and "po urn:x:po:4711" in page
    assert f"<b>{cert['issuer']['name']}</b>" in page
    # the demo origins carry no evidence documents: the pass says what it rests on
    assert cert["evidence_sha256"] == []
    assert "PASS on the declared origins only" in cert["verdict_note"]
    assert "no evidence document" in page


def test_a_failing_lot_is_never_titled_a_certificate_of_conformance(ledger: Ledger) -> None:
    _shipped(ledger, {"mined": "CN", "separated": "CN"})
    cert = ledger.certificate(L + "a1")
    assert cert["dfars_2027"]["status"] == "fail"
    assert "conformance" not in cert["certificate"].replace("not conform", "")
    assert cert["certificate"].startswith("origin statement")
    page = certificate_html(cert)
    assert "Certificate of conformance" not in page
    assert "<h1>Origin statement: does not conform to DFARS 252.225-7052</h1>" in page


def test_an_unproven_lot_and_an_unknown_shipment(ledger: Ledger) -> None:
    _shipped(ledger, {"mined": None, "separated": "MY"})
    cert = ledger.certificate(L + "a1", shipment="urn:uuid:ship-a1")
    assert (cert["dfars_2027"]["status"], cert["certificate"]) == (
        "unproven", "origin statement: conformance not proven")
    with pytest.raises(LedgerError, match="no shipment of lot"):
        ledger.certificate(L + "a1", shipment="urn:uuid:nope")


def test_a_lot_never_shipped_says_so(ledger: Ledger) -> None:
    ledger.capture(doc(*alloy_scenario({"mined": "AU", "separated": "MY"})))
    cert = ledger.certificate(L + "a1")
    assert cert["shipments"] == [] and cert["customer"] is None
    assert "none recorded for this lot" in certificate_html(cert)
