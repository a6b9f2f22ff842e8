"""``oreline trace`` commands end to end, and the CSV import."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from oreline.cli.trace import app
from oreline.errors import CaptureError
from oreline.ledger import Ledger, lot_master, receive_event, transform_event
from oreline.ledger.csv.importer import csv_to_document, read_csv
from oreline.ledger.store.schema import campaign_lines
from tests.ledger.ledgerkit import KMP, L, doc, receipt, t

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("demo")
    db, key = d / "demo.sqlite", d / "org.key"
    res = runner.invoke(app, ["demo", "--db", str(db), "--months", "3", "--key", str(key)])
    assert res.exit_code == 0, res.output
    assert "captured" in res.output
    return db, key


def _new_ledger(db: Path) -> None:
    """An empty ledger file at ``db`` with the KMP site registered."""
    led = Ledger.open(db)
    led.register_site(KMP, "KMP", "KR", "alloying")
    led.close()


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
    assert res.exit_code == 9 and "FAIL" in res.output and "cn-dy" in res.output
    res = runner.invoke(app, ["check", verdicts["pass"], "--db", str(db)])
    assert res.exit_code == 0 and "PASS" in res.output
    res = runner.invoke(app, ["check", verdicts["pass"], "--rule", "crma", "--db", str(db)])
    assert res.exit_code == 9 and "ABOVE-BENCHMARK" in res.output
    assert ("  - above-benchmark separated in MY (third country, cap 65%) 100.0% of the lot"
            in res.output.splitlines())
    res = runner.invoke(app, ["check", verdicts["unproven"], "--db", str(db)])
    assert res.exit_code == 9 and "mined stage country unknown" in res.output
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
    # the certificate's footer command verifies that pack, with the key it names
    page = html.read_text()
    assert f"oreline trace export --pack PACK.zip --lot {lot} --key KEY" in page
    footer = page.split("<code>oreline trace verify ")[1].split("</code>")[0].split()
    assert footer[:3] == ["--pack", "PACK.zip", "--trusted-key"]
    res = runner.invoke(app, ["verify", "--pack", str(pack), "--trusted-key", footer[3]])
    assert res.exit_code == 0 and "pack verifies" in res.output
    assert all(e["entry_hash"] in _manifest_hashes(pack) for e in cert["ledger_entries"])


def _manifest_hashes(pack: Path) -> set[str]:
    with zipfile.ZipFile(pack) as zf:
        return {m["entry_hash"] for m in json.loads(zf.read("manifest.json"))}


def test_bad_input_gives_a_message_not_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite"
    _new_ledger(db)
    bad = doc(receipt("x", 5.0))
    bad["epcisBody"]["eventList"][0]["quantityList"][0]["uom"] = "kg"
    f = tmp_path / "bad.jsonld"
    f.write_text(json.dumps(bad))
    res = runner.invoke(app, ["capture", str(f), "--db", str(db)])
    assert res.exit_code == 6
    assert "Traceback" not in res.output
    assert "event[0]" in res.output and "is not a UN/ECE Rec 20 code" in res.output
    res = runner.invoke(app, ["lot", "urn:nope", "--db", str(db)])
    assert res.exit_code == 6 and "not in the ledger" in res.output
    res = runner.invoke(app, ["capture", str(tmp_path / "missing.jsonld"), "--db", str(db)])
    assert res.exit_code == 6 and "cannot read the file" in res.output


def test_csv_import_captures_receive_transform_ship(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    _new_ledger(db)
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


# A campaign in CSV. Oxide assays Nd 0.60 / Pr 0.20 / O 0.20 (0.8 kg rare earths per kg),
# metal Nd 0.75 / Pr 0.25. Electrolysis accepts 92.5-99.5 % recovery.
CAMP = "urn:oreline:campaign:E-2026-03"
CSV_HEAD = ("kind,time,site,lot,kg,material,form,assay,origin,step,inputs,customer,"
            "campaign,close\n")
OXIDE_CELL, METAL_CELL = "Nd=0.6;Pr=0.2;O=0.2", "Nd=0.75;Pr=0.25"
EL = "electrolytic_reduction"


def _feed_row(lot: str, kg: float, day: int) -> str:
    return f"transform,{t(day)},{KMP},,,,,,,{EL},{L}{lot}={kg},,{CAMP},\n"


def _tap_row(lot: str, kg: float, day: int, close: str = "") -> str:
    return (f"transform,{t(day)},{KMP},{L}{lot},{kg},NdPr metal,metal,{METAL_CELL},,{EL},,,"
            f"{CAMP},{close}\n")


def _campaign_events() -> list[dict[str, Any]]:
    """The CSV files' events built with the Python API."""
    oxide, metal = {"Nd": 0.6, "Pr": 0.2, "O": 0.2}, {"Nd": 0.75, "Pr": 0.25}

    def tap(lot: str, kg: float, day: int, close: bool = False) -> dict[str, Any]:
        return transform_event(EL, site=KMP, time=t(day), campaign=CAMP, close=close,
                               inputs={}, outputs={L + lot: (kg, lot_master(
                                   "NdPr metal", "metal", metal))})

    return [receive_event(L + "ox1", kg=1000.0, site=KMP, time=t(1), material="NdPr oxide",
                          form="oxide", assay=oxide, origin={"mined": "AU", "separated": "MY"}),
            receive_event(L + "ox2", kg=1000.0, site=KMP, time=t(1), material="NdPr oxide",
                          form="oxide", assay=oxide, origin={"mined": "CN", "separated": "CN"}),
            transform_event(EL, site=KMP, time=t(5), campaign=CAMP,
                            inputs={L + "ox1": 600.0}, outputs={}),
            tap("m1", 240.0, 7),
            transform_event(EL, site=KMP, time=t(9), campaign=CAMP,
                            inputs={L + "ox2": 400.0}, outputs={}),
            tap("m2", 530.0, 12, close=True)]


def _campaign_outcome(led: Ledger) -> dict[str, Any]:
    lots = ("ox1", "ox2", "m1", "m2")
    return {"lots": {m: led.lot(L + m) for m in lots},
            "edges": {m: {i["lot"]["lot"]: i["kg"] for i in led.trace_back(L + m)["inputs"]}
                      for m in ("m1", "m2")},
            "accounts": [led.account(KMP, el) for el in ("Nd", "Pr")],
            "check": {m: led.check(L + m)["status"] for m in ("m1", "m2")}}


def test_csv_campaign_fed_twice_and_tapped_twice_matches_the_python_api(
        tmp_path: Path) -> None:
    """Two CSV files, as two days' captures: receipts, feed 600 kg AU oxide (480 kg rare
    earths, RE) on day 5 and tap m1 240 kg on day 7; feed 400 kg CN oxide (320 kg RE) on
    day 9 and the closing tap m2 530 kg on day 12.

    m1 takes 240/480 = 1/2 of the cell: 300 kg ox1, 100 % AU. The cell then holds ox1
    300 kg (240 kg RE) and ox2 400 kg (320 kg RE); m2 closes, so it takes all of it:
    300 kg ox1 and 400 kg ox2, AU share 240/560 = 3/7. Nd 0.75 x 770 = 577.5 of 600 kg
    fed (96.25 %). On hand: ox1 1000 - 600 = 400 kg, ox2 1000 - 400 = 600 kg.
    """
    db = tmp_path / "csv.sqlite"
    _new_ledger(db)
    day1 = tmp_path / "day1.csv"
    day1.write_text(
        CSV_HEAD
        + f"receive,{t(1)},{KMP},{L}ox1,1000,NdPr oxide,oxide,{OXIDE_CELL},"
          "mined=AU;separated=MY,,,,,\n"
        + f"receive,{t(1)},{KMP},{L}ox2,1000,NdPr oxide,oxide,{OXIDE_CELL},"
          "mined=CN;separated=CN,,,,,\n"
        + _feed_row("ox1", 600, 5) + _tap_row("m1", 240, 7, close="no"))
    day2 = tmp_path / "day2.csv"
    day2.write_text(CSV_HEAD + _feed_row("ox2", 400, 9) + _tap_row("m2", 530, 12, "TRUE"))
    for f in (day1, day2):
        res = runner.invoke(app, ["capture", str(f), "--db", str(db)])
        assert res.exit_code == 0, res.output
    assert [e for f in (day1, day2) for e in read_csv(f)["epcisBody"]["eventList"]] == (
        _campaign_events())
    led = Ledger.open(db)
    try:
        got = _campaign_outcome(led)
        assert {m: got["lots"][m]["on_hand_kg"] for m in got["lots"]} == {
            "ox1": pytest.approx(400.0), "ox2": pytest.approx(600.0),
            "m1": pytest.approx(240.0), "m2": pytest.approx(530.0)}
        assert got["edges"] == {"m1": {L + "ox1": pytest.approx(300.0)},
                                "m2": {L + "ox1": pytest.approx(300.0),
                                       L + "ox2": pytest.approx(400.0)}}
        au = {m: sum(p["share"] for p in got["lots"][m]["origin"]
                     if p["stages"]["mined"] == "AU") for m in ("m1", "m2")}
        assert au == {"m1": pytest.approx(1.0), "m2": pytest.approx(3 / 7)}
        assert got["check"] == {"m1": "pass", "m2": "fail"}
        with led.store.read() as conn:
            c = campaign_lines.c
            lines = conn.execute(select(c.role, c.lot_id, c.kg).where(c.campaign == CAMP)
                                 .order_by(c.id)).all()
        assert [(r, lot.removeprefix(L), kg) for r, lot, kg in lines] == [
            ("input", "ox1", 600.0), ("output", "m1", 240.0), ("input", "ox2", 400.0),
            ("output", "m2", 530.0), ("close", "", 0.0)]
        led.verify(deep=True)
    finally:
        led.close()
    api = Ledger.open(tmp_path / "api.sqlite")  # the same events in one document
    try:
        api.register_site(KMP, "KMP", "KR", "alloying")
        api.capture(doc(*_campaign_events()))
        assert _campaign_outcome(api) == got
    finally:
        api.close()


_OX_RECEIPT = (f"receive,{t(1)},{KMP},{L}ox1,1000,NdPr oxide,oxide,{OXIDE_CELL},"
               "mined=AU,,,,,\n")


@pytest.mark.parametrize(("rows", "line", "column", "message", "fix"), [
    (_tap_row("m1", 240, 7, close="maybe"), 3, "close", "close 'maybe' is not true or "
     "false", "write true to close the campaign"),
    (_tap_row("m1", 240, 7).replace(f"{EL},,,{CAMP},", f"{EL},{L}ox1=300,,,true"), 3,
     "close",
     "close is true but campaign is empty", "give the campaign's transformationID in the "
     "campaign column"),
    (_tap_row("m1", 240, 7).replace(CAMP, "E 1"), 3, "campaign", "campaign 'E 1' is not a "
     "URI", "urn:oreline:campaign:"),
    (f"ship,{t(7)},{KMP},{L}ox1,10,,,,,,,,{CAMP},\n", 3, "campaign", "a ship row cannot "
     "name or close a campaign", "leave campaign and close empty"),
    (f"receive,{t(1)},{KMP},{L}ox9,10,NdPr oxide,oxide,{OXIDE_CELL},,,,,,yes\n", 3, "close",
     "a receive row cannot name or close a campaign", "make the row a transform"),
    (f"transform,{t(5)},{KMP},,,,,,,{EL},,,{CAMP},\n", 3, "inputs, lot",
     f"campaign row of {CAMP} feeds nothing and taps nothing", "fill inputs (a feed)"),
    (_tap_row("m1", 240, 7).replace("NdPr metal,metal", ","), 3, "material, form",
     "transform row leaves material, form empty", "a feed row of a campaign leaves all"),
    (_tap_row("m1", 240, 7).replace(CAMP, ""), 3, "inputs",
     "transform row leaves inputs empty", "fill it in"),
    (_tap_row("m1", 240, 7, "true") + "\n" + _tap_row("m2", 10, 8), 5, "campaign",
     f"campaign {CAMP} was closed on line 3", "close the campaign on its last row"),
])
def test_bad_campaign_cells_name_file_line_column_and_fix(
        tmp_path: Path, rows: str, line: int, column: str, message: str, fix: str) -> None:
    f = tmp_path / "ops.csv"
    f.write_text(CSV_HEAD + _OX_RECEIPT + rows)
    with pytest.raises(CaptureError) as info:
        read_csv(f)
    assert [(i.where, i.field, i.message) for i in info.value.issues] == [
        (f"ops.csv:{line}", column, message)]
    assert fix in info.value.issues[0].fix
    res = runner.invoke(app, ["capture", str(f), "--db", str(tmp_path / "x.sqlite")])
    assert res.exit_code == 6 and f"ops.csv:{line}: {column}: {message}" in " ".join(
        res.output.split())


def test_old_csv_files_and_empty_campaign_cells_give_the_same_document() -> None:
    old = ("kind,time,site,lot,kg,material,form,assay,origin,step,inputs\n"
           f"receive,{t(1)},{KMP},{L}ox1,1000,NdPr oxide,oxide,{OXIDE_CELL},mined=AU,,\n"
           f"transform,{t(5)},{KMP},{L}m1,385,NdPr metal,metal,{METAL_CELL},,{EL},"
           f"{L}ox1=500\n")
    new = CSV_HEAD + "".join(row + ",,,false\n" for row in old.splitlines()[1:])
    events = csv_to_document(old)["epcisBody"]["eventList"]
    assert csv_to_document(new)["epcisBody"]["eventList"] == events
    assert "transformationID" not in events[1] and "oreline:closeCampaign" not in events[1]
    assert events[1]["inputQuantityList"] == [{"epcClass": L + "ox1", "quantity": 500.0,
                                               "uom": "KGM"}]


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
    from tests.ledger.ledgerkit import OX

    assert acct["closing_kg"] == pytest.approx(1000.0 * OX["Nd"] * 0.5)
    res = runner.invoke(app, ["account", KMP, "Nd", "--db", str(db), "--method", "rolling",
                              "--period", "2026-03"])
    assert res.exit_code == 0 and "50.0%" in res.output


def test_account_command_shows_process_losses(tmp_path: Path) -> None:
    from oreline.ledger import lot_master, transform_event
    from tests.ledger.ledgerkit import t

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
        "quantityList": [{"epcClass": "urn:x:lot:1", "quantity": 5, "uom": "kg"}]}]}}
    path = tmp_path / "bad.jsonld"
    path.write_text(json.dumps(doc), encoding="utf-8")
    res = subprocess.run([sys.executable, "-c", "from oreline.cli import main; main()", "trace",
                          "capture", str(path), "--db", str(tmp_path / "l.sqlite")],
                         capture_output=True, text=True, timeout=120,
                         env={"COLUMNS": "300", "PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert res.returncode == 6
    assert "uom 'kg' is not a UN/ECE Rec 20 code" in res.stderr
    assert "[dim]" not in res.stderr
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
    assert res.exit_code == 6 and "`oreline trace lots`" in res.output


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


@pytest.mark.parametrize(("command", "where", "message", "code"), [
    (["site", KMP, "--name", "K", "--country", "KR", "--stage", "alloying"],
     "missing/dir/x.sqlite", "does not exist; create it", 8),
    (["stock"], "missing/dir/x.sqlite", "no ledger at", 6),  # reading: nothing to read
    (["stock"], ".", "is a directory; give a file path", 8),
])
def test_unusable_db_path_is_named_with_a_fix(tmp_path: Path, command: list[str], where: str,
                                              message: str, code: int) -> None:
    res = runner.invoke(app, [*command, "--db", str(tmp_path / where)])
    assert res.exit_code == code, res.output
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
                                            "--json", "--db", str(db)]).stdout)
    shares = [v for st in report["stages"].values() for v in st["shares"].values()]
    assert shares and all(v == round(v, 6) for v in shares)


def test_values_that_cannot_be_hashed_are_refused_in_words(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite"
    _new_ledger(db)
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


def test_the_campaign_csv_example_of_the_docs_captures(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "docs" / "trace.md").read_text()
    example = text.split("```text\n")[1].split("```")[0]
    assert "urn:oreline:campaign:E-2026-01,true" in example
    f = tmp_path / "e.csv"
    f.write_text(example)
    led = Ledger.open(tmp_path / "e.sqlite")
    try:
        led.register_site(KMP, "KMP", "KR", "alloying")
        led.capture(receive_event(L + "ox-1", kg=1000.0, site=KMP, time=t(1),
                                  material="NdPr oxide", form="oxide",
                                  assay={"Nd": 0.643, "Pr": 0.207},
                                  origin={"mined": "AU", "separated": "MY"}))
        led.capture(read_csv(f))
        assert led.lot(L + "ox-1")["on_hand_kg"] == pytest.approx(500.0)
        edges = led.trace_back(L + "m-1")["inputs"]
        assert [(i["lot"]["lot"], i["kg"]) for i in edges] == [(L + "ox-1",
                                                                pytest.approx(500.0))]
    finally:
        led.close()
