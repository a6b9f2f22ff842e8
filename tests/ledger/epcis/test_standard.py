"""The EPCIS 2.0 structural rules: the standard's shapes pass, each violation is named."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oreline.errors import CaptureError, Issue
from oreline.ledger import Ledger
from oreline.ledger.epcis.standard import check_event
from oreline.ledger.integrity import chain
from tests.ledger.capture.test_capture import _spec_events
from tests.ledger.epcis.test_hashing import SINGLE_EVENT
from tests.ledger.ledgerkit import KMP, OX, L, doc, electrolysis, receipt, ship, t


def _issues(ev: dict[str, Any]) -> list[Issue]:
    out: list[Issue] = []
    check_event(ev, "event[0]", out)
    return out


def test_the_standards_shapes_pass() -> None:
    for ev in [*_spec_events(), SINGLE_EVENT, receipt("ok", 5.0), ship("ok", 1.0)]:
        assert _issues(ev) == [], ev
    obs_agg = {"type": "AggregationEvent", "eventTime": t(2), "eventTimeZoneOffset": "-14:00",
               "action": "OBSERVE", "childEPCs": ["urn:epc:id:sgtin:0614141.107346.2018"]}
    assert _issues(obs_agg) == []  # an observed aggregation may leave its parent out
    sensor_only = {"type": "ObjectEvent", "eventTime": t(2), "eventTimeZoneOffset": "+14:00",
                   "action": "OBSERVE", "readPoint": {"id": KMP},
                   "sensorElementList": [{"sensorReport": [{"type": "Temperature",
                                                            "value": 20}]}]}
    assert _issues(sensor_only) == []


def _with(**changes: Any) -> dict[str, Any]:
    ev = copy.deepcopy(receipt("x1", 5.0))
    for key, value in changes.items():
        if value is None:
            del ev[key]
        else:
            ev[key] = value
    return ev


TFM = {"type": "TransformationEvent", "eventTime": t(4), "eventTimeZoneOffset": "+09:00",
       "transformationID": "urn:oreline:campaign:1", "bizLocation": {"id": KMP}}

VIOLATIONS: list[tuple[str, dict[str, Any], str, str]] = [
    ("offset -14:30", _with(eventTimeZoneOffset="-14:30"), "eventTimeZoneOffset",
     "eventTimeZoneOffset is '-14:30', not an offset from -14:00 to +14:00"),
    ("recordTime", _with(recordTime="yesterday"), "recordTime", "is not a timestamp"),
    ("eventID", _with(eventID="event 1"), "eventID", "eventID 'event 1' is not a URI"),
    ("epcList type", _with(epcList="urn:epc:id:sgtin:1.2.3"), "epcList",
     "epcList must be a list of URIs, not str"),
    ("quantity text", _with(quantityList=[{"epcClass": L + "x1", "quantity": "5",
                                           "uom": "KGM"}]),
     "quantityList[0].quantity", "quantity '5' is not a number"),
    ("bizStep", _with(bizStep="receiving goods"), "bizStep", "is not a CBV term or URI"),
    ("persistentDisposition", _with(persistentDisposition={"set": "damaged"}),
     "persistentDisposition", "needs set and/or unset lists"),
    ("bizTransaction", _with(bizTransactionList=[{"type": "po"}]), "bizTransactionList[0]",
     "entry has no bizTransaction"),
    ("destination", _with(destinationList=[{"type": "owning_party"}]),
     "destinationList[0]", "entry has no destination"),
    ("sensorReport", _with(sensorElementList=[{"sensorMetadata": {}}]),
     "sensorElementList[0]", "sensor element has no sensorReport list"),
    ("certificationInfo", _with(certificationInfo=["cert 1"]), "certificationInfo",
     "must be a URI or a list of URIs"),
    ("ilmd type", _with(ilmd=["x"]), "ilmd", "ilmd must be an object"),
    ("no objects", _with(quantityList=None), "epcList", "an ObjectEvent names no objects"),
    ("no action", _with(action=None), "action", "action is missing"),
    ("corrective IDs", _with(errorDeclaration={"declarationTime": t(5),
                                               "correctiveEventIDs": "urn:uuid:1"}),
     "errorDeclaration.correctiveEventIDs", "must be a list of event ID URIs"),
    ("transformation action", {**TFM, "action": "ADD",
                               "inputQuantityList": [{"epcClass": L + "a", "quantity": 1,
                                                      "uom": "KGM"}]},
     "action", "a TransformationEvent has no action"),
    ("campaign with nothing", TFM, "transformationID", "names no inputs and no outputs"),
    ("association parent", {"type": "AssociationEvent", "eventTime": t(5),
                            "eventTimeZoneOffset": "+09:00", "action": "OBSERVE",
                            "childEPCs": ["urn:epc:id:giai:4000001.12345"]},
     "parentID", "an AssociationEvent with action OBSERVE needs parentID"),
    ("aggregation children", {"type": "AggregationEvent", "eventTime": t(5),
                              "eventTimeZoneOffset": "+09:00", "action": "ADD",
                              "parentID": "urn:epc:id:sscc:4012345.0000000333"},
     "childEPCs", "an AggregationEvent with action ADD names no children"),
]


@pytest.mark.parametrize(("ev", "where", "message"), [v[1:] for v in VIOLATIONS],
                         ids=[v[0] for v in VIOLATIONS])
def test_each_violation_is_named_with_a_fix(ev: dict[str, Any], where: str,
                                            message: str) -> None:
    issues = _issues(ev)
    assert [i.field for i in issues] == [where], issues
    assert message in issues[0].message
    assert issues[0].fix


# Any JSON value put anywhere in a valid document gives a capture or a CaptureError listing
# the problems, never another exception (a traceback for a user mistake).
json_leaf = (st.none() | st.booleans() | st.integers(-5, 5) | st.floats()  # NaN, +-inf too
             | st.integers(2**53 - 2, 2**64) | st.text(max_size=6)
             | st.sampled_from([2.0**53, -(2.0**53), 2.0**53 + 2, 1e300])  # integral floats
             | st.sampled_from(["urn:x:y", "KGM", "+09:00", t(3), "\ud800",
                                "0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-02:00"]))
json_any = st.recursive(json_leaf, lambda c: st.lists(c, max_size=2)
                        | st.dictionaries(st.text(max_size=4), c, max_size=2), max_leaves=4)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


BASE = [receipt("f1", 1000.0), electrolysis({"f1": 400.0}, "fm1",
                                            round(400 * (OX["Nd"] + OX["Pr"]) * 0.96, 3)),
        ship("fm1", 10.0)]
BASE_PATHS = [(i, *p) for i, ev in enumerate(BASE) for p in _paths(ev)]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(BASE_PATHS), json_any)
def test_any_value_anywhere_is_captured_or_refused_cleanly(path: tuple[Any, ...],
                                                           value: Any) -> None:
    events = copy.deepcopy(BASE)
    obj: Any = events
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = value
    ledger = Ledger.open("sqlite://")
    try:
        ledger.register_site(KMP, "KMP", "KR", "alloying")
        refused: CaptureError | None = None
        try:
            res = ledger.capture(doc(*events))
        except CaptureError as exc:
            refused = exc
        if refused is not None:
            assert refused.issues and all(i.message for i in refused.issues)
            assert ledger.store.count("entries") == 0
        else:
            assert res.events == len(events)
            assert ledger.verify(deep=True)["entries"] == len(events)
    finally:
        ledger.close()


def test_integral_floats_beyond_2_53_survive_verify_export_and_recapture(tmp_path: Any
                                                                         ) -> None:
    """RFC 8785 writes the float 2**53 as ``9007199254740992``; read back, it is that float.

    Once, verify re-read the stored text as an integer beyond I-JSON and crashed.
    """
    big = copy.deepcopy(BASE)
    big[0]["oreline:note"] = {"scale": 2.0**53, "neg": -(2.0**60), "huge": 1e300}
    ledger = Ledger.open(tmp_path / "a.sqlite")
    again = Ledger.open(tmp_path / "b.sqlite")
    try:
        ledger.register_site(KMP, "KMP", "KR", "alloying")
        first = ledger.capture(doc(*big))
        assert ledger.verify(deep=True)["entries"] == len(big)
        with ledger.store.read() as conn:
            body = conn.exec_driver_sql(
                "SELECT body FROM entries WHERE body LIKE '%oreline:note%'").scalar_one()
        # RFC 8785 text (ECMAScript's: (2**60).toString() is 1152921504606847000)
        assert '{"huge":1e+300,"neg":-1152921504606847000,"scale":9007199254740992}' in body
        stored = ledger.export()
        note = stored["epcisBody"]["eventList"][0]["oreline:note"]
        assert note == {"scale": 2.0**53, "neg": -(2.0**60), "huge": 1e300}
        assert type(note["scale"]) is float and type(note["neg"]) is float
        ledger.write_pack(tmp_path / "pack.zip", tmp_path / "key.pem")
        assert chain.verify_pack(tmp_path / "pack.zip")["entries"] == len(big)
        path = tmp_path / "export.jsonld"
        path.write_text(json.dumps(stored))  # as a user would keep it: a file
        second = again.capture(path)
        assert second.event_ids == first.event_ids  # the same CBV hash IDs
        assert again.verify(deep=True)["entries"] == len(big)
    finally:
        ledger.close()
        again.close()


def test_an_integer_of_thousands_of_digits_is_refused_with_a_message(tmp_path: Any) -> None:
    path = tmp_path / "huge.jsonld"
    path.write_text('{"type": "EPCISDocument", "n": 1' + "0" * 5000 + "}")
    with pytest.raises(CaptureError) as err:
        Ledger.open(tmp_path / "l.sqlite").capture(path)
    assert err.value.issues[0].where == str(path)
    assert "digits" in err.value.issues[0].message
