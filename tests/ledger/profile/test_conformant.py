"""Capture refuses documents that are not conformant EPCIS 2.0, whole, before any stock moves."""

from __future__ import annotations

import pytest

from oreline.errors import CaptureError
from oreline.ledger import Ledger
from oreline.ledger.profile.conformant import parse_for_capture
from tests.ledger.ledgerkit import doc, receipt, ship


def test_a_misspelt_shipping_step_is_refused_and_stock_stays(sqlite_ledger: Ledger) -> None:
    """Before: ``"bizStep": "shiping"`` was captured and the 400 kg silently stayed."""
    sqlite_ledger.capture(doc(receipt("ox1", 1000.0)))
    before = sqlite_ledger.stock()
    bad = ship("ox1", 400.0)
    bad["bizStep"] = "shiping"
    with pytest.raises(CaptureError) as err:
        sqlite_ledger.capture(doc(receipt("ox2", 10.0, day=2), bad))
    [issue] = err.value.issues
    assert issue.field == "epcisBody.eventList[1].bizStep"
    assert issue.where.startswith("event[1]")
    assert "'shiping'" in issue.message
    assert issue.fix.startswith("did you mean 'shipping'?")
    assert sqlite_ledger.stock() == before  # the whole document refused, its receipt too
    good = ship("ox1", 400.0)
    sqlite_ledger.capture(doc(good))
    [row] = sqlite_ledger.stock()
    assert row["kg"] == pytest.approx(600.0)


def test_schema_problems_join_the_profile_problems_without_repeating_them() -> None:
    event = receipt("ox1", 1000.0)
    del event["action"]  # structure: "action is missing" (and the schema's, left out)
    event["lotNumber"] = "A1"  # schema only: an extension field without a namespace
    with pytest.raises(CaptureError) as err:
        parse_for_capture(doc(event))
    fields = [(i.field, i.code) for i in err.value.issues]
    assert fields == [("action", "action.invalid"),
                      ("epcisBody.eventList[0].lotNumber", "schema.field_name")]


def test_a_document_the_profile_accepts_but_the_schema_refuses() -> None:
    d = doc(receipt("ox1", 1000.0))
    d["schemaVersion"] = 2
    with pytest.raises(CaptureError) as err:
        parse_for_capture(d)
    assert [(i.where, i.field, i.code) for i in err.value.issues] == [
        ("document", "schemaVersion", "schema.type")]


def test_a_bare_event_of_the_builders_is_read_with_the_standard_context() -> None:
    event = receipt("ox1", 1000.0)
    assert "@context" not in event
    [parsed], _ = parse_for_capture(event)
    assert parsed.raw == event
    bad = dict(event, bizStep="receving")
    with pytest.raises(CaptureError) as err:
        parse_for_capture(bad)
    assert [(i.field, i.fix[:28]) for i in err.value.issues] == [
        ("bizStep", "did you mean 'receiving'? Us")]


def test_a_document_without_context_is_refused() -> None:
    d = doc(receipt("ox1", 1000.0))
    del d["@context"]
    with pytest.raises(CaptureError) as err:
        parse_for_capture(d)
    assert [(i.field, i.code) for i in err.value.issues] == [("@context", "schema.required")]
