"""The CSV importer chooses fixes by :attr:`Issue.code`; each code it matches comes from
the check that raises it."""

from __future__ import annotations

import ast
import inspect

import pytest

from oreline.errors import CaptureError, Issue
from oreline.ledger import Ledger
from oreline.ledger.csv import lines
from oreline.ledger.csv.importer import csv_to_document
from oreline.ledger.csv.lines import capture_csv
from oreline.ledger.epcis.standard import check_event
from oreline.ledger.profile.parse import parse_document
from tests.ledger.ledgerkit import KMP, doc, receipt

HEADER = "kind,time,site,lot,kg,material,form,assay,origin\n"
ROW = ("receive,2026-01-05T09:00:00+09:00,{site},urn:oreline:lot:c1,1000,NdPr oxide,oxide,"
       "Nd=0.64;Pr=0.21,mined=AU;separated=MY\n")


def _issues(run: object) -> list[Issue]:
    with pytest.raises(CaptureError) as exc:
        run()  # type: ignore[operator]
    return exc.value.issues


def test_every_code_the_importer_matches_is_known() -> None:
    matched = {code for code, _column in lines._FIXES} | {lines._URI_CODE}
    assert matched == {"quantity.not_positive", "site.unknown", "event.captured",
                       "uri.invalid"}


def test_quantity_not_positive_comes_from_the_profile_check() -> None:
    ev = receipt("q1", 10.0)
    ev["quantityList"][0]["quantity"] = -5
    codes = {i.code for i in _issues(lambda: parse_document(doc(ev)))}
    assert "quantity.not_positive" in codes


def test_uri_invalid_comes_from_the_standard_check() -> None:
    issues: list[Issue] = []
    check_event({"type": "ObjectEvent", "eventTime": "2026-03-01T08:00:00+09:00",
                 "eventTimeZoneOffset": "+09:00", "action": "OBSERVE",
                 "epcList": ["not a uri"]}, "event[0]", issues)
    assert [i.code for i in issues] == ["uri.invalid"]


def test_site_unknown_and_event_captured_come_from_capture(sqlite_ledger: Ledger) -> None:
    unknown = receipt("s1", 10.0)
    unknown["bizLocation"] = {"id": "urn:oreline:site:nowhere"}
    assert "site.unknown" in {i.code for i in _issues(lambda: sqlite_ledger.capture(
        doc(unknown)))}
    sqlite_ledger.capture(doc(receipt("s2", 10.0, event_id="urn:uuid:s2")))
    # the same event again is held (a no-op); another event under its eventID is refused
    assert sqlite_ledger.capture(doc(receipt("s2", 10.0, event_id="urn:uuid:s2"))).held == [
        "urn:uuid:s2"]
    assert "event.captured" in {i.code for i in _issues(lambda: sqlite_ledger.capture(
        doc(receipt("s3", 10.0, event_id="urn:uuid:s2"))))}


def test_csv_fixes_follow_the_codes(sqlite_ledger: Ledger) -> None:
    text = HEADER + ROW.format(site="urn:oreline:site:nowhere")
    [issue] = _issues(lambda: capture_csv(sqlite_ledger, csv_to_document(text, "ops.csv")))
    assert (issue.where, issue.field, issue.code) == ("ops.csv:2", "site", "site.unknown")
    assert issue.fix == lines._FIXES[("site.unknown", "site")]
    good = csv_to_document(HEADER + ROW.format(site=KMP), "ops.csv")
    capture_csv(sqlite_ledger, good)
    assert capture_csv(sqlite_ledger, good).held  # imported again: a no-op


def test_the_importer_never_reads_message_text() -> None:
    for module in (lines,):
        tree = ast.parse(inspect.getsource(module))
        reads = [node for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                 and node.attr == "message" and isinstance(node.ctx, ast.Load)]
        # the one read copies the message into the located issue, unchanged
        assert len(reads) == 1


def test_every_issue_code_is_listed_in_the_docs() -> None:
    import re
    from pathlib import Path

    root = Path(lines.__file__).resolve().parents[3]  # src/
    found = {m for p in (root / "oreline").rglob("*.py")
             for m in re.findall(r'code(?::\s*str)?\s*=\s*"([a-z_.]+)"', p.read_text("utf-8"))}
    docs = (root.parent / "docs" / "trace.md").read_text("utf-8")
    assert found >= {"uri.invalid", "stock.short", "epcis.structure"}
    assert [c for c in sorted(found) if f"`{c}`" not in docs] == []
