"""EPCIS query parameters: parsing, refusals naming the parameter, matching by identity."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oreline.errors import QueryError
from oreline.ledger.profile.query import (
    NOT_SUPPORTED,
    SUPPORTED,
    is_parameter,
    parse_query,
    split_values,
)


def test_values_split_on_pipes_and_repeats():
    assert split_values(["a|b", "c", " d |"]) == ["a", "b", "c", "d"]
    assert split_values("x") == ["x"]


def test_every_supported_parameter_parses():
    values = {"GE_eventTime": "2026-01-01T00:00:00Z", "LT_eventTime": "2026-02-01T00:00:00Z",
              "GE_recordTime": "2026-01-01T00:00:00+09:00",
              "LT_recordTime": "2026-01-01T00:00:00-05:00", "eventType": "ObjectEvent"}
    for name in SUPPORTED & {"GE_eventTime", "LT_eventTime", "GE_recordTime",
                             "LT_recordTime", "eventType", "EQ_bizStep", "MATCH_epc"}:
        parse_query({name: [values.get(name, "urn:x:1")]})
    assert not SUPPORTED & NOT_SUPPORTED


#: The query parameters of GET /events in the GS1 OpenAPI of EPCIS 2.0 (gs1/EPCIS,
#: "REST Bindings/openapi.yaml", components/parameters), in its order.
OPENAPI_PARAMETERS = [
    "eventType", "GE_eventTime", "LT_eventTime", "GE_recordTime", "LT_recordTime", "EQ_action",
    "EQ_bizStep", "EQ_disposition", "EQ_persistentDisposition_set",
    "EQ_persistentDisposition_unset", "EQ_readPoint", "WD_readPoint", "EQ_bizLocation",
    "WD_bizLocation", "EQ_transformationID", "MATCH_epc", "MATCH_parentID", "MATCH_inputEPC",
    "MATCH_outputEPC", "MATCH_anyEPC", "MATCH_epcClass", "MATCH_inputEPCClass",
    "MATCH_outputEPCClass", "MATCH_anyEPCClass", "EQ_quantity", "GT_quantity", "GE_quantity",
    "LT_quantity", "LE_quantity", "EQ_eventID", "EXISTS_errorDeclaration",
    "GE_errorDeclarationTime", "LT_errorDeclarationTime", "EQ_errorReason",
    "EQ_correctiveEventID", "orderBy", "orderDirection", "eventCountLimit", "maxEventCount",
    "GE_startTime", "LT_startTime", "GE_endTime", "LT_endTime", "EQ_type", "EQ_deviceID",
    "EQ_dataProcessingMethod", "EQ_microorganism", "EQ_chemicalSubstance", "EQ_bizRules",
    "EQ_stringValue", "EQ_hexBinaryValue", "EQ_uriValue", "EQ_booleanValue",
]
#: Names of the pattern families of the GS1 query schema ("REST Bindings/query-schema.json").
PATTERN_EXAMPLES = [
    "EQ_bizTransaction_po", "EQ_source_owning_party", "EQ_destination_location", "EQ_ex:f",
    "GT_ex:f", "GE_ex:f", "LT_ex:f", "LE_ex:f", "EQ_ILMD_ex:f", "GT_ILMD_ex:f", "EQ_INNER_ex:f",
    "LE_INNER_ILMD_ex:f", "EXISTS_ex:f", "EXISTS_INNER_ex:f", "EXISTS_ILMD_ex:f",
    "EXISTS_INNER_ILMD_ex:f", "HASATTR_bizLocation", "EQATTR_bizLocation_ex:a",
    "EQ_ERROR_DECLARATION_ex:f", "GE_INNER_ERROR_DECLARATION_ex:f",
    "EXISTS_ERROR_DECLARATION_ex:f", "EQ_value_CEL", "GE_minValue_CEL", "LT_maxValue_KGM",
    "GT_meanValue_FAH", "LE_sDev_CEL", "GE_value_CEL", "GE_percValue_CEL", "GE_percRank",
    "LT_percRank", "EQ_quantity_KGM", "GE_quantity_TNE", "EQ_readPoint_ex:f",
    "EQ_INNER_bizLocation_ex:f", "EQ_SENSORELEMENT_ex:f", "GT_SENSORMETADATA_ex:f",
    "LE_INNER_SENSORREPORT_ex:f", "EXISTS_SENSORREPORT_ex:f", "GE_time", "LT_time",
    "EXISTS_sensorElementList",
]


@pytest.mark.parametrize("name", OPENAPI_PARAMETERS + PATTERN_EXAMPLES)
def test_every_parameter_of_the_standard_is_answered(name: str):
    assert is_parameter(name)
    assert not NOT_SUPPORTED


_VALUE = {"eventType": "ObjectEvent", "EQ_action": "ADD", "orderDirection": "ASC",
          "orderBy": "eventTime", "eventCountLimit": "3", "maxEventCount": "3",
          "EQ_booleanValue": "true", "EXISTS_errorDeclaration": "true"}


@pytest.mark.parametrize("name", OPENAPI_PARAMETERS + PATTERN_EXAMPLES)
def test_every_parameter_parses_a_value_of_its_kind(name: str):
    if name in _VALUE:
        value = _VALUE[name]
    elif "Time" in name or name.endswith("_time"):
        value = "2026-01-01T00:00:00Z"
    elif name.startswith(("GT_", "GE_", "LT_", "LE_")) or "quantity" in name or \
            "_value" in name or name.startswith("EQ_percRank"):
        value = "1.5"
    elif name.startswith("EXISTS_"):
        value = ""
    else:
        value = "urn:x:1"
    params = {name: [value] if value else []}
    if name == "eventCountLimit":
        params["orderBy"] = ["eventTime"]
    parse_query(params)


@pytest.mark.parametrize(("params", "parameter", "words"), [
    ({"GE_quantity": ["many"]}, "GE_quantity", "not a number"),
    ({"GE_quantity_kg": ["1"]}, "GE_quantity_kg", "Rec 20"),
    ({"GE_quantity": ["1", "2"]}, "GE_quantity", "one value"),
    ({"orderBy": ["colour"]}, "orderBy", "extension field"),
    ({"orderBy": ["eventTime"], "orderDirection": ["UP"]}, "orderDirection", "ASC nor DESC"),
    ({"eventCountLimit": ["2"]}, "eventCountLimit", "needs orderBy"),
    ({"orderBy": ["eventTime"], "eventCountLimit": ["2"], "maxEventCount": ["9"]},
     "eventCountLimit", "exclude each other"),
    ({"maxEventCount": ["0"]}, "maxEventCount", "above zero"),
    ({"EQ_booleanValue": ["maybe"]}, "EQ_booleanValue", "true or false"),
    ({"EXISTS_errorDeclaration": ["perhaps"]}, "EXISTS_errorDeclaration", "true or false"),
    ({"GE_percRank_CEL": ["50"]}, "GE_percRank_CEL", "no unit"),
    ({"GE_startTime": ["yesterday"]}, "GE_startTime", "with its offset"),
    ({"GT_ex:f": ["1", "2"]}, "GT_ex:f", "one value"),
    ({"EQATTR_bizLocation": ["KR"]}, "EQATTR_bizLocation", "EQATTR_bizLocation_oreline:country"),
    ({"EQ_bizTransaction_": ["urn:x"]}, "EQ_bizTransaction_", "names no type"),
    ({"EQ_colour": ["red"]}, "EQ_colour", "not an EPCIS query parameter"),
    ({"EQ_source_x": []}, "EQ_source_x", "no value"),
])
def test_bad_values_name_the_parameter_and_the_fix(params, parameter: str, words: str):
    with pytest.raises(QueryError, match=words) as info:
        parse_query(params)
    assert info.value.parameter == parameter


def test_times_must_carry_an_offset():
    with pytest.raises(QueryError, match="with its offset") as info:
        parse_query({"GE_eventTime": ["2026-01-01T00:00:00"]})
    assert info.value.parameter == "GE_eventTime"
    with pytest.raises(QueryError, match="one time"):
        parse_query({"LT_eventTime": ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"]})
    q = parse_query({"GE_recordTime": ["2026-01-01T09:00:00+09:00"]})
    assert q.ge_record_time == datetime(2026, 1, 1, tzinfo=UTC)


def test_event_time_is_compared_as_an_instant():
    """18:00-06:00 on the 3rd is 00:00Z on the 4th: inside [00:00Z, 01:00Z)."""
    q = parse_query({"GE_eventTime": ["2005-04-04T00:00:00Z"],
                     "LT_eventTime": ["2005-04-04T01:00:00Z"]})
    assert q.matches({"eventTime": "2005-04-03T18:00:00-06:00"})
    assert not q.matches({"eventTime": "2005-04-03T17:59:59-06:00"})
    assert not q.matches({"eventTime": "2005-04-04T01:00:00.000Z"})
    assert not q.matches({})


def test_business_steps_in_every_spelling_select_the_same_column_values():
    spellings = ["shipping", "urn:epcglobal:cbv:bizstep:shipping", "cbv:BizStep-shipping",
                 "https://ref.gs1.org/cbv/BizStep-shipping"]
    columns = {parse_query({"EQ_bizStep": [s]}).biz_steps for s in spellings}
    assert len(columns) == 1
    assert "https://ref.gs1.org/cbv/BizStep-shipping" in columns.pop()


def test_fingerprint_follows_the_parameters():
    a = parse_query({"EQ_bizStep": ["a"], "eventType": ["ObjectEvent"]})
    b = parse_query({"eventType": ["ObjectEvent"], "EQ_bizStep": ["a"]})
    c = parse_query({"EQ_bizStep": ["b"]})
    assert a.fingerprint == b.fingerprint != c.fingerprint


def _check_digit(digits: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str(-total % 10)


@given(company=st.integers(10**6, 10**7 - 1), item=st.integers(0, 99_999),
       serial=st.integers(0, 10**6))
def test_an_sgtin_matches_in_urn_and_digital_link_spelling(company: int, item: int,
                                                           serial: int):
    """The Digital Link is worked out here from TDS 2.0: GTIN = indicator, company
    prefix, item reference, check digit (7-digit company prefix, 6-digit reference)."""
    ref = f"{item:06d}"
    urn = f"urn:epc:id:sgtin:{company}.{ref}.{serial}"
    gtin13 = ref[0] + str(company) + ref[1:]
    link = f"https://id.gs1.org/01/{gtin13}{_check_digit(gtin13)}/21/{serial}"
    for asked, held in ((urn, link), (link, urn)):
        q = parse_query({"MATCH_epc": [asked]})
        assert q.matches({"epcList": [held]}), (asked, held)
        assert not q.matches({"epcList": [held + "1"]})
        assert not q.matches({"inputEPCList": [held]})
        assert parse_query({"MATCH_anyEPC": [asked]}).matches({"inputEPCList": [held]})
    lot_urn = f"urn:epc:class:lgtin:{company}.{ref}.L{serial}"
    lot_link = f"https://id.gs1.org/01/{gtin13}{_check_digit(gtin13)}/10/L{serial}"
    for asked, held in ((lot_urn, lot_link), (lot_link, lot_urn)):
        q = parse_query({"MATCH_epcClass": [asked]})
        assert q.matches({"quantityList": [{"epcClass": held, "quantity": 1.0}]})
        assert not q.matches({"quantityList": [{"epcClass": held + "0", "quantity": 1.0}]})


def test_classes_match_in_quantity_lists_only_of_their_kind():
    ev = {"inputQuantityList": [{"epcClass": "urn:oreline:lot:a", "quantity": 1}],
          "outputQuantityList": [{"epcClass": "urn:oreline:lot:b", "quantity": 1}]}
    assert parse_query({"MATCH_inputEPCClass": ["urn:oreline:lot:a"]}).matches(ev)
    assert not parse_query({"MATCH_outputEPCClass": ["urn:oreline:lot:a"]}).matches(ev)
    assert parse_query({"MATCH_anyEPCClass": ["urn:oreline:lot:b"]}).matches(ev)
    assert not parse_query({"MATCH_epcClass": ["urn:oreline:lot:b"]}).matches(ev)
