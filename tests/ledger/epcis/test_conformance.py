"""EPCIS 2.0 documents written by others: the GS1 standard's examples and openEPCIS's.

Every document its publisher calls valid passes the official JSON Schema and the CBV 2.0
vocabulary, except the few listed in :data:`NOT_CONFORMANT` with the reason (each is
checked to fail for that reason). Each conformant one is then captured into a fresh
ledger, or refused by the Oreline profile only (never by the conformance checks); the
counts are printed (``pytest -rP``) for the issue's report. Every invalid document is
refused, with a message naming the field that is wrong.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from oreline.errors import CaptureError, Issue
from oreline.ledger import Ledger
from oreline.ledger.epcis.conformance import conformance_issues
from oreline.ledger.epcis.schema import event_base

DATA = Path(__file__).parent / "data"
VALID = sorted(DATA.glob("gs1/**/*.jsonld")) + sorted(
    p for p in DATA.glob("openepcis/**/*.json") if "Invalid" not in p.parts)
INVALID = sorted(p for p in DATA.glob("openepcis/**/*.json") if "Invalid" in p.parts)
CONFORMANCE = ("schema.", "vocabulary.", "document.json")

#: Documents their publisher calls valid that the official GS1 JSON Schema or the CBV
#: 2.0 vocabulary refuse: the file, the field refused, and why.
NOT_CONFORMANT: dict[str, tuple[str, str]] = {
    "openepcis/Capture/Documents/AggregationEvent_with_persistentDisposition.json": (
        "epcisBody.eventList[1].persistentDisposition",
        "the GS1 schema allows persistentDisposition on ObjectEvent only"),
    "openepcis/Capture/Documents/CurieString_document.json": (
        "epcisBody.eventList[0].destinationList[3].type",
        "cbv:my_own_party is a term made up in GS1's CBV namespace"),
    "openepcis/Query/CurieString_document.json": (
        "epcisBody.queryResults.resultsBody.eventList[0].destinationList[3].type",
        "cbv:my_own_party is a term made up in GS1's CBV namespace"),
    "openepcis/Capture/Documents/SensorData_with_combined_events.json": (
        "epcisBody.eventList[7].sensorElementList[0].sensorReport[1].type",
        "Molar_concentration and EffectiveDoseRate are no GS1 measurement types, and two "
        "sensor reports have no type, which the GS1 schema requires"),
    "openepcis/Query/SensorData_with_combined_events.json": (
        "epcisBody.queryResults.resultsBody.eventList[7].sensorElementList[0]"
        ".sensorReport[1].type", "as the capture document of the same name"),
    "openepcis/Capture/Documents/TransactionEvent_with_userExtensions.json": (
        "epcisBody.eventList[0].sensorElementList[0].sensorReport[0].type",
        "EffectiveDoseRate is no GS1 measurement type (nor a URI)"),
    "openepcis/Query/TransactionEvent_with_userExtensions.json": (
        "epcisBody.queryResults.resultsBody.eventList[0].sensorElementList[0]"
        ".sensorReport[0].type", "as the capture document of the same name"),
}

#: Each invalid document and the field its refusal must name.
INVALID_FIELD: dict[str, str] = {
    "Combination_of_events_with_missing_mandatory_fields.json": "action",
    "Combination_of_multiple_invalid_fields.json": "bizStep",
    "Combination_of_non_standard_bizStep_and_disposition.json": "disposition",
    "EPCISDocument_without_context.json": "@context",
    "ObjectEvent_with_ilmd_field_without_namespace.json": "ilmd.materialType",
    "ObjectEvent_with_invalid_action.json": "action",
    "ObjectEvent_with_invalid_certificationInfo.json": "certificationInfo",
    "ObjectEvent_with_invalid_eventTime_format.json": "eventTime",
    "ObjectEvent_with_non_standard_bizStep.json": "bizStep",
    "ObjectEvent_with_non_standard_bizStep_in_second_event.json": "eventList[1].bizStep",
    "ObjectEvent_with_non_standard_disposition.json": "disposition",
    "ObjectEvent_with_quantity_as_text.json": "quantity",
    "ObjectEvent_with_unknown_field_in_quantityList.json": "quantityList[0]",
    "ObjectEvent_without_action_and_eventTime.json": "eventTime",
    "ObjectEvent_without_identifier_list.json": "epcList",
    # query documents are unwrapped: the field is named within event[0] of the results
    "QueryDocument_with_invalid_action.json": "action",
    "QueryDocument_with_invalid_eventType.json": "type",
}


def _name(path: Path) -> str:
    return path.relative_to(DATA).as_posix()


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@dataclass
class Outcome:
    """What capturing one document into a fresh ledger did."""

    name: str
    conformance: list[Issue]
    refused: list[Issue] | None  # None: captured
    findings: list[tuple[str, str]]  # (code, field) of what was kept outside the profile


def _capture(path: Path) -> Outcome:
    doc = _load(path)
    led = Ledger.open("sqlite://")
    findings: list[tuple[str, str]] = []
    try:
        led.capture(doc)
        refused = None
        findings = [(f["code"], f["field"]) for f in led.findings()]
    except CaptureError as exc:
        refused = exc.issues
    finally:
        led.close()
    return Outcome(_name(path), conformance_issues(doc), refused, findings)


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    return {_name(p): _capture(p) for p in VALID + INVALID}


def test_the_vendored_documents_are_all_there() -> None:
    assert len(list(DATA.glob("gs1/**/*.jsonld"))) == 47
    assert len(VALID) - 47 == 52 and len(INVALID) == 17
    assert set(NOT_CONFORMANT) <= {_name(p) for p in VALID}
    assert {p.name for p in INVALID} == set(INVALID_FIELD)


@pytest.mark.parametrize("path", VALID, ids=_name)
def test_valid_documents_conform_unless_listed(path: Path) -> None:
    issues = conformance_issues(_load(path))
    listed = NOT_CONFORMANT.get(_name(path))
    if listed is None:
        assert issues == []
    else:
        assert listed[0] in [i.field for i in issues], issues


def test_valid_documents_are_captured_or_refused_by_the_profile_only(
        outcomes: dict[str, Outcome]) -> None:
    valid = [outcomes[_name(p)] for p in VALID if _name(p) not in NOT_CONFORMANT]
    captured = [o for o in valid if o.refused is None]
    by_profile = [o for o in valid if o.refused is not None]
    for o in by_profile:
        assert o.refused is not None
        assert not [i for i in o.refused if i.code.startswith(CONFORMANCE)], o.name
    lines = [f"valid documents: {len(valid)} conformant of {len(VALID)}; "
             f"{len(captured)}/{len(valid)} captured; {len(by_profile)} refused by the "
             "Oreline profile (to become findings):"]
    for o in by_profile:
        assert o.refused is not None
        codes = sorted({i.code for i in o.refused})
        lines.append(f"  {o.name}: {', '.join(codes)}: {o.refused[0]}")
    with_findings = [o for o in captured if o.findings]
    lines.append(f"captured with findings (kept outside the profile): {len(with_findings)}")
    for o in with_findings:
        codes = sorted({code for code, _ in o.findings})
        lines.append(f"  {o.name}: {len(o.findings)} finding(s): {', '.join(codes)}")
    lines.append(f"not conformant though published as valid: {len(NOT_CONFORMANT)}")
    print("\n".join(lines))
    assert len(captured) >= 80  # 80 of 92 conformant documents when findings landed


@pytest.mark.parametrize("path", INVALID, ids=_name)
def test_invalid_documents_are_refused_naming_the_field(
        path: Path, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[_name(path)]
    assert outcome.refused is not None, "captured an invalid document"
    want = INVALID_FIELD[path.name]
    named = [i for i in outcome.refused if want in i.field]
    assert named, [str(i) for i in outcome.refused]
    assert all(i.fix for i in named)
    print(f"{outcome.name}: {named[0]}")


def test_invalid_documents_are_refused_by_the_schema_or_vocabulary_too(
        outcomes: dict[str, Outcome]) -> None:
    """Independent of the structural checks: the official schema alone refuses each."""
    assert all(outcomes[_name(p)].conformance for p in INVALID)
    unknown_field = outcomes["openepcis/Capture/Invalid/"
                             "ObjectEvent_with_unknown_field_in_quantityList.json"]
    assert unknown_field.refused is not None
    assert "schema.unexpected" in [i.code for i in unknown_field.refused]


def _resolve(node: Any, field: str) -> bool:
    """Whether ``field`` (``a.b[0].c``, ``x[urn:lot].y``) names a place in ``node``.

    The last part may be absent (a missing field is named by where it goes); every part
    before it must exist.
    """
    parts = [p for p in re.split(r"\.(?![^\[]*\])|\[([^\]]*)\]", field) if p]
    for k, part in enumerate(parts):
        key: Any = int(part) if part.isdigit() and isinstance(node, list) else part
        there = (isinstance(node, list) and isinstance(key, int) and key < len(node)) or (
            isinstance(node, dict) and key in node)
        if there:
            node = node[key]
        else:
            return k == len(parts) - 1 and isinstance(node, dict)
    return True


def _events(doc: dict[str, Any]) -> list[dict[str, Any]]:
    events: Any = doc
    for key in event_base(doc):
        events = events[key]
    return events if event_base(doc) else [doc]


def test_every_message_names_a_field_that_exists(outcomes: dict[str, Outcome]) -> None:
    """No ``quantity[0]``: each refusal's and finding's field is a path into the document."""
    checked = 0
    for name, outcome in outcomes.items():
        doc = _load(DATA / name)
        events = _events(doc)
        for issue in outcome.refused or []:
            found = re.match(r"event\[(\d+)\]", issue.where)
            if issue.field in ("", "(document)"):
                continue
            in_doc = _resolve(doc, issue.field)
            in_event = found is not None and _resolve(events[int(found[1])], issue.field)
            assert in_doc or in_event, f"{name}: {issue}"
            assert "None" not in issue.message, f"{name}: {issue}"
            checked += 1
        for code, field in outcome.findings:
            if field in ("", "(document)"):
                continue
            assert any(_resolve(ev, field) for ev in events), f"{name}: {code} at {field}"
            checked += 1
    assert checked > 100
