"""The CBV 2.0 vocabulary check: terms, URIs, extensions, and the fix for a typo."""

from __future__ import annotations

from typing import Any

import pytest

from oreline.ledger.epcis.schema import load_schema
from oreline.ledger.epcis.vocabulary import VOCABULARIES, declared_prefixes, vocabulary_issues

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
#: Each vocabulary and the JSON Schema definition that enumerates the same terms.
SCHEMA_ENUM = {
    "bizStep": "bizStep", "disposition": "disposition", "sourceDestType": "source-dest-type",
    "bizTransactionType": "bizTransaction-type", "errorReason": "error-reason",
    "component": "component", "measurementType": "measurementType",
    "alertType": "sensorAlertType",
}


def document(*events: dict[str, Any], context: list[Any] | None = None) -> dict[str, Any]:
    return {"@context": context or [CONTEXT], "type": "EPCISDocument",
            "epcisBody": {"eventList": list(events)}}


def event(**fields: Any) -> dict[str, Any]:
    return {"type": "ObjectEvent", "action": "OBSERVE", "epcList": [], **fields}


@pytest.mark.parametrize("key", sorted(SCHEMA_ENUM))
def test_the_lists_agree_with_the_json_schema(key: str) -> None:
    """Two GS1 files written apart (the JSON-LD context, the JSON Schema) give one list."""
    definition = load_schema()["definitions"][SCHEMA_ENUM[key]]
    enum = next(b["enum"] for b in definition["anyOf"] if "enum" in b)
    assert VOCABULARIES[key].terms == set(enum)


def test_sizes_of_the_lists() -> None:
    sizes = {k: len(v.terms) for k, v in VOCABULARIES.items()}
    assert sizes == {"bizStep": 41, "disposition": 33, "sourceDestType": 3,
                     "bizTransactionType": 13, "errorReason": 2, "component": 14,
                     "measurementType": 72, "alertType": 2}


def test_a_misspelt_bizstep_is_refused_with_its_path_and_a_suggestion() -> None:
    events = [event(bizStep="receiving")] * 3 + [event(bizStep="shiping")]
    issues = vocabulary_issues(document(*events))
    assert [(i.where, i.field, i.code) for i in issues] == [
        ("event[3]", "epcisBody.eventList[3].bizStep", "vocabulary.unknown")]
    assert "'shiping'" in issues[0].message
    assert issues[0].fix.startswith("did you mean 'shipping'?")


@pytest.mark.parametrize("value", [
    "shipping", "https://ref.gs1.org/cbv/BizStep-shipping", "cbv:BizStep-shipping",
    "https://example.com/vocab/x", "urn:example:step:x", "ex:x", "oreline:BizStep-alloying",
    "undeclared:x",
])
def test_accepted_bizsteps(value: str) -> None:
    doc = document(event(bizStep=value), context=[CONTEXT, {"ex": "https://ex.com/"}])
    assert vocabulary_issues(doc) == []


@pytest.mark.parametrize(("value", "code", "fix"), [
    ("transforming", "vocabulary.unknown", "Use a CBV 2.0 term"),
    ("https://ref.gs1.org/cbv/BizStep-shiping", "vocabulary.unknown", "did you mean 'shipping'"),
    ("cbv:BizStep-shiping", "vocabulary.unknown", "did you mean 'shipping'"),
    ("urn:epcglobal:cbv:bizstep:shipping", "vocabulary.xml_form", "in JSON write 'shipping'"),
    ("in_transit", "vocabulary.unknown", "'in_transit' is a CBV 2.0 disposition"),
    ("https://ref.gs1.org/cbv/Disp-in_transit", "vocabulary.unknown", "disposition"),
    ("my step", "vocabulary.unknown", "Use a CBV 2.0 term"),
])
def test_refused_bizsteps(value: str, code: str, fix: str) -> None:
    issues = vocabulary_issues(document(event(bizStep=value)))
    assert [i.code for i in issues] == [code]
    assert fix in issues[0].fix


def test_a_prefix_redeclared_to_cbv_is_expanded() -> None:
    doc = document(event(bizStep="my:BizStep-shiping"),
                   context=[CONTEXT, {"my": {"@id": "https://ref.gs1.org/cbv/"}}])
    assert [i.code for i in vocabulary_issues(doc)] == ["vocabulary.unknown"]


def test_every_vocabulary_field_is_checked() -> None:
    ev = event(
        disposition="in_transport",
        persistentDisposition={"set": ["completeness_verified"], "unset": ["bad_disp"]},
        bizTransactionList=[{"type": "po", "bizTransaction": "urn:x"},
                            {"type": "purchase_order", "bizTransaction": "urn:y"}],
        sourceList=[{"type": "owning_partty", "source": "urn:x"}],
        destinationList=[{"type": "location", "destination": "urn:x"}],
        errorDeclaration={"declarationTime": "2026-01-01T00:00:00Z", "reason": "wrong"},
        sensorElementList=[{"sensorReport": [
            {"type": "Temperature", "component": "latitude", "exception": "ALARM_CONDITION"},
            {"type": "Temprature", "component": "lattitude", "exception": "ALARM"},
            {"type": "gs1:Humidity"}]}],
    )
    fields = [i.field.removeprefix("epcisBody.eventList[0].")
              for i in vocabulary_issues(document(ev))]
    assert fields == [
        "disposition", "persistentDisposition.unset[0]", "bizTransactionList[1].type",
        "sourceList[0].type", "errorDeclaration.reason",
        "sensorElementList[0].sensorReport[1].type",
        "sensorElementList[0].sensorReport[1].exception",
        "sensorElementList[0].sensorReport[1].component",
        "sensorElementList[0].sensorReport[2].type",
    ]


def test_a_single_event_and_a_query_document() -> None:
    single = {"type": "ObjectEvent", "@context": [CONTEXT], "bizStep": "shiping"}
    assert [(i.where, i.field) for i in vocabulary_issues(single)] == [("event[0]", "bizStep")]
    query = {"type": "EPCISQueryDocument", "@context": [CONTEXT], "epcisBody": {
        "queryResults": {"resultsBody": {"eventList": [event(disposition="in_transitt")]}}}}
    assert [i.field for i in vocabulary_issues(query)] == [
        "epcisBody.queryResults.resultsBody.eventList[0].disposition"]


def test_an_event_context_adds_prefixes() -> None:
    ev = event(bizStep="mine:BizStep-shiping", **{"@context": [{"mine": "https://ref.gs1.org/cbv/"}]})
    assert len(vocabulary_issues(document(ev))) == 1
    assert declared_prefixes(None)["cbv"] == "https://ref.gs1.org/cbv/"
