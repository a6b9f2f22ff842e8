"""Valid EPCIS outside the Oreline profile: captured, stored, reported as findings."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from oreline.errors import LotNotFoundError
from oreline.ledger import Ledger, lot_master
from oreline.ledger.epcis.document import make_document
from oreline.ledger.profile.model import OUR_PREFIXES
from tests.ledger.ledgerkit import KMP, L, doc, receipt, t

ALLOY = {"Nd": 0.24, "Pr": 0.06, "Dy": 0.01, "Fe": 0.68, "B": 0.01}
SERIALS = [f"urn:epc:id:sgtin:4012345.011111.{n}" for n in (101, 102, 103)]
CASE = "urn:epc:id:sscc:4012345.0000000777"


def _in(unit: str, qty: float, lot: str = "x1", **master: Any) -> dict[str, Any]:
    """A receipt of ``qty`` ``unit`` (``None``: no uom, a count) of a new oxide lot."""
    ev = receipt(lot, 1.0)
    q = ev["quantityList"][0]
    q["quantity"] = qty
    if unit:
        q["uom"] = unit
    else:
        del q["uom"]
    ev["ilmd"]["oreline:lotMaster"][L + lot].update(master)
    return ev


def _event(kind: str, day: int, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "eventTime": t(day), "eventTimeZoneOffset": "+09:00", **fields}


def test_a_receipt_in_pounds_is_held_in_kilograms(sqlite_ledger: Ledger) -> None:
    """1000 lb = 1000 x 0.45359237 kg = 453.59237 kg, exactly."""
    res = sqlite_ledger.capture(doc(_in("LBR", 1000)))
    assert res.findings == []
    assert sqlite_ledger.lot(L + "x1")["kg"] == 453.59237


def test_pieces_with_a_mass_per_piece_are_held_in_kilograms(sqlite_ledger: Ledger) -> None:
    """400 pieces x 0.0125 kg = 5 kg, in the stock and the mass balance."""
    sqlite_ledger.capture(doc(_in("H87", 400, massPerPiece=0.0125)))
    assert sqlite_ledger.lot(L + "x1")["on_hand_kg"] == 5.0


def test_pieces_without_a_mass_are_kept_as_a_finding(sqlite_ledger: Ledger) -> None:
    res = sqlite_ledger.capture(doc(_in("", 400), _in("LTR", 3, "x2"), receipt("ok", 10.0)))
    assert res.events == 3
    assert [(f.code, f.where) for f in res.findings] == [
        ("finding.pieces", res.event_ids[0]), ("finding.not_mass", res.event_ids[1])]
    assert "counted in pieces (400 pieces): not mass-balanced" in res.findings[0].message
    assert "give the mass per piece" in res.findings[0].fix
    with pytest.raises(LotNotFoundError):
        sqlite_ledger.lot(L + "x1")  # not held as a lot: no stock, no origin
    stored = sqlite_ledger.findings()
    assert [r["code"] for r in stored] == ["finding.pieces", "finding.not_mass"]
    assert len(sqlite_ledger.events()) == 3  # in the chain, the queries and the export
    assert sqlite_ledger.verify(deep=True)["derived_rows"]["findings"] == 2


def test_a_new_lot_without_master_data_is_kept(sqlite_ledger: Ledger) -> None:
    ev = receipt("x1", 5.0)
    del ev["ilmd"]
    res = sqlite_ledger.capture(doc(ev))
    assert [f.code for f in res.findings] == ["finding.no_master"]


def test_an_inspection_with_only_a_read_point_is_captured(sqlite_ledger: Ledger) -> None:
    """No bizLocation needed for an observation: it moves nothing."""
    sqlite_ledger.capture(doc(receipt("ox1", 100.0)))
    inspect = _event("ObjectEvent", 3, action="OBSERVE", bizStep="inspecting",
                     readPoint={"id": KMP},
                     quantityList=[{"epcClass": L + "ox1", "quantity": 100.0, "uom": "KGM"}],
                     sensorElementList=[{"sensorReport": [{"type": "Temperature",
                                                           "value": 21.5, "uom": "CEL"}]}])
    foreign = copy.deepcopy(inspect)
    foreign["quantityList"][0]["epcClass"] = L + "theirs"
    res = sqlite_ledger.capture(doc(inspect, foreign))
    assert [f.code for f in res.findings] == ["finding.lot_not_held"]
    assert sqlite_ledger.lot(L + "ox1")["on_hand_kg"] == 100.0


def test_aggregation_association_and_transaction_are_kept(sqlite_ledger: Ledger) -> None:
    sqlite_ledger.capture(doc(receipt("ox1", 100.0)))
    agg = _event("AggregationEvent", 3, action="ADD", parentID=CASE, childEPCs=SERIALS,
                 childQuantityList=[{"epcClass": L + "ox1", "quantity": 4, "uom": "H87"}],
                 bizStep="packing", readPoint={"id": KMP})
    assoc = _event("AssociationEvent", 4, action="ADD", parentID="urn:epc:id:grai:4012345.55555.1",
                   childEPCs=[SERIALS[0]], readPoint={"id": KMP})
    trx = _event("TransactionEvent", 5, action="ADD",
                 bizTransactionList=[{"type": "po", "bizTransaction": "urn:oreline:po:1"}],
                 quantityList=[{"epcClass": L + "ox1", "quantity": 50.0, "uom": "KGM"}])
    res = sqlite_ledger.capture(doc(agg, assoc, trx))
    assert sorted(f.code for f in res.findings) == [
        "finding.pieces", "outside.aggregation", "outside.association", "outside.transaction"]
    assert sqlite_ledger.lot(L + "ox1")["on_hand_kg"] == 100.0  # nothing moved
    trace = sqlite_ledger.trace_item(SERIALS[0])
    assert [(k["relation"], k["other"]) for k in trace["links"]] == [
        ("contained_in", CASE), ("associated_with", "urn:epc:id:grai:4012345.55555.1")]
    assert sqlite_ledger.verify(deep=True)["derived_rows"]["items"] == 5


def _alloy_and_magnets(ledger: Ledger) -> dict[str, Any]:
    """An alloy lot received (AU/MY origin), 0.6 kg of it sintered into three serials."""
    alloy = receipt("alloy1", 50.0, material="NdFeB alloy", form="alloy", assay=ALLOY)
    ledger.capture(doc(alloy))
    sinter = {"type": "TransformationEvent", "eventTime": t(6), "eventTimeZoneOffset": "+09:00",
              "bizStep": "oreline:BizStep-sintering", "bizLocation": {"id": KMP},
              "readPoint": {"id": KMP},
              "inputQuantityList": [{"epcClass": L + "alloy1", "quantity": 0.6, "uom": "KGM"}],
              "outputEPCList": SERIALS}
    return sinter


def test_a_magnet_serial_traces_back_to_its_alloy_lot(sqlite_ledger: Ledger) -> None:
    sinter = _alloy_and_magnets(sqlite_ledger)
    res = sqlite_ledger.capture(make_document([sinter], prefixes=OUR_PREFIXES))
    assert [f.code for f in res.findings] == ["outside.transformation"]
    assert "3 output(s) traced to 1 input(s)" in res.findings[0].message
    assert sqlite_ledger.lot(L + "alloy1")["on_hand_kg"] == pytest.approx(49.4)
    trace = sqlite_ledger.trace_item(SERIALS[1])
    [link] = trace["links"]
    assert (link["relation"], link["other"]) == ("made_from", L + "alloy1")
    assert link["lot"] is not None
    assert link["lot"]["origin"][0]["stages"]["mined"] == "AU"
    # a motor made from a magnet: traced through the magnet to the alloy lot
    motor = {"type": "TransformationEvent", "eventTime": t(8), "eventTimeZoneOffset": "+09:00",
             "bizStep": "assembling", "readPoint": {"id": KMP},
             "inputEPCList": [SERIALS[1]], "outputEPCList": ["urn:epc:id:sgtin:4012345.022222.9"]}
    sqlite_ledger.capture(doc(motor))
    deep = sqlite_ledger.trace_item("urn:epc:id:sgtin:4012345.022222.9")["links"][0]["item"]
    assert deep is not None and deep["links"][0]["other"] == L + "alloy1"
    assert sqlite_ledger.verify(deep=True)["derived_rows"]["items"] == 4


def test_serial_outputs_still_obey_custody(sqlite_ledger: Ledger) -> None:
    """The inputs in kilograms are consumed: no more than is on hand."""
    from oreline.errors import CaptureError

    sinter = _alloy_and_magnets(sqlite_ledger)
    sinter["inputQuantityList"][0]["quantity"] = 60.0
    with pytest.raises(CaptureError, match="consumes 60 kg of lot urn:oreline:lot:alloy1 "
                                           "but 50 kg is on hand"):
        sqlite_ledger.capture(doc(sinter))


def test_pieces_transformation_with_mass_per_piece_is_balanced(sqlite_ledger: Ledger) -> None:
    """Outputs in pieces with massPerPiece are lots in kg: the profile's balance applies."""
    sinter = _alloy_and_magnets(sqlite_ledger)
    del sinter["outputEPCList"]
    magnet = lot_master("NdFeB magnet", "magnet", ALLOY)
    magnet["massPerPiece"] = 0.02
    sinter["outputQuantityList"] = [{"epcClass": L + "mag1", "quantity": 30, "uom": "H87"}]
    sinter["ilmd"] = {"oreline:lotMaster": {L + "mag1": magnet}}
    res = sqlite_ledger.capture(doc(sinter))
    assert res.findings == []
    assert sqlite_ledger.lot(L + "mag1")["kg"] == pytest.approx(0.6)  # 30 x 0.02 kg
    assert sqlite_ledger.trace_back(L + "mag1")["inputs"][0]["lot"]["lot"] == L + "alloy1"


def test_unknown_item_is_a_clear_error(sqlite_ledger: Ledger) -> None:
    with pytest.raises(LotNotFoundError, match="is not in the ledger"):
        sqlite_ledger.trace_item(SERIALS[0])




def test_outside_events_export_and_capture_into_another_ledger(sqlite_ledger: Ledger,
                                                               tmp_path: Any) -> None:
    """The export holds them as captured; another ledger re-derives the same findings."""
    sinter = _alloy_and_magnets(sqlite_ledger)
    sqlite_ledger.capture(doc(sinter, _in("", 12, "p1")))
    exported = sqlite_ledger.export()
    assert len(exported["epcisBody"]["eventList"]) == 3
    other = Ledger.open(tmp_path / "other.sqlite")
    try:
        res = other.capture(exported)
        assert sorted(f.code for f in res.findings) == ["finding.pieces",
                                                        "outside.transformation"]
        assert other.trace_item(SERIALS[0])["links"][0]["other"] == L + "alloy1"
        assert [r["code"] for r in other.findings()] == [r["code"] for r in
                                                         sqlite_ledger.findings()]
    finally:
        other.close()


def test_an_items_transformation_declared_in_error(sqlite_ledger: Ledger) -> None:
    """Its consumption is reversed and its items no longer trace."""
    sinter = _alloy_and_magnets(sqlite_ledger)
    sinter["eventID"] = "urn:uuid:sinter-1"
    sqlite_ledger.capture(doc(sinter))
    declared = copy.deepcopy(sinter)
    declared["errorDeclaration"] = {"declarationTime": t(7), "reason": "incorrect_data"}
    sqlite_ledger.capture(doc(declared))
    assert sqlite_ledger.lot(L + "alloy1")["on_hand_kg"] == 50.0
    with pytest.raises(LotNotFoundError):
        sqlite_ledger.trace_item(SERIALS[0])
    assert sqlite_ledger.verify(deep=True)["entries"] == 3


def test_a_shipment_in_pieces_of_a_held_lot_moves_its_mass(sqlite_ledger: Ledger) -> None:
    """Received as 400 pieces x 0.0125 kg; 100 pieces shipped take 1.25 kg out."""
    sqlite_ledger.capture(doc(_in("H87", 400, "mag1", massPerPiece=0.0125)))
    ship_ev = _event("ObjectEvent", 9, action="OBSERVE", bizStep="shipping",
                     readPoint={"id": KMP}, bizLocation={"id": KMP},
                     quantityList=[{"epcClass": L + "mag1", "quantity": 100, "uom": "H87"}])
    res = sqlite_ledger.capture(doc(ship_ev))
    assert res.findings == []
    assert sqlite_ledger.lot(L + "mag1")["on_hand_kg"] == 3.75
    # received and shipped in one document (the receipt is not in the ledger yet)
    ship2 = copy.deepcopy(ship_ev)
    ship2["quantityList"] = [{"epcClass": L + "mag2", "quantity": 4, "uom": "EA"}]
    res = sqlite_ledger.capture(doc(_in("H87", 10, "mag2", massPerPiece=0.5), ship2))
    assert res.findings == []
    assert sqlite_ledger.lot(L + "mag2")["on_hand_kg"] == 3.0  # 5 kg in, 4 x 0.5 kg out
    assert sqlite_ledger.verify(deep=True)["derived_rows"]["movements"] == 4


def test_bizlocation_is_needed_only_where_the_profile_places_material(
        sqlite_ledger: Ledger) -> None:
    """A partner's commissioning with only a readPoint is kept; a receipt needs a site."""
    from oreline.errors import CaptureError

    theirs = _event("ObjectEvent", 2, action="ADD", bizStep="commissioning",
                    readPoint={"id": "urn:epc:id:sgln:4012345.00001.0"},
                    quantityList=[{"epcClass": "urn:epc:class:lgtin:4012345.011111.L1",
                                   "quantity": 20.5, "uom": "KGM"}])
    res = sqlite_ledger.capture(doc(theirs))
    assert [f.code for f in res.findings] == ["finding.no_master"]
    ours = receipt("x1", 5.0)
    del ours["bizLocation"]
    with pytest.raises(CaptureError, match="bizLocation is missing"):
        sqlite_ledger.capture(doc(ours))
    sqlite_ledger.capture(doc(receipt("x2", 5.0)))
    move = receipt("x2", 5.0, day=4)
    del move["bizLocation"], move["ilmd"]
    with pytest.raises(CaptureError, match="bizLocation is missing: lot urn:oreline:lot:x2 is "
                                           "held"):
        sqlite_ledger.capture(doc(move))
