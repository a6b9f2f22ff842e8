"""``oreline trace findings``, ``trace item`` and findings in ``trace capture``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from oreline.cli.trace import app
from oreline.ledger import Ledger
from tests.ledger.ledgerkit import KMP, L, doc, receipt, t

runner = CliRunner()
SERIAL = "urn:epc:id:sgtin:4012345.011111.101"


def _pieces(n: int) -> dict[str, Any]:
    """A receipt of 10 pieces of a new lot, with no mass per piece (a finding)."""
    ev = receipt(f"p{n}", 1.0)
    ev["quantityList"][0].update(quantity=10, uom="H87")
    return ev


def _ledger(tmp_path: Path) -> Path:
    db = tmp_path / "l.sqlite"
    led = Ledger.open(db)
    led.register_site(KMP, "KMP", "KR", "alloying")
    led.close()
    return db


def test_capture_lists_the_first_25_findings_and_counts_the_rest(tmp_path: Path) -> None:
    db = _ledger(tmp_path)
    events = [_pieces(n) for n in range(28)]
    agg = {"type": "AggregationEvent", "eventTime": t(3), "eventTimeZoneOffset": "+09:00",
           "action": "ADD", "parentID": "urn:epc:id:sscc:4012345.0000000777",
           "childEPCs": [SERIAL]}
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc(*events, agg)), encoding="utf-8")
    res = runner.invoke(app, ["capture", str(path), "--db", str(db)],
                        env={"COLUMNS": "300"}, terminal_width=300)
    assert res.exit_code == 0, res.output
    assert "captured 29 event(s)" in res.output
    assert res.output.count("finding ") == 25
    assert "... and 4 more: 3 x finding.pieces; 1 x outside.aggregation" in res.output
    listed = runner.invoke(app, ["findings", "--db", str(db), "--code", "finding.pieces",
                                 "--json"])
    assert len(json.loads(listed.output)) == 28
    every = runner.invoke(app, ["findings", "--db", str(db), "--all"],
                          env={"COLUMNS": "300"}, terminal_width=300)
    assert every.output.startswith("29 finding(s)")
    assert every.output.count("finding ") == 29


def test_item_traces_a_serial_to_its_lot(tmp_path: Path) -> None:
    db = _ledger(tmp_path)
    led = Ledger.open(db)
    led.capture(doc(receipt("alloy1", 50.0)))
    led.capture(doc({"type": "TransformationEvent", "eventTime": t(6),
                     "eventTimeZoneOffset": "+09:00", "bizStep": "commissioning",
                     "inputQuantityList": [{"epcClass": L + "alloy1", "quantity": 1.0,
                                            "uom": "KGM"}], "outputEPCList": [SERIAL]}))
    led.close()
    res = runner.invoke(app, ["item", SERIAL, "--db", str(db)],
                        env={"COLUMNS": "300"}, terminal_width=300)
    assert res.exit_code == 0, res.output
    assert f"made from {L}alloy1" in res.output and "mined AU" in res.output
    missing = runner.invoke(app, ["item", "urn:epc:id:sgtin:1.2.3", "--db", str(db)])
    assert missing.exit_code == 6 and "is not in the ledger" in missing.output
