"""``oreline trace`` commands end to end, and the CSV import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ledgerkit import KMP, L, doc, receipt
from typer.testing import CliRunner

from oreline.ledger import Ledger
from oreline.ledger.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("demo")
    db, key = d / "demo.sqlite", d / "org.key"
    res = runner.invoke(app, ["demo", "--db", str(db), "--months", "3", "--key", str(key)])
    assert res.exit_code == 0, res.output
    assert "captured" in res.output
    return db, key


def _alloys(db: Path) -> dict[str, str]:
    led = Ledger.open(db)
    try:
        out: dict[str, str] = {}
        for ev in led.events():
            if "strip_casting" in str(ev.get("bizStep")):
                lot = ev["outputQuantityList"][0]["epcClass"]
                out.setdefault(led.check(lot)["status"], lot)
        return out
    finally:
        led.close()


def test_demo_tells_the_whole_story(demo_db: tuple[Path, Path]) -> None:
    db, _ = demo_db
    verdicts = _alloys(db)
    assert set(verdicts) == {"pass", "fail", "unproven"}
    res = runner.invoke(app, ["lot", verdicts["fail"], "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "trace back" in res.output and "mined CN" in res.output
    res = runner.invoke(app, ["check", verdicts["fail"], "--db", str(db)])
    assert res.exit_code == 1 and "FAIL" in res.output and "cn-dy" in res.output
    res = runner.invoke(app, ["check", verdicts["pass"], "--db", str(db)])
    assert res.exit_code == 0 and "PASS" in res.output
    res = runner.invoke(app, ["check", verdicts["unproven"], "--db", str(db)])
    assert res.exit_code == 1 and "mined stage country unknown" in res.output
    res = runner.invoke(app, ["verify", "--db", str(db)])
    assert res.exit_code == 0 and "1 signed checkpoint" in res.output


def test_demo_is_consistent_with_the_recipes(demo_db: tuple[Path, Path]) -> None:
    db, _ = demo_db
    led = Ledger.open(db)
    try:
        alloy = led.lot(_alloys(db)["pass"])
        assert alloy["assay"]["Nd"] + alloy["assay"]["Pr"] == pytest.approx(0.29, abs=1e-4)
        assert alloy["assay"]["Dy"] == pytest.approx(0.015)
        assert alloy["assay"]["B"] == pytest.approx(0.01)
        tree = led.trace_back(alloy["lot"])
        metal = next(i["lot"] for i in tree["inputs"] if i["lot"]["form"] == "metal"
                     and "NdPr" in i["lot"]["material"])
        oxide_kg = sum(i["kg"] for i in metal["inputs"])
        ratio = oxide_kg / metal["kg"]
        assert 1.176 / 0.97 <= ratio <= 1.176 / 0.95 + 1e-3  # ~96 % recovery
    finally:
        led.close()


def test_stock_certificate_export_and_pack(demo_db: tuple[Path, Path], tmp_path: Path) -> None:
    db, key = demo_db
    res = runner.invoke(app, ["stock", "--db", str(db), "--json"])
    assert res.exit_code == 0
    rows = json.loads(res.output)
    assert any(r["material"] == "NdPr metal" for r in rows)
    lot = _alloys(db)["pass"]
    html = tmp_path / "c.html"
    res = runner.invoke(app, ["certificate", lot, "--db", str(db), "--out", str(html)])
    assert res.exit_code == 0 and "pass" in res.output
    assert "Certificate of conformance" in html.read_text()
    res = runner.invoke(app, ["certificate", lot, "--db", str(db), "--format", "json",
                              "--out", str(tmp_path / "c.json")])
    cert = json.loads((tmp_path / "c.json").read_text())
    assert cert["dfars_2027"]["status"] == "pass" and cert["evidence_sha256"]
    out = tmp_path / "e.jsonld"
    res = runner.invoke(app, ["export", "--db", str(db), "--lot", lot, "--out", str(out)])
    assert res.exit_code == 0
    assert json.loads(out.read_text())["type"] == "EPCISDocument"
    pack = tmp_path / "p.zip"
    res = runner.invoke(app, ["export", "--db", str(db), "--lot", lot, "--pack", str(pack),
                              "--key", str(key)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["verify", "--pack", str(pack)])
    assert res.exit_code == 0 and "pack verifies" in res.output


def test_bad_input_gives_a_message_not_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite"
    led = Ledger.open(db)
    led.register_site(KMP, "KMP", "KR", "alloying")
    led.close()
    bad = doc(receipt("x", 5.0))
    del bad["epcisBody"]["eventList"][0]["quantityList"][0]["uom"]
    f = tmp_path / "bad.jsonld"
    f.write_text(json.dumps(bad))
    res = runner.invoke(app, ["capture", str(f), "--db", str(db)])
    assert res.exit_code == 6
    assert "Traceback" not in res.output
    assert "event[0]" in res.output and "has no uom" in res.output
    res = runner.invoke(app, ["lot", "urn:nope", "--db", str(db)])
    assert res.exit_code == 6 and "not in the ledger" in res.output
    res = runner.invoke(app, ["capture", str(tmp_path / "missing.jsonld"), "--db", str(db)])
    assert res.exit_code == 6 and "cannot read the file" in res.output


def test_csv_import_captures_receive_transform_ship(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    led = Ledger.open(db)
    led.register_site(KMP, "KMP", "KR", "alloying")
    led.close()
    csv = tmp_path / "ops.csv"
    csv.write_text(
        "kind,time,site,lot,kg,material,form,assay,origin,step,inputs,customer\n"
        f"receive,2026-03-01T08:00:00+09:00,{KMP},{L}ox1,1000,NdPr oxide,oxide,"
        "Nd=0.6430;Pr=0.2069,mined=AU;separated=MY,,,\n"
        f"transform,2026-03-02T08:00:00+09:00,{KMP},{L}m1,326,NdPr metal,metal,"
        f"Nd=0.7566;Pr=0.2434,,electrolytic_reduction,{L}ox1=400,\n"
        f"ship,2026-03-03T08:00:00+09:00,{KMP},{L}m1,100,,,,,,,urn:oreline:party:x\n")
    res = runner.invoke(app, ["capture", str(csv), "--db", str(db)])
    assert res.exit_code == 0, res.output
    led = Ledger.open(db)
    assert led.lot(L + "m1")["on_hand_kg"] == pytest.approx(226.0)
    assert led.check(L + "m1")["status"] == "pass"
    led.close()
    csv.write_text("kind,time,site,lot,kg,assay\nreceive,t,s,l,abc,Nd=x\nbogus,,,,,\n")
    res = runner.invoke(app, ["capture", str(csv), "--db", str(db)])
    assert res.exit_code == 6
    assert "ops.csv:2" in res.output and "ops.csv:3" in res.output


def test_every_trace_command_is_documented() -> None:
    text = (Path(__file__).parents[2] / "docs" / "trace.md").read_text()
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in
             app.registered_commands]
    assert len(names) >= 9
    for name in names:
        assert f"trace {name}" in text, f"`oreline trace {name}` is missing from docs/trace.md"


def test_account_command(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    led = Ledger.open(db)
    led.register_site(KMP, "KMP", "KR", "alloying")
    led.capture(doc(receipt("mb", 1000.0, custody="mass_balance", claim_share=0.5)))
    led.close()
    res = runner.invoke(app, ["account", KMP, "Nd", "--db", str(db), "--json"])
    assert res.exit_code == 0, res.output
    acct = json.loads(res.output)
    from ledgerkit import OX

    assert acct["closing_kg"] == pytest.approx(1000.0 * OX["Nd"] * 0.5)
    res = runner.invoke(app, ["account", KMP, "Nd", "--db", str(db), "--method", "rolling",
                              "--period", "2026-03"])
    assert res.exit_code == 0 and "50.0%" in res.output


def test_account_command_shows_process_losses(tmp_path: Path) -> None:
    from ledgerkit import t

    from oreline.ledger import lot_master, transform_event

    db = tmp_path / "a.sqlite"
    led = Ledger.open(db)
    led.register_site(KMP, "KMP", "KR", "alloying")
    led.capture(doc(receipt("ox", 1000.0, assay={"Nd": 0.6, "Pr": 0.2, "O": 0.2}),
                    transform_event("electrolytic_reduction", site=KMP, time=t(5),
                                    inputs={L + "ox": 500.0}, outputs={L + "m": (
                                        385.0, lot_master("metal", "metal",
                                                          {"Nd": 0.75, "Pr": 0.25}))})))
    led.close()
    res = runner.invoke(app, ["account", KMP, "Nd", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert ("credits 600.000 kg - debits 11.250 kg (claims 0.000 kg, process losses "
            "11.250 kg) = closing 588.750 kg") in " ".join(res.output.split())
    res = runner.invoke(app, ["account", KMP, "Nd", "--db", str(db), "--method", "rolling",
                              "--period", "2026-03"])
    assert "100.0% of 588.750 kg input (net of 11.250 kg process losses)" in " ".join(
        res.output.split())
    res = runner.invoke(app, ["account", KMP, "Nd", "--db", str(db), "--entries", "--json"])
    rows = json.loads(res.output)["entries"]
    assert [(r["seq"], r["kind"], r["input_kg"], r["debit_kg"]) for r in rows] == [
        (1, "receipt", 600.0, 0.0), (2, "loss", pytest.approx(-11.25), pytest.approx(11.25))]
    res = runner.invoke(app, ["account", KMP, "Nd", "--db", str(db), "--entries"])
    assert "entry 2 loss: input -11.250 credit 0.000 debit 11.250 kg" in res.output


def test_rejection_prints_ids_and_issues_literally(tmp_path):
    """No rich markup or emoji codes leak into messages (urn:x:lot is not an emoji)."""
    import json
    import subprocess
    import sys

    doc = {"type": "EPCISDocument", "epcisBody": {"eventList": [{
        "type": "ObjectEvent", "action": "ADD", "eventTime": "2026-01-05T10:00:00",
        "quantityList": [{"epcClass": "urn:x:lot:1", "quantity": 5}]}]}}
    path = tmp_path / "bad.jsonld"
    path.write_text(json.dumps(doc), encoding="utf-8")
    res = subprocess.run([sys.executable, "-c", "from oreline.cli import main; main()", "trace",
                          "capture", str(path), "--db", str(tmp_path / "l.sqlite")],
                         capture_output=True, text=True, timeout=120,
                         env={"COLUMNS": "300", "PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert res.returncode == 6
    assert "lot urn:x:lot:1 has no uom" in res.stderr
    assert "[red]" not in res.stderr
    assert "Traceback" not in res.stderr


def test_piped_output_is_exactly_the_document(demo_db: tuple[Path, Path]) -> None:
    """JSON, HTML and EPCIS on stdout are not wrapped at the terminal width; tables and
    lot IDs print whole."""
    db, _ = demo_db
    lot = _alloys(db)["pass"]
    res = runner.invoke(app, ["certificate", lot, "--db", str(db), "--format", "json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["dfars_2027"]["status"] == "pass"
    res = runner.invoke(app, ["certificate", lot, "--db", str(db)])
    assert "<th>melted</th>" in res.stdout  # not split across lines as "<th>mel" / "ted"
    res = runner.invoke(app, ["export", "--db", str(db), "--lot", lot])
    exported = json.loads(res.stdout)
    assert exported["type"] == "EPCISDocument" and lot in res.stdout
    res = runner.invoke(app, ["stock", "--lots", "--db", str(db)])
    assert res.exit_code == 0
    rows = json.loads(runner.invoke(app, ["stock", "--lots", "--db", str(db),
                                          "--json"]).stdout)
    assert rows and all(r["lot"] in res.stdout for r in rows)  # each ID on one line
    res = runner.invoke(app, ["lot", "urn:oreline:lot:nothing", "--db", str(db)])
    assert res.exit_code == 6 and "trace stock --lots" in res.output


def test_full_export_captures_into_an_empty_ledger(demo_db: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    db, _ = demo_db
    out = tmp_path / "all.jsonld"
    assert runner.invoke(app, ["export", "--db", str(db), "--out", str(out)]).exit_code == 0
    header = json.loads(out.read_text())["epcisHeader"]["epcisMasterData"]
    assert "BusinessLocation" in header["vocabularyList"][0]["type"]
    fresh = tmp_path / "copy.sqlite"
    res = runner.invoke(app, ["capture", str(out), "--db", str(fresh)])
    assert res.exit_code == 0, res.output
    a, b = Ledger.open(db), Ledger.open(fresh)
    try:
        assert [e["eventID"] if "eventID" in e else e["eventTime"] for e in a.events()] == [
            e["eventID"] if "eventID" in e else e["eventTime"] for e in b.events()]
        assert a.stock() == b.stock()
        assert b.verify(deep=True)["entries"] == a.verify()["entries"]
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize(("where", "message"), [
    ("missing/dir/x.sqlite", "does not exist; create it"),
    (".", "is a directory; give a file path"),
])
def test_unusable_db_path_is_named_with_a_fix(tmp_path: Path, where: str,
                                              message: str) -> None:
    res = runner.invoke(app, ["stock", "--db", str(tmp_path / where)])
    assert res.exit_code == 8
    assert message in res.output and "sqlalche.me" not in res.output


def test_account_and_check_name_bad_arguments(demo_db: tuple[Path, Path]) -> None:
    db, _ = demo_db
    site = "urn:oreline:site:kmp-ochang"
    for args, message in [
        (["account", "urn:oreline:site:nowhere", "Nd"], "is not in the ledger; known sites: "
                                                        + site),
        (["account", site, "Xx"], "'Xx' is not an element symbol"),
        (["account", site, "Nd", "--period", "2026-13"], "period '2026-13' is not YYYY-MM"),
        (["check", "urn:oreline:lot:x", "--rule", "dfars2027"], "or crma-report for a period"),
    ]:
        res = runner.invoke(app, [*args, "--db", str(db)])
        assert res.exit_code == 6, res.output
        assert message in res.output
    ok = runner.invoke(app, ["account", site, "Nd", "--period", "2026-02", "--db", str(db)])
    assert ok.exit_code == 0, ok.output
    lot = _alloys(db)["pass"]
    res = runner.invoke(app, ["check", lot, "--rule", "DFARS-2027", "--db", str(db)])
    assert res.exit_code == 0 and "PASS" in res.output
    report = json.loads(runner.invoke(app, ["check", "2026", "--rule", "crma-report",
                                            "--db", str(db)]).stdout)
    shares = [v for st in report["stages"].values() for v in st["shares"].values()]
    assert shares and all(v == round(v, 6) for v in shares)


def test_values_that_cannot_be_hashed_are_refused_in_words(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite"
    led = Ledger.open(db)
    led.register_site(KMP, "KMP", "KR", "alloying")
    led.close()
    f = tmp_path / "bad.jsonld"
    for bad, message in [('"quantity": NaN', "is not positive"),
                         ('"oreline:note": 1e400', "cannot be hashed as JSON"),
                         ('"eventID": "urn:x:\\ud800"', "cannot be hashed as JSON"),
                         ('"recordTime": "0001-01-01T00:00:00+01:00"', "recordTime")]:
        ev = json.dumps(receipt("x", 5.0))
        if bad.startswith('"quantity"'):
            ev = ev.replace('"quantity": 5.0', bad)
        else:
            ev = ev[:-1] + ", " + bad + "}"
        f.write_text('{"type": "EPCISDocument", "epcisBody": {"eventList": [' + ev + "]}}")
        res = runner.invoke(app, ["capture", str(f), "--db", str(db)])
        assert res.exit_code == 6, (bad, res.output)
        assert message in res.output and "Traceback" not in res.output
