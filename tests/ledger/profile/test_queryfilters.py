"""Query values, unit conversion, extension-field names and master data, checked by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oreline.ledger.profile.queryfields import field_filter, field_name, master_filter
from oreline.ledger.profile.queryfilters import convert, error_filter, quantity_filter
from oreline.ledger.profile.querysensors import sensor_filter
from oreline.ledger.profile.queryvalues import compare, scalar


@pytest.mark.parametrize(("value", "uom", "to", "expected"), [
    (1, "TNE", "KGM", 1000.0),
    (2000, "LBR", "KGM", 907.18474),  # 0.45359237 kg a pound, exactly
    (1, "KGM", "LBR", 1 / 0.45359237),
    (16, "ONZ", "LBR", 1.0),
    (0, "CEL", "KEL", 273.15),
    (-40, "CEL", "FAH", -40.0),  # where the two scales cross
    (212, "FAH", "CEL", 100.0),
    (5, "MTR", "MTR", 5.0),  # same unit: as written
])
def test_conversions_worked_out_by_hand(value, uom, to, expected):
    assert convert(value, uom, to) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("uom", "to"), [("MTR", "KGM"), ("CEL", "KGM"), (None, "KGM"),
                                         ("KGM", "H87")])
def test_units_of_different_kinds_do_not_convert(uom, to):
    assert convert(1, uom, to) is None


@given(st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from(["CEL", "FAH", "KEL"]),
       st.sampled_from(["CEL", "FAH", "KEL"]))
def test_temperature_there_and_back(value: float, a: str, b: str):
    there = convert(value, a, b)
    assert there is not None
    assert convert(there, b, a) == pytest.approx(value, abs=1e-6)


def test_values_compare_by_their_kind():
    assert compare("EQ", 3, 3.0) and compare("GT", "12.5", 12.0)
    assert compare("EQ", "2026-01-01T09:00:00+09:00", "2026-01-01T00:00:00Z")
    assert not compare("GT", "N52", 3.0)  # text against a number: no answer
    assert not compare("EQ", True, 1.0)  # a boolean is no number
    assert compare("LT", "N45", "N52")  # text: lexical
    assert scalar("2026-01-01T00:00:00Z") == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("key", "expected"), [
    ("ex:grade", "https://ex.com/voc#grade"),
    ("https://ex.com/voc/#grade", "https://ex.com/voc#grade"),
    ("https://ex.com/voc#grade", "https://ex.com/voc#grade"),
    ("https://ex.com/voc/grade", "https://ex.com/voc#grade"),
    ("oreline:kg", "https://oreline.dev/voc#kg"),
    ("unknown:grade", "unknown:grade"),  # an unknown prefix: the name as written
    ("grade", None),  # a standard field
])
def test_one_name_for_each_spelling_of_a_field(key: str, expected: str | None):
    assert field_name(key, {"ex": "https://ex.com/voc/",
                            "oreline": "https://oreline.dev/voc/"}) == expected


def test_scopes_of_extension_fields():
    ev = {"@context": [{"ex": "https://ex.com/voc/"}], "ex:a": {"ex:b": {"ex:c": 7}},
          "ilmd": {"ex:d": "2026-01-01T00:00:00Z"},
          "errorDeclaration": {"ex:why": "typo"},
          "readPoint": {"id": "urn:rp", "ex:room": "A"},
          "sensorElementList": [{"sensorMetadata": {"ex:calibrated": True},
                                 "sensorReport": [{"type": "Temperature", "ex:probe": "p1"}]}]}
    hits = {name: field_filter(name, values).hit(ev) for name, values in [
        ("EXISTS_ex:a", []), ("EXISTS_ex:b", []), ("EXISTS_INNER_ex:b", []),
        ("EQ_INNER_https://ex.com/voc/#c", ["7"]), ("GE_ILMD_ex:d", ["2025-12-31T19:00:00-05:00"]),
        ("EQ_ERROR_DECLARATION_ex:why", ["typo"]), ("EQ_readPoint_ex:room", ["A"]),
        ("EXISTS_SENSORMETADATA_ex:calibrated", []), ("EQ_SENSORREPORT_ex:probe", ["p1"]),
        ("EQ_SENSORELEMENT_ex:probe", ["p1"]), ("EQ_INNER_SENSORELEMENT_ex:probe", ["p1"])]}
    assert hits == {"EXISTS_ex:a": True, "EXISTS_ex:b": False, "EXISTS_INNER_ex:b": True,
                    "EQ_INNER_https://ex.com/voc/#c": True, "GE_ILMD_ex:d": True,
                    "EQ_ERROR_DECLARATION_ex:why": True, "EQ_readPoint_ex:room": True,
                    "EXISTS_SENSORMETADATA_ex:calibrated": True,
                    "EQ_SENSORREPORT_ex:probe": True, "EQ_SENSORELEMENT_ex:probe": False,
                    "EQ_INNER_SENSORELEMENT_ex:probe": False}  # a report is no extension


def test_master_data_filters_need_binding_and_read_the_sites():
    master = {"urn:site:a": {"https://oreline.dev/voc#country": "KR"},
              "urn:site:b": {"https://oreline.dev/voc#country": "JP"}}
    ev = {"bizLocation": {"id": "urn:site:b"}, "readPoint": {"id": "urn:site:a"}}
    eq = master_filter("EQATTR_bizLocation_oreline:country", ["JP"])
    assert not eq.hit(ev)  # unbound: no master data, no answer
    assert eq.bind(master).hit(ev)
    assert not master_filter("EQATTR_readPoint_oreline:country", ["JP"]).bind(master).hit(ev)
    assert master_filter("HASATTR_readPoint", ["oreline:country"]).bind(master).hit(ev)
    assert not master_filter("HASATTR_readPoint", ["oreline:stage"]).bind(master).hit(ev)


def test_quantity_error_and_sensor_filters_on_hand_events():
    """0.5 t is 500 kg; a count has no unit to convert; 0x0A1B in any case."""
    ev = {"quantityList": [{"epcClass": "urn:c", "quantity": 0.5, "uom": "TNE"},
                           {"epcClass": "urn:d", "quantity": 12}],
          "errorDeclaration": {"declarationTime": "2026-01-02T00:00:00Z",
                               "reason": "did_not_occur", "correctiveEventIDs": ["urn:e"]},
          "sensorElementList": [{"sensorReport": [{"type": "gs1:Temperature",
                                                   "hexBinaryValue": "0a1b"}]}]}
    assert quantity_filter("EQ_quantity_KGM", ["500"]).hit(ev)
    assert not quantity_filter("GT_quantity_KGM", ["500"]).hit(ev)
    assert quantity_filter("GE_quantity", ["12"]).hit(ev)  # no unit: as written
    assert not quantity_filter("GE_quantity_H87", ["12"]).hit(ev)  # no uom is not H87
    assert error_filter("EQ_errorReason", ["cbv:ER-did_not_occur"]).hit(ev)  # type: ignore[union-attr]
    assert error_filter("EQ_correctiveEventID", ["urn:e"]).hit(ev)  # type: ignore[union-attr]
    assert error_filter("EXISTS_errorDeclaration", ["false"]) is None
    assert sensor_filter("EQ_hexBinaryValue", ["0A1B"]).hit(ev)
    assert sensor_filter("EQ_type", ["https://gs1.org/voc/Temperature"]).hit(ev)
