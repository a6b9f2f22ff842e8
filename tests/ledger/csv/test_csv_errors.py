"""Problems in a CSV file are named by file, line and column, in file order."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from oreline.cli.trace import app
from oreline.errors import CaptureError, Issue
from oreline.ledger import Ledger
from oreline.ledger.csv.importer import CsvDocument, capture_csv, locate, read_csv
from tests.ledger.ledgerkit import KMP, L, t

runner = CliRunner()
HEAD = "kind,time,site,lot,kg,material,form,assay,origin,step,inputs,customer\n"
OX, METAL, EL = "Nd=0.6;Pr=0.2;O=0.2", "Nd=0.75;Pr=0.25", "electrolytic_reduction"
RECEIVE = f"receive,{t(1)},{KMP},{L}ox-1,1000,NdPr oxide,oxide,{OX},mined=AU,,,\n"
REDUCE = f"transform,{t(2)},{KMP},{L}m-1,300,NdPr metal,metal,{METAL},,{EL},{L}ox-1=500,\n"


def _problems(tmp_path: Path, text: str) -> list[Issue]:
    f = tmp_path / "ops.csv"
    f.write_text(text)
    with pytest.raises(CaptureError) as info:
        read_csv(f)
    return info.value.issues


def _ledger(tmp_path: Path) -> Ledger:
    led = Ledger.open(tmp_path / "x.sqlite")
    led.register_site(KMP, "KMP", "KR", "alloying")
    return led


def test_a_row_with_more_cells_than_the_header_is_rejected(tmp_path: Path) -> None:
    row = f"receive,{t(1)},{KMP},{L}ox-1,1000,NdPr oxide, 99%,oxide,{OX},mined=AU,,,\n"
    issues = _problems(tmp_path, HEAD + RECEIVE + row)
    assert [(i.where, i.message) for i in issues] == [
        ("ops.csv:3", "the row has 13 cells but the header has 12")]
    assert "needs quotes" in issues[0].fix
    f = tmp_path / "ops.csv"
    res = runner.invoke(app, ["capture", str(f), "--db", str(tmp_path / "c.sqlite")])
    assert res.exit_code == 6 and "ops.csv:3: the row has 13 cells" in res.output


def test_a_column_missing_from_the_header_is_reported_once_on_line_1(
        tmp_path: Path) -> None:
    head = HEAD.replace("kg,", "")
    rows = [r.replace(",1000,", ",") for r in (RECEIVE, RECEIVE.replace("ox-1", "ox-2"))]
    issues = _problems(tmp_path, head + "".join(rows))
    assert [(i.where, i.field, i.message) for i in issues] == [
        ("ops.csv:1", "kg", "column kg is missing from the header; receive rows need it")]
    assert issues[0].fix == "add it to the header, and its cell to each row"
    issues = _problems(tmp_path, HEAD.replace("material,form,", "") + RECEIVE.replace(
        "NdPr oxide,oxide,", "") + REDUCE.replace("NdPr metal,metal,", "").replace(
        "300,", "x,"))
    assert [(i.where, i.field) for i in issues] == [("ops.csv:1", "material, form"),
                                                    ("ops.csv:3", "kg")]
    assert issues[0].message == ("columns material, form are missing from the header; "
                                 "receive and transform rows need them")


def test_one_empty_cell_is_fill_it_in(tmp_path: Path) -> None:
    issues = _problems(tmp_path, HEAD + RECEIVE.replace("1000", ""))
    assert [(str(i)) for i in issues] == [
        "ops.csv:2: kg: receive row leaves kg empty (fix: fill it in)"]


@pytest.mark.parametrize(("row", "column", "message", "fix"), [
    (REDUCE.replace("=500", ":500"), "inputs", "'urn:oreline:lot:ox-1:500' is not lot=kg",
     "write pairs like urn:oreline:lot:ox-1=600;urn:oreline:lot:ox-2=400"),
    (REDUCE.replace("=500", "=0"), "inputs", "'0' kg of urn:oreline:lot:ox-1 is not a "
     "positive, finite mass", "give the kilograms consumed"),
    (REDUCE.replace(f"{L}ox-1=", "ox-1="), "inputs", "lot 'ox-1' is not a URI",
     "urn:oreline:lot:ox-1"),
    (RECEIVE.replace("mined=AU", "AU"), "origin", "'AU' is not stage=country",
     "write pairs like mined=AU;separated=MY"),
    (RECEIVE.replace("mined=AU", "mined=Australia"), "origin",
     "country 'Australia' is not an ISO 3166-1 alpha-2 code; did you mean 'AU' (Australia)?",
     "mined=AU"),
    (RECEIVE.replace("Nd=0.6", "Nd 0.6"), "assay", "'Nd 0.6' is not element=fraction",
     "write pairs like Nd=0.64;Pr=0.21"),
    (RECEIVE.replace("Nd=0.6", "Nd=1.6"), "assay", "assay fraction of Nd is 1.6, outside "
     "0..1", "e.g. Nd=0.64;Pr=0.21"),
    (RECEIVE.replace(",oxide,", ",oxyde,"), "form", "form 'oxyde' is not one of ours",
     "use one of ore, concentrate"),
    (RECEIVE.replace("1000", "-5"), "kg", "kg '-5' is not positive",
     "give the net mass in kilograms"),
    (RECEIVE.replace("1000", "nan"), "kg", "kg 'nan' is not a finite number",
     "give the net mass in kilograms"),
    (RECEIVE.replace("+09:00", ""), "time", "time '2026-03-01T08:00:00' has no time zone "
     "offset", "e.g. 2026-03-01T08:00:00+09:00"),
    (RECEIVE.replace("+09:00", "+15:00"), "time", "time '2026-03-01T08:00:00+15:00' has "
     "offset +15:00, not one from -14:00 to +14:00", "e.g. 2026-03-01T08:00:00+09:00"),
    (RECEIVE.replace(t(1), "1 March"), "time", "time '1 March' is not an ISO 8601 "
     "timestamp", "e.g. 2026-03-01T08:00:00+09:00"),
    (RECEIVE.replace(f"{L}ox-1", "ox-1"), "lot", "lot 'ox-1' is not a URI",
     "write it as a URI, e.g. urn:oreline:lot:ox-1"),
    (RECEIVE.replace(KMP, "KMP"), "site", "site 'KMP' is not a URI",
     "e.g. urn:oreline:site:kmp"),
    (f"ship,{t(3)},{KMP},{L}ox-1,10,,,,,,,ACME\n", "customer", "customer 'ACME' is not a "
     "URI", "e.g. urn:oreline:party:acme"),
    (REDUCE.replace(EL, "oreline:BizStep-" + EL), "step", f"step 'oreline:BizStep-{EL}' is "
     "not a step name", f"write {EL}, without the oreline:BizStep- prefix"),
    (REDUCE.replace(EL, "electrolysis"), "step", "step 'electrolysis' is not one of our "
     "steps", f"use one of separation, {EL}, calciothermic_reduction"),
])
def test_bad_cells_name_line_column_and_a_csv_fix(
        tmp_path: Path, row: str, column: str, message: str, fix: str) -> None:
    issues = _problems(tmp_path, HEAD + RECEIVE + row)
    assert [(i.where, i.field, i.message) for i in issues] == [("ops.csv:3", column, message)]
    assert fix in issues[0].fix
    assert "oreline:BizStep-" + EL not in issues[0].fix


def test_cell_problems_follow_file_order_with_the_header_first(tmp_path: Path) -> None:
    head = HEAD.replace(",customer", "")
    rows = (RECEIVE.replace("1000", "-1")[:-2] + "\n" + "bogus,,,,,,,,,,\n"
            + f"ship,{t(3)},{KMP},{L}ox-1,10,,,,,,,urn:x\n"
            + REDUCE.replace(EL, "x")[:-2] + "\n")
    issues = _problems(tmp_path, head + rows)
    assert [(i.where, i.field) for i in issues] == [
        ("ops.csv:2", "kg"), ("ops.csv:3", "kind"), ("ops.csv:4", ""), ("ops.csv:5", "step")]


def _mutated(tmp_path: Path) -> CsvDocument:
    """A CSV document whose events are broken past what the cells check."""
    f = tmp_path / "ops.csv"
    f.write_text(HEAD + RECEIVE + "\n" + REDUCE)  # a blank line: the rows are on 2 and 4
    doc = read_csv(f)
    receive, reduce = doc["epcisBody"]["eventList"]
    receive["quantityList"][0]["quantity"] = -5.0
    reduce["eventTime"], reduce["eventTimeZoneOffset"] = "2026-03-02T08:00:00", ":00:00"
    reduce["bizStep"] = "oreline:BizStep-electrolysis"
    reduce["ilmd"]["oreline:lotMaster"][L + "m-1"]["assay"]["Nd"] = 1.6
    reduce["outputQuantityList"][0]["epcClass"] = "m-1"
    reduce["ilmd"]["oreline:lotMaster"]["m-1"] = reduce["ilmd"]["oreline:lotMaster"].pop(
        L + "m-1")
    return doc


def test_problems_of_events_name_the_row_and_column(tmp_path: Path) -> None:
    doc = _mutated(tmp_path)
    assert doc.lines == [2, 4]
    led = _ledger(tmp_path)
    try:
        with pytest.raises(CaptureError) as info:
            capture_csv(led, doc)
    finally:
        led.close()
    got = [(i.where, i.field, i.message) for i in info.value.issues]
    assert got == [
        ("ops.csv:2", "kg", "quantity -5.0 is not positive"),
        ("ops.csv:4", "time", "eventTime '2026-03-02T08:00:00' has no time zone offset or "
         "is not ISO 8601"),
        ("ops.csv:4", "lot", "epcClass 'm-1' is not a URI"),
        ("ops.csv:4", "assay", "assay fraction of Nd is 1.6, outside 0..1"),
        ("ops.csv:4", "step", "bizStep 'oreline:BizStep-electrolysis' is not a "
         "transformation step of our profile")]
    fixes = {i.field: i.fix for i in info.value.issues}
    assert fixes["kg"] == "give the net mass in kilograms, e.g. 1000"
    assert fixes["time"].endswith("e.g. 2026-03-01T08:00:00+09:00")
    assert fixes["lot"] == "write it as a URI, e.g. urn:oreline:lot:ox-1"
    assert fixes["assay"] == "correct the assay cell"
    assert fixes["step"].startswith(f"use one of separation, {EL},")
    assert "oreline:BizStep-" + EL not in fixes["step"]


def test_problems_found_against_the_ledger_name_the_row(tmp_path: Path) -> None:
    rows = (f"ship,{t(3)},{KMP},{L}zz,5,,,,,,,\n"
            + RECEIVE.replace(KMP, "urn:oreline:site:nope")
            + REDUCE.replace("=500", "=5000"))
    f = tmp_path / "ops.csv"
    f.write_text(HEAD + RECEIVE + rows)
    led = _ledger(tmp_path)
    try:
        with pytest.raises(CaptureError) as info:
            capture_csv(led, read_csv(f))
        again = tmp_path / "again.csv"
        again.write_text(HEAD + RECEIVE)
        capture_csv(led, read_csv(again))
        twice = capture_csv(led, read_csv(again))  # a file imported again is a no-op
    finally:
        led.close()
    assert [(i.where, i.field, i.message) for i in info.value.issues] == [
        ("ops.csv:3", "lot", f"lot {L}zz is unknown"),
        ("ops.csv:4", "site", "site 'urn:oreline:site:nope' is unknown"),
        ("ops.csv:5", "inputs", f"consumes 5000 kg of lot {L}ox-1 but 1000 kg is on hand "
         f"at {KMP}")]
    assert "Ledger.register_site" in info.value.issues[1].fix
    assert (twice.events, len(twice.held)) == (0, 1)


def test_locate_keeps_file_order_and_other_issues() -> None:
    doc = CsvDocument({}, "ops.csv", [2, 5, 9])
    issues = [Issue("event[2] (a) (campaign urn:c)", "transformationID", "late", "fix the "
                    "transformationID (\"oreline:closeCampaign\": true)"),
              Issue("event[0]", "eventTime", "no offset", "x"),
              Issue("event[0]", "eventTimeZoneOffset", "bad offset", "x"),
              Issue("document", "type", "whole", "y"),
              Issue("event[1] (b)", "outputQuantityList", "balance", "z")]
    assert [(i.where, i.field, i.message, i.fix) for i in locate(issues, doc)] == [
        ("document", "type", "whole", "y"),
        ("ops.csv:2", "time", "no offset",
         "write the date and time with its offset, e.g. 2026-03-01T08:00:00+09:00"),
        ("ops.csv:5", "kg, assay, inputs", "balance", "z"),
        ("ops.csv:9", "campaign", "late", "fix the campaign ID (close true)")]


def test_capture_csv_passes_other_sources_through(tmp_path: Path) -> None:
    led = _ledger(tmp_path)
    try:
        with pytest.raises(CaptureError) as info:
            capture_csv(led, {"type": "Nothing"})
    finally:
        led.close()
    assert info.value.issues[0].where == "document"
