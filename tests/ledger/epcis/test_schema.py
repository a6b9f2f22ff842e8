"""The official EPCIS 2.0 JSON Schema, offline: its verdicts and the messages made of them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from oreline.ledger.epcis.document import make_document
from oreline.ledger.epcis.schema import load_schema, schema_issues

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def good_event(**fields: Any) -> dict[str, Any]:
    return {"type": "ObjectEvent", "eventTime": "2026-03-01T08:00:00+09:00",
            "eventTimeZoneOffset": "+09:00", "action": "OBSERVE",
            "epcList": ["urn:epc:id:sgtin:0614141.107346.2018"], **fields}


def test_the_vendored_schema_is_gs1s() -> None:
    schema = load_schema()
    assert schema["$id"] == "https://gs1.github.io/EPCIS/EPCIS-JSON-Schema.json"
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_a_good_document_has_no_issues() -> None:
    assert schema_issues(make_document([good_event()] * 3)) == []


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"action": "CREATE"}, "epcisBody.eventList[1].action", "schema.enum"),
    ({"eventTime": "22-07-2026"}, "epcisBody.eventList[1].eventTime", "schema.format"),
    ({"eventTime": "2026-03-01T08:00:00"}, "epcisBody.eventList[1].eventTime",
     "schema.format"),
    ({"eventTimeZoneOffset": "+15:00"}, "epcisBody.eventList[1].eventTimeZoneOffset",
     "schema.pattern"),
    ({"ilmd": {"lot": 1}}, "epcisBody.eventList[1].ilmd.lot", "schema.field_name"),
    ({"lotNumber": "x"}, "epcisBody.eventList[1].lotNumber", "schema.field_name"),
    ({"quantityList": [{"epcClass": "urn:x:y", "quantity": "2"}]},
     "epcisBody.eventList[1].quantityList[0].quantity", "schema.type"),
    ({"quantityList": [{"epcClass": "urn:x:y", "weight": 2}]},
     "epcisBody.eventList[1].quantityList[0]", "schema.unexpected"),
    ({"epcList": ["not a uri"]}, "epcisBody.eventList[1].epcList[0]", "schema.format"),
    ({"readPoint": {}}, "epcisBody.eventList[1].readPoint.id", "schema.required"),
])
def test_one_bad_field_is_named_by_its_json_path(change: dict[str, Any], field: str,
                                                 code: str) -> None:
    doc = make_document([good_event(), good_event(**change), good_event()])
    issues = schema_issues(doc)
    assert [(i.where, i.field, i.code) for i in issues] == [("event[1]", field, code)]
    assert issues[0].fix


def test_missing_fields() -> None:
    ev = good_event()
    del ev["action"], ev["epcList"]
    doc = make_document([ev])
    del doc["@context"]
    got = {(i.where, i.field, i.code) for i in schema_issues(doc)}
    assert ("document", "@context", "schema.required") in got
    assert ("event[0]", "epcisBody.eventList[0].action", "schema.required") in got
    # no identifiers: one problem with the event as a whole, the forms listed in the fix
    whole = [i for i in schema_issues(doc) if i.field == "epcisBody.eventList[0]"]
    assert [i.code for i in whole] == ["schema.any_of"]
    assert "epcList is missing; or quantityList is missing" in whole[0].fix


def test_the_event_label_carries_the_event_id() -> None:
    doc = make_document([good_event(eventID="urn:uuid:1", action="X")])
    assert schema_issues(doc)[0].where == "event[0] (urn:uuid:1)"


def test_text_that_is_not_unicode_is_refused_cleanly() -> None:
    doc = make_document([good_event(bizStep="\ud800")])
    assert [i.code for i in schema_issues(doc)] == ["document.json"]


def test_the_schema_is_not_changed_by_validation() -> None:
    before = copy.deepcopy(load_schema())
    schema_issues(make_document([good_event(action="X")]))
    assert load_schema() == before
