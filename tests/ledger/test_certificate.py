"""Certificates of conformance: unknown vs not reached, the CRMA table, offline verify."""

from __future__ import annotations

from oreline.ledger import Ledger
from oreline.ledger.certificate import certificate_html
from oreline.origin import STAGES
from tests.ledger.ledgerkit import L, alloy_scenario, doc


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
