"""Messages name what is there: no ``bizStep None``, no made-up paths, EPC lists as such."""

from __future__ import annotations

from typing import Any

import pytest

from oreline.errors import CaptureError, Issue
from oreline.ledger import Ledger
from oreline.ledger.profile.builder import site_master_data
from tests.ledger.ledgerkit import KMP, L, doc, electrolysis, receipt, t


def refusal(ledger: Ledger, document: dict[str, Any]) -> list[Issue]:
    with pytest.raises(CaptureError) as err:
        ledger.capture(document)
    return err.value.issues


def test_a_transformation_without_a_bizstep(sqlite_ledger: Ledger) -> None:
    sqlite_ledger.capture(doc(receipt("ox1", 100.0)))
    ev = electrolysis({"ox1": 100.0}, "m1", 60.0)
    del ev["bizStep"]
    [issue] = refusal(sqlite_ledger, doc(ev))
    assert (issue.field, issue.message, issue.code) == (
        "bizStep", "a transformation has no bizStep", "step.unknown")
    assert "None" not in str(issue)


def test_outputs_listed_as_epcs_are_kept_as_items_not_called_missing(
        sqlite_ledger: Ledger) -> None:
    """Serialised outputs are an items transformation (kept with findings), never "no outputs"."""
    sqlite_ledger.capture(doc(receipt("ox1", 100.0)))
    ev = electrolysis({"ox1": 100.0}, "m1", 60.0)
    del ev["outputQuantityList"]
    ev["outputEPCList"] = [f"urn:epc:id:sgtin:0614141.107346.{n}" for n in range(3)]
    sqlite_ledger.capture(doc(ev))
    found = sqlite_ledger.findings()
    assert found, "an items transformation must leave a finding"
    assert all("has no outputs" not in f["message"] for f in found)
    assert any(f["field"].startswith("outputEPCList") for f in found), found


def test_a_transformation_with_no_outputs_at_all(sqlite_ledger: Ledger) -> None:
    sqlite_ledger.capture(doc(receipt("ox1", 100.0)))
    ev = electrolysis({"ox1": 100.0}, "m1", 60.0)
    del ev["outputQuantityList"]
    issues = refusal(sqlite_ledger, doc(ev))
    assert [(i.field, i.message) for i in issues if i.code == "transformation.no_outputs"] == [
        ("outputQuantityList", "transformation has no outputs")]


def test_an_unknown_child_lot_is_named_in_its_real_list(sqlite_ledger: Ledger) -> None:
    """The aggregation's lots were once named ``quantity[0]``, a field no event has."""
    sqlite_ledger.capture(doc(receipt("ox1", 100.0)))
    agg = {"type": "AggregationEvent", "eventTime": t(3), "eventTimeZoneOffset": "+09:00",
           "action": "ADD", "parentID": "urn:epc:id:sscc:0614141.1234567890",
           "childQuantityList": [{"epcClass": L + "ox1", "quantity": 10, "uom": "KGM"},
                                 {"epcClass": L + "nope", "quantity": 5, "uom": "KGM"}],
           "bizLocation": {"id": KMP}}
    sqlite_ledger.capture(doc(agg))
    fields = {(f["field"], f["code"]) for f in sqlite_ledger.findings()}
    assert any(field == "childQuantityList[1].epcClass" for field, _ in fields), fields
    assert not any(field.startswith("childQuantityList[0]") and "unknown" in code
                   for field, code in fields), fields


def test_an_error_declaration_without_its_time(sqlite_ledger: Ledger) -> None:
    ev = receipt("ox1", 100.0)
    ev["errorDeclaration"] = {"reason": "incorrect_data"}
    issues = refusal(sqlite_ledger, doc(ev))
    [issue] = [i for i in issues if i.field == "errorDeclaration.declarationTime"]
    assert issue.message == "declarationTime is missing"


def test_a_bad_site_is_named_by_its_path_in_the_header(sqlite_ledger: Ledger) -> None:
    master = site_master_data([{"id": "urn:oreline:site:x", "name": "X", "country": "ZZ",
                                "stage": "alloying"}])
    document = doc(receipt("ox1", 100.0))
    document["epcisHeader"] = {"epcisMasterData": master}
    [issue] = refusal(sqlite_ledger, document)
    assert issue.where == ("epcisHeader.epcisMasterData.vocabularyList[0]"
                           ".vocabularyElementList[0] (urn:oreline:site:x)")
    assert issue.code == "site.country"
