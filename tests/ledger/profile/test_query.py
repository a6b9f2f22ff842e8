"""EPCIS query parameters: parsing, refusals naming the parameter, matching by identity."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oreline.errors import QueryError
from oreline.ledger.profile.query import NOT_SUPPORTED, SUPPORTED, parse_query, split_values


def test_values_split_on_pipes_and_repeats():
    assert split_values(["a|b", "c", " d |"]) == ["a", "b", "c", "d"]
    assert split_values("x") == ["x"]


def test_every_supported_parameter_parses():
    values = {"GE_eventTime": "2026-01-01T00:00:00Z", "LT_eventTime": "2026-02-01T00:00:00Z",
              "GE_recordTime": "2026-01-01T00:00:00+09:00",
              "LT_recordTime": "2026-01-01T00:00:00-05:00", "eventType": "ObjectEvent"}
    for name in SUPPORTED:
        parse_query({name: [values.get(name, "urn:x:1")]})
    assert not SUPPORTED & NOT_SUPPORTED


@pytest.mark.parametrize("name", sorted(NOT_SUPPORTED))
def test_standard_parameters_not_answered_are_refused_by_name(name: str):
    with pytest.raises(QueryError, match="does not support") as info:
        parse_query({name: ["1"]})
    assert info.value.parameter == name


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
