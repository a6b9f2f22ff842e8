"""CBV 2.0 event hash IDs against published examples, and hash properties."""

from __future__ import annotations

import copy
import hashlib
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oreline.ledger.epcis.canonical import canonical_json
from oreline.ledger.epcis.hashid import event_hash_id, prehash_string
from oreline.ledger.epcis.values import epc_to_digital_link, format_number, normalise_timestamp

# Published worked example (RalphTro/epcis-event-hash-generator, the CBV 2.0 reference
# implementation: tests/examples/epcisDocWithSingleEvent.*, vendored under
# tests/ledger/vectors/hashid/). Since February 2023 (reference issue #80) the type of a
# business transaction precedes its ID, as CBV 2.0 writes it; the value this test pinned
# before (ID, then type) is superseded.
SINGLE_EVENT = {
    "eventID": "_:event1",
    "isA": "ObjectEvent",
    "action": "OBSERVE",
    "bizStep": "urn:epcglobal:cbv:bizstep:shipping",
    "disposition": "urn:epcglobal:cbv:disp:in_transit",
    "epcList": ["urn:epc:id:sgtin:0614141.107346.2017", "urn:epc:id:sgtin:0614141.107346.2018"],
    "eventTime": "2022-02-16T20:33:31.116000-06:00",
    "eventTimeZoneOffset": "-06:00",
    "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
    "bizTransactionList": [
        {"type": "urn:epcglobal:cbv:btt:po", "bizTransaction": "http://transaction.acme.com/po/12345678"}
    ],
}
SINGLE_PREHASH = (
    "eventType=ObjectEventeventTime=2022-02-17T02:33:31.116ZeventTimeZoneOffset=-06:00"
    "epcListepc=https://id.gs1.org/01/10614141073464/21/2017"
    "epc=https://id.gs1.org/01/10614141073464/21/2018action=OBSERVE"
    "bizStep=https://ref.gs1.org/cbv/BizStep-shipping"
    "disposition=https://ref.gs1.org/cbv/Disp-in_transit"
    "readPointid=https://id.gs1.org/414/0614141073467/254/1234"
    "bizTransactionListtype=https://ref.gs1.org/cbv/BTT-po"
    "bizTransaction=http://transaction.acme.com/po/12345678"
)
SINGLE_HASH = "ni:///sha-256;ffa491b16867e34a7791a8d5389d826afc24e63a121026b6a4004ace38631b4b?ver=CBV2.0"

# The reference example's user extensions (README example 1) and their pre-hash form.
EXTENSIONS = {
    "example:myField1": {"@xmlns:example": "https://ns.example.com/epcis",
                         "example:mySubField1": "2", "example:mySubField2": "5"},
    "example:myField2": {"@xmlns:example": "https://ns.example.com/epcis", "#text": "0"},
    "example:myField3": {"@xmlns:example": "https://ns.example.com/epcis",
                         "example:mySubField3": ["3", "1"]},
}
EXTENSIONS_PREHASH = (
    "{https://ns.example.com/epcis}myField1{https://ns.example.com/epcis}mySubField1=2"
    "{https://ns.example.com/epcis}mySubField2=5{https://ns.example.com/epcis}myField2=0"
    "{https://ns.example.com/epcis}myField3{https://ns.example.com/epcis}mySubField3=1"
    "{https://ns.example.com/epcis}mySubField3=3"
)


def test_published_single_event_prehash_and_hash() -> None:
    assert prehash_string(SINGLE_EVENT) == SINGLE_PREHASH
    assert event_hash_id(SINGLE_EVENT) == SINGLE_HASH


def test_hash_is_sha256_of_prehash_independently() -> None:
    digest = hashlib.sha256(SINGLE_PREHASH.encode()).hexdigest()
    assert event_hash_id(SINGLE_EVENT) == f"ni:///sha-256;{digest}?ver=CBV2.0"


def test_user_extensions_follow_the_reference_form() -> None:
    ev = {"isA": "ObjectEvent", "eventTime": "2020-03-04T11:00:30.000+01:00",
          "eventTimeZoneOffset": "+01:00", "action": "OBSERVE", **EXTENSIONS}
    assert prehash_string(ev).endswith("action=OBSERVE" + EXTENSIONS_PREHASH)


def test_json_ld_bare_words_equal_urn_forms() -> None:
    bare = copy.deepcopy(SINGLE_EVENT)
    bare.update(bizStep="shipping", disposition="in_transit")
    bare["bizTransactionList"][0]["type"] = "po"
    assert event_hash_id(bare) == SINGLE_HASH


@pytest.mark.parametrize(
    ("urn", "dl"),
    [
        ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"),
        ("urn:epc:id:sscc:4012345.0000000333", "https://id.gs1.org/00/040123450000003338"),
        ("urn:epc:id:sgln:4012345.00011.0", "https://id.gs1.org/414/4012345000115"),
        ("https://example.com/01/10614141073464/21/2017?x=1",
         "https://id.gs1.org/01/10614141073464/21/2017"),
        ("urn:oreline:lot:abc", "urn:oreline:lot:abc"),
    ],
)
def test_digital_link(urn: str, dl: str) -> None:
    assert epc_to_digital_link(urn) == dl


def _mod10_ok(digits: str) -> bool:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(reversed(digits)))
    return total % 10 == 0


@given(st.text("0123456789", min_size=7, max_size=7), st.text("0123456789", min_size=6,
                                                               max_size=6))
def test_gtin_check_digit_is_valid(prefix: str, item: str) -> None:
    dl = epc_to_digital_link(f"urn:epc:id:sgtin:{prefix}.{item}.1")
    gtin = dl.split("/")[4]
    assert len(gtin) == 14
    assert _mod10_ok(gtin)


@pytest.mark.parametrize(
    ("given_time", "expected"),
    [
        ("2023-02-02T11:04:03+01:00", "2023-02-02T10:04:03.000Z"),
        ("2023-02-02T11:04:03.1+01:00", "2023-02-02T10:04:03.100Z"),
        ("2023-02-02T11:04:03.001415+01:00", "2023-02-02T10:04:03.001Z"),
        ("2023-01-18T11:04:03.1415Z", "2023-01-18T11:04:03.142Z"),  # CBV 2.0 example
        ("2023-01-18T11:04:03.1425Z", "2023-01-18T11:04:03.143Z"),  # half up, not to even
        ("2023-01-18T11:04:03.14249999Z", "2023-01-18T11:04:03.142Z"),  # 4th digit only
        ("2023-12-31T23:59:59.9995+00:00", "2024-01-01T00:00:00.000Z"),  # carried
        ("2026-01-01T00:30:00-06:00", "2026-01-01T06:30:00.000Z"),
    ],
)
def test_timestamps(given_time: str, expected: str) -> None:
    assert normalise_timestamp(given_time) == expected


def test_timestamp_without_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        normalise_timestamp("2026-01-01T00:30:00")


@pytest.mark.parametrize(("value", "text"), [(1.0, "1"), (0.34340, "0.3434"), (1200, "1200"),
                                             (2.5e-7, "0.00000025")])
def test_numbers(value: float, text: str) -> None:
    assert format_number(value) == text


def _shuffled(ev: dict, rng: random.Random) -> dict:
    items = list(ev.items())
    rng.shuffle(items)
    out = {}
    for k, v in items:
        if isinstance(v, list):
            v = list(v)
            rng.shuffle(v)
        out[k] = v
    return out


@settings(max_examples=50)
@given(st.integers(min_value=0, max_value=10_000))
def test_field_and_list_order_do_not_matter(seed: int) -> None:
    rng = random.Random(seed)
    ev = dict(SINGLE_EVENT)
    ev["quantityList"] = [{"epcClass": f"urn:oreline:lot:{i}", "quantity": i + 1.5,
                           "uom": "KGM"} for i in range(4)]
    assert event_hash_id(_shuffled(ev, rng)) == event_hash_id(ev)


@pytest.mark.parametrize(
    "change",
    [
        ("eventTime", "2022-02-16T20:33:31.117000-06:00"),
        ("action", "ADD"),
        ("bizStep", "receiving"),
        ("epcList", ["urn:epc:id:sgtin:0614141.107346.2017"]),
        ("readPoint", {"id": "urn:epc:id:sgln:0614141.07346.1235"}),
        ("ilmd", {"oreline:lotMaster": {"x": {"form": "oxide"}}}),
        ("oreline:claim", {"share": 0.5}),
    ],
)
def test_any_relevant_change_changes_the_hash(change: tuple[str, object]) -> None:
    ev = copy.deepcopy(SINGLE_EVENT)
    ev[change[0]] = change[1]
    assert event_hash_id(ev) != SINGLE_HASH


def test_error_declaration_keeps_the_hash_id() -> None:
    ev = copy.deepcopy(SINGLE_EVENT)
    ev["errorDeclaration"] = {"declarationTime": "2022-03-01T00:00:00Z", "reason": "incorrect_data"}
    assert event_hash_id(ev) == SINGLE_HASH


def test_canonical_json_is_rfc8785() -> None:
    # RFC 8785 section 3.2.2 number forms and key order by UTF-16 code units
    assert canonical_json({"b": [1e21, 1e-7, 0.5], "a": "\u20ac"}) == (
        '{"a":"€","b":[1e+21,1e-7,0.5]}'.encode())
    assert json.loads(canonical_json({"x": 1.0})) == {"x": 1}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300)
@given(json_values)
def test_fast_canonical_json_equals_the_rfc8785_package(value: object) -> None:
    from oreline.ledger.epcis.canonical import canonical_json_reference

    assert canonical_json(value) == canonical_json_reference(value)


# Values that take the orjson path of canonical_json: ASCII strings (some holding what
# looks like an integral float, an exponent or ``-0.0`` after a delimiter), integral and
# non-integral floats, large integers, no None; maps keyed by ASCII text.
ascii_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=10) | \
    st.sampled_from(["a:1.0,b", "[2.0]", ",3.0}", "x1e+5", "-0.0", ":7.0", "\\\"", "e-"])
orjson_values = st.recursive(
    st.booleans() | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(-1e17, 1e17).map(float.__floor__).map(float) | ascii_text,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(ascii_text, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=500)
@given(st.lists(orjson_values, max_size=3) | st.dictionaries(ascii_text, orjson_values,
                                                             max_size=4))
def test_orjson_canonical_json_equals_the_rfc8785_package(value: object) -> None:
    from oreline.ledger.epcis.canonical import canonical_json_python, canonical_json_reference

    try:
        expected = canonical_json_reference(value)
    except (ValueError, TypeError):  # integers beyond I-JSON: refused by every path
        with pytest.raises(ValueError, match="I-JSON"):
            canonical_json(value)
        return
    assert canonical_json(value) == expected
    assert canonical_json_python(value) == expected


def test_orjson_path_is_taken_for_events_and_refuses_what_it_cannot_prove() -> None:
    import orjson

    from oreline.ledger.epcis.canonical import (
        _ORJSON_OPTIONS,
        _from_orjson,
        canonical_json_reference,
    )

    def fast(value: object) -> bytes | None:
        return _from_orjson(value, orjson.dumps(value, option=_ORJSON_OPTIONS))

    ev = copy.deepcopy(SINGLE_EVENT)
    ev["quantityList"] = [{"epcClass": "urn:oreline:lot:a", "quantity": 1200.0, "uom": "KGM"}]
    assert fast(ev) == canonical_json_reference(ev)  # the integral float rewritten
    assert fast({"a": 0.5, "b": [1, "x"]}) == b'{"a":0.5,"b":[1,"x"]}'
    assert fast({"a": "v1.0,", "b": 2.0}) is None  # a ".0," inside a string
    # no string holds ".0": proven from the text split at its quotes, no parse needed
    assert fast({"a": "x", "b": [2.0, 3.0]}) == b'{"a":"x","b":[2,3]}'
    # an escaped quote defeats the split: parsed back, which shows the string was cut
    assert fast({"a": 'q"1.0,', "b": 2.0}) is None
    assert fast({"a": 'q"', "b": 2.0}) == b'{"a":"q\\"","b":2}'
    assert fast([1e16]) is None and fast([1e-6]) is None and fast([-0.0]) is None
    assert fast({"\u00e9": 1}) is None and fast([float("nan")]) is None
    with pytest.raises(ValueError, match="cannot be written"):
        canonical_json([float("nan")])
    assert fast(1.0) is None  # scalars go through the general serialiser


@settings(max_examples=300)
@given(st.lists(orjson_values | json_values, max_size=5))
def test_canonical_json_many_proves_each_value_or_leaves_it(values: list[object]) -> None:
    """What the proof over the whole list gives is each value's RFC 8785 text."""
    from oreline.ledger.epcis.canonical import canonical_json_many, canonical_json_reference

    out = canonical_json_many(values)
    assert len(out) == len(values)
    for value, text in zip(values, out, strict=True):
        if text is not None:
            assert isinstance(value, dict | list)
            assert text == canonical_json_reference(value)


def test_canonical_json_many_takes_the_fast_path_for_a_documents_events() -> None:
    from oreline.ledger.epcis.canonical import canonical_json_many, canonical_json_reference

    events = []
    for i in range(3):
        ev = copy.deepcopy(SINGLE_EVENT)
        ev["quantityList"] = [{"epcClass": f"urn:oreline:lot:{i}", "quantity": 1200.0,
                               "uom": "KGM"}]
        events.append(ev)
    assert canonical_json_many(events) == [canonical_json_reference(e) for e in events]
    # one value that cannot be proven (a string holding ".0,") leaves all to the caller
    assert canonical_json_many([*events, {"a": "v1.0,", "b": 2.0}]) == [None] * 4
    assert canonical_json_many([events[0], 3.0]) == [canonical_json_reference(events[0]),
                                                     None]
    assert canonical_json_many([{"n": 2**60}]) == [None]  # beyond I-JSON: refused later



def test_format_number_is_exact_for_large_integral_floats() -> None:
    from oreline.ledger.epcis.values import format_number

    assert format_number(1e28) == "1" + "0" * 28  # once raised decimal.InvalidOperation
    assert format_number(1e300) == "1" + "0" * 300  # the decimal of the JSON text
    assert format_number(1234.0) == "1234" and format_number("5e3") == "5000"
