"""``oreline trace`` guides a user who mistypes, and says what it shows (newcomer findings)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oreline.cli.trace import app
from oreline.ledger import Ledger
from tests.ledger.ledgerkit import KMP, OX, L, doc, electrolysis, receipt, ship

runner = CliRunner()


def _ledger(path: Path, *events: dict[str, object]) -> Path:
    led = Ledger.open(path)
    led.register_site(KMP, "KMP", "KR", "alloying")
    if events:
        led.capture(doc(*events))
    led.close()
    return path


@pytest.mark.parametrize("args", [["stock"], ["verify"], ["lot", L + "a"], ["sites"],
                                  ["account", KMP, "Nd"], ["export"]])
def test_a_missing_ledger_file_is_named_not_created(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "dmeo.sqlite"
    res = runner.invoke(app, [*args, "--db", str(db)])
    assert res.exit_code == 6, res.output
    assert f"no ledger at {db}" in res.output and "trace demo" in res.output
    assert not db.exists()


def test_sites_are_declared_and_listed_on_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite"
    res = runner.invoke(app, ["site", KMP, "--name", "KMP Ochang", "--country", "KR",
                              "--stage", "alloying", "--db", str(db)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["site", KMP, "--name", "KMP Ochang", "--country", "US",
                              "--stage", "alloying", "--db", str(db)])
    assert res.exit_code == 6 and "already registered" in res.output  # append-only
    res = runner.invoke(app, ["site", "urn:oreline:site:x", "--name", "X", "--country",
                              "korea", "--stage", "alloying", "--db", str(db)])
    assert res.exit_code == 6 and "country 'korea'" in res.output
    res = runner.invoke(app, ["sites", "--json", "--db", str(db)])
    assert json.loads(res.output) == [{"id": KMP, "name": "KMP Ochang", "country": "KR",
                                       "stage": "alloying", "policy": "reject"}]
    csv = tmp_path / "r.csv"  # a CSV capture now finds its site
    csv.write_text("kind,time,site,lot,kg,material,form,assay,origin\n"
                   f"receive,2026-03-01T08:00:00+09:00,{KMP},{L}ox1,1000,NdPr oxide,oxide,"
                   "Nd=0.6430;Pr=0.2069,mined=AU;separated=MY\n")
    res = runner.invoke(app, ["capture", str(csv), "--db", str(db)])
    assert res.exit_code == 0 and "captured 1 event(s)" in res.output


def test_rolling_account_without_a_period_ends_at_the_accounts_latest_month(
        tmp_path: Path) -> None:
    db = _ledger(tmp_path / "r.sqlite", receipt("a", 1000.0),  # March, AU/MY: compliant
                 receipt("b", 1000.0, {"mined": "CN", "separated": "CN"}, day=20))
    res = runner.invoke(app, ["account", KMP, "Nd", "--method", "rolling", "--json",
                              "--db", str(db)])
    acct = json.loads(res.output)
    assert acct["window"] == "2025-04..2026-03"  # once 9999-01..9999-12, and 0 %
    assert acct["input_kg"] == pytest.approx(2000 * OX["Nd"])
    assert acct["percentage"] == pytest.approx(0.5)


def test_crma_report_checks_its_period_and_prints_a_table(tmp_path: Path) -> None:
    db = _ledger(tmp_path / "c.sqlite", receipt("a", 1000.0))
    for bad in ("2030-13", L + "a", "%"):
        res = runner.invoke(app, ["check", bad, "--rule", "crma-report", "--db", str(db)])
        assert res.exit_code == 6 and "is not YYYY or YYYY-MM" in res.output, res.output
    res = runner.invoke(app, ["check", "2026", "--db", str(db)])
    assert res.exit_code == 6 and "--rule crma-report" in res.output  # a period, not a lot
    res = runner.invoke(app, ["check", "2026-03", "--rule", "crma-report", "--db", str(db)])
    assert res.exit_code == 0 and "CRMA stage concentration, 2026-03: 0 lot(s)" in res.output
    res = runner.invoke(app, ["check", "2026-03", "--rule", "crma-report", "--json",
                              "--db", str(db)])
    assert json.loads(res.output)["period"] == "2026-03"


def test_keys_are_checked_before_they_are_used(tmp_path: Path) -> None:
    db = _ledger(tmp_path / "k.sqlite", receipt("a", 1000.0))
    res = runner.invoke(app, ["verify", "--trusted-key", "abcd", "--db", str(db)])
    assert res.exit_code == 6 and "64 hex digits" in res.output
    pack = tmp_path / "p.zip"
    res = runner.invoke(app, ["export", "--pack", str(pack), "--key", str(tmp_path / "no.key"),
                              "--db", str(db)])
    assert res.exit_code == 6 and "no key at" in res.output
    assert not pack.exists() and not (tmp_path / "no.key").exists()
    res = runner.invoke(app, ["checkpoint", "--key", str(tmp_path / "org.key"), "--db", str(db)])
    public = res.output.split("key ")[-1].split()[0]
    res = runner.invoke(app, ["export", "--pack", str(pack), "--key", str(tmp_path / "org.key"),
                              "--db", str(db)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["verify", "--pack", str(pack), "--trusted-key", public])
    assert res.exit_code == 0 and "pack verifies" in res.output


def test_lot_output_says_received_and_names_what_was_made(tmp_path: Path) -> None:


    metal_kg = round(400 * (OX["Nd"] + OX["Pr"]) * 0.96, 3)
    db = _ledger(tmp_path / "l.sqlite", receipt("ox", 1000.0),
                 electrolysis({"ox": 400.0}, "m" * 90, metal_kg),
                 ship("m" * 90, 5.0, day=21), ship("m" * 90, 5.0, day=20))
    res = runner.invoke(app, ["lot", L + "ox", "--db", str(db)])
    assert "1,000.0 kg received" in res.output
    assert f"made {L}{'m' * 90} NdPr metal (metal), {metal_kg - 10:,.1f} kg on hand" \
        in res.output
    shipped = [line for line in res.output.splitlines() if line.startswith("  2026-")]
    assert [s.split()[0] for s in shipped] == ["2026-03-20", "2026-03-21"]  # by date, local
    res = runner.invoke(app, ["lot", L + "m" * 90, "--direction", "back", "--db", str(db)])
    assert f"of {L}ox" in res.output and any(  # the tree is not cut at 80 columns
        len(line) > 80 and L + "ox" in line for line in res.output.splitlines())


def test_many_problems_are_listed_then_counted(tmp_path: Path) -> None:
    db = _ledger(tmp_path / "m.sqlite")
    bad = doc(*[receipt(f"x{i}", 5.0) for i in range(60)])
    for ev in bad["epcisBody"]["eventList"]:
        ev["quantityList"][0]["uom"] = "kg"
    f = tmp_path / "bad.jsonld"
    f.write_text(json.dumps(bad))
    res = runner.invoke(app, ["capture", str(f), "--db", str(db)])
    assert res.exit_code == 6 and "60 problem(s)" in res.output
    assert res.output.count("is not a UN/ECE Rec") == 26  # 25 listed, then a line of counts
    assert ("... and 35 more: 35 x quantityList[...].uom: uom 'kg' is not a UN/ECE Rec ... "
            "code") in res.output


def test_a_missing_database_driver_says_what_to_install(tmp_path: Path) -> None:
    res = runner.invoke(app, ["stock", "--db", "postgresql+pg8000://u:p@127.0.0.1/x"])
    assert res.exit_code == 8, res.output
    assert "driver is not installed" in res.output and "oreline[postgres]" in res.output


def test_small_mistakes_get_their_own_messages(tmp_path: Path) -> None:
    db = _ledger(tmp_path / "s.sqlite", receipt("a", 1000.0))
    res = runner.invoke(app, ["stock", "--site", "urn:oreline:site:nope", "--db", str(db)])
    assert res.exit_code == 6 and f"known sites: {KMP}" in res.output
    txt = tmp_path / "ops.txt"  # a CSV file under another extension
    txt.write_text("kind,time,site,lot,kg\nreceive,2026-03-01T08:00:00+09:00,x,y,1\n")
    res = runner.invoke(app, ["capture", str(txt), "--db", str(db)])
    assert res.exit_code == 6 and "rename it to end in .csv" in res.output
    bad = tmp_path / "bad.jsonld"
    bad.write_text('{"type": "EPCISDocument", "epcisBody": {"eventList": "x"}}')
    res = runner.invoke(app, ["capture", str(bad), "--db", str(db)])
    assert res.exit_code == 6 and "eventList is a str, not a list" in res.output


def test_trace_capture_names_the_csv_line_of_what_the_ledger_refuses(tmp_path: Path) -> None:
    db = _ledger(tmp_path / "c.sqlite", receipt("ox1", 1000.0))
    csv = tmp_path / "ops.csv"
    csv.write_text(
        "kind,time,site,lot,kg,material,form,assay,origin,step,inputs,customer\n"
        f"receive,2026-03-02T08:00:00+09:00,{KMP},{L}ox2,500,NdPr oxide,oxide,"
        "Nd=0.6430;Pr=0.2069,mined=AU;separated=MY,,,\n"
        f"transform,2026-03-05T08:00:00+09:00,{KMP},{L}m1,3000,NdPr metal,metal,"
        f"Nd=0.756;Pr=0.244,,electrolytic_reduction,{L}ox1=5000,\n")
    res = runner.invoke(app, ["capture", str(csv), "--db", str(db)])
    assert res.exit_code == 6
    assert "ops.csv:3: inputs: consumes 5000 kg" in res.output and "event[1]" not in res.output


def test_trace_lots_lists_shipped_and_consumed_lots_too(tmp_path: Path) -> None:
    metal_kg = round(400 * (OX["Nd"] + OX["Pr"]) * 0.96, 3)
    db = _ledger(tmp_path / "l.sqlite", receipt("ox", 400.0),
                 electrolysis({"ox": 400.0}, "m1", metal_kg), ship("m1", metal_kg))
    res = runner.invoke(app, ["lots", "--json", "--db", str(db)])
    rows = json.loads(res.output)
    assert [(r["lot"], r["form"], r["kg"], r["on_hand_kg"]) for r in rows] == [
        (L + "ox", "oxide", 400.0, 0.0), (L + "m1", "metal", metal_kg, 0.0)]
    res = runner.invoke(app, ["lots", "--form", "metal", "--json", "--db", str(db)])
    assert [r["lot"] for r in json.loads(res.output)] == [L + "m1"]
    res = runner.invoke(app, ["stock", "--lots", "--json", "--db", str(db)])
    assert json.loads(res.output) == []  # nothing on hand: only `lots` finds them
    res = runner.invoke(app, ["lot", L + "m2", "--db", str(db)])
    assert res.exit_code == 6 and "`oreline trace lots`" in res.output


def test_a_country_code_must_be_an_assigned_iso_code(tmp_path: Path) -> None:
    """KO (for KR) would pass DFARS as a 'known, non-covered' country: it is refused."""
    db = _ledger(tmp_path / "k.sqlite")
    res = runner.invoke(app, ["site", "urn:oreline:site:x", "--name", "X", "--country", "KO",
                              "--stage", "alloying", "--db", str(db)])
    assert res.exit_code == 6 and "'KR' (South Korea)" in res.output
    bad = doc(receipt("ox", 10.0, {"mined": "AU", "separated": "YM"}))  # MY swapped
    f = tmp_path / "r.jsonld"
    f.write_text(json.dumps(bad))
    res = runner.invoke(app, ["capture", str(f), "--db", str(db)])
    assert res.exit_code == 6 and "separated.country: country 'YM' is not an ISO" in res.output
    assert "'MY' (Malaysia)" in res.output
