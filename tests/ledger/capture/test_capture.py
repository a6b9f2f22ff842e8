"""Capture: round trip of every event type, and a corpus of malformed documents."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from oreline.errors import CaptureError
from oreline.ledger import Ledger, lot_master, transform_event
from oreline.ledger.epcis.document import make_document
from oreline.ledger.profile.model import OUR_PREFIXES
from oreline.ledger.store.schema import entries
from tests.ledger.ledgerkit import (
    DY2O3,
    KMP,
    METAL,
    OX,
    L,
    cast,
    doc,
    electrolysis,
    receipt,
    ship,
    t,
)


def _spec_events() -> list[dict[str, Any]]:
    """One event of every EPCIS 2.0 type, in the JSON-LD shapes of the standard."""
    rec = receipt("ox1", 1000.0)
    rec["bizTransactionList"] = [{"type": "po", "bizTransaction": "urn:oreline:po:4711"}]
    rec["certificationInfo"] = "https://certs.example.org/irma/lynas-2026"
    agg = {
        "type": "AggregationEvent", "eventTime": t(2), "eventTimeZoneOffset": "+09:00",
        "parentID": "urn:epc:id:sscc:4012345.0000000333", "action": "ADD",
        "childQuantityList": [{"epcClass": L + "ox1", "quantity": 1000.0, "uom": "KGM"}],
        "bizStep": "packing", "disposition": "in_progress", "readPoint": {"id": KMP},
        "bizLocation": {"id": KMP},
    }
    trx = {
        "type": "TransactionEvent", "eventTime": t(3), "eventTimeZoneOffset": "+09:00",
        "bizTransactionList": [{"type": "inv", "bizTransaction": "urn:oreline:inv:99"}],
        "parentID": "urn:epc:id:sscc:4012345.0000000333", "action": "ADD",
        "quantityList": [{"epcClass": L + "ox1", "quantity": 1.0, "uom": "TNE"}],
        "bizStep": "accepting", "readPoint": {"id": KMP}, "bizLocation": {"id": KMP},
    }
    tfm = electrolysis({"ox1": 400.0}, "m1", round(400 * (OX["Nd"] + OX["Pr"]) * 0.96, 3),
                       day=4)
    tfm["transformationID"] = "urn:oreline:campaign:E-2026-03-01"
    assoc = {
        "type": "AssociationEvent", "eventTime": t(5), "eventTimeZoneOffset": "+09:00",
        "parentID": "urn:epc:id:grai:4012345.55555.987",
        "childEPCs": ["urn:epc:id:giai:4000001.12345"], "action": "ADD",
        "bizStep": "assembling", "readPoint": {"id": KMP},
    }
    obs = ship("m1", 100.0, day=6, customer="urn:oreline:party:ns-world")
    obs["sensorElementList"] = [{"sensorMetadata": {"time": t(6)}, "sensorReport": [
        {"type": "Temperature", "value": 21.5, "uom": "CEL"}]}]
    return [rec, agg, trx, tfm, assoc, obs]


def test_every_event_type_round_trips_exactly(ledger: Ledger) -> None:
    events = _spec_events()
    res = ledger.capture(doc(*events))
    assert res.events == len(events)
    exported = ledger.export()["epcisBody"]["eventList"]
    assert exported == events
    # and again through JSON text: same values, same hash IDs
    again = json.loads(json.dumps(ledger.export()))
    assert again["epcisBody"]["eventList"] == events
    assert ledger.verify()["entries"] == len(events)


def test_error_declaration_round_trips_and_reverses_stock(ledger: Ledger) -> None:
    first = ship("ox1", 300.0)
    ledger.capture(doc(receipt("ox1", 1000.0), first))
    assert ledger.lot(L + "ox1")["on_hand_kg"] == pytest.approx(700.0)
    decl = copy.deepcopy(first)
    decl["errorDeclaration"] = {"declarationTime": t(21), "reason": "incorrect_data",
                                "correctiveEventIDs": ["urn:uuid:fix-1"]}
    fix = ship("ox1", 250.0, day=21, event_id="urn:uuid:fix-1")
    ledger.capture(doc(decl, fix))
    assert ledger.lot(L + "ox1")["on_hand_kg"] == pytest.approx(750.0)
    assert ledger.export()["epcisBody"]["eventList"][-2:] == [decl, fix]
    fwd = ledger.trace_forward(L + "ox1")
    assert [s["kg"] for s in fwd["shipments"]] == [250.0]
    with ledger.store.read() as conn:
        kinds = conn.execute(select(entries.c.kind).order_by(entries.c.seq)).scalars().all()
    assert kinds == ["event", "event", "error", "event"]


def test_custom_prefixes_keep_events_verifiable(ledger: Ledger) -> None:
    d = doc(receipt("ox1", 10.0))
    d["@context"] = [*d["@context"], {"ex": "https://ns.example.com/epcis/"}]
    d["epcisBody"]["eventList"][0]["ex:note"] = "first lot"
    ledger.capture(d)
    ev = ledger.export()["epcisBody"]["eventList"][0]
    assert ev["@context"] == [{"ex": "https://ns.example.com/epcis/"}]
    assert ledger.verify()["entries"] == 1


# ---------------------------------------------------------------------------------------
# Malformed documents: each rejected with its own message, nothing written.

def _setup(ledger: Ledger) -> None:
    ledger.capture(doc(receipt("ox1", 1000.0), receipt("ox9", 50.0, event_id="urn:uuid:e-9")))


def _metal(kg: float) -> dict[str, Any]:
    return electrolysis({"ox1": 400.0}, "m1", kg)


def _del(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def edit(ev: dict[str, Any]) -> None:
        obj: Any = ev
        for p in path[:-1]:
            obj = obj[p]
        del obj[path[-1]]
    return edit


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(ev: dict[str, Any]) -> None:
        obj: Any = ev
        for p in path[:-1]:
            obj = obj[p]
        obj[path[-1]] = value
    return edit


def _edited(ev: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    ev = copy.deepcopy(ev)
    edit(ev)
    return ev


GOOD = receipt("new1", 100.0)
Q0 = ["quantityList", 0]
MASTER_NEW1 = ["ilmd", "oreline:lotMaster", L + "new1"]
NORMAL_METAL = round(400 * (OX["Nd"] + OX["Pr"]) * 0.96, 3)

CORPUS: list[tuple[str, Any, str]] = [
    ("uom not a Rec 20 code", [GOOD, _edited(receipt("x1", 5.0), _set([*Q0, "uom"], "kg"))],
     "uom 'kg' is not a UN/ECE Rec 20 code"),
    ("negative quantity", [GOOD, _edited(receipt("x1", 5.0), _set([*Q0, "quantity"], -5))],
     "quantity -5 is not positive"),
    ("unknown input lot", [GOOD, electrolysis({"ghost": 10.0}, "m1", 8.0)],
     "input lot urn:oreline:lot:ghost is unknown"),
    ("output heavier than input x yield", [GOOD, _metal(400.0)],
     "output heavier than input x yield for Nd"),
    ("unexplained loss", [GOOD, _metal(200.0)], "unexplained loss of Nd"),
    ("missing time zone", [GOOD, _edited(receipt("x1", 5.0), _set(["eventTime"],
                                                                     "2026-03-02T08:00:00"))],
     "has no time zone offset"),
    ("missing eventTimeZoneOffset", [GOOD, _edited(receipt("x1", 5.0),
                                                   _del(["eventTimeZoneOffset"]))],
     "eventTimeZoneOffset is missing"),
    ("duplicate eventID in document", [receipt("x1", 5.0, event_id="urn:uuid:dup"),
                                       receipt("x2", 5.0, event_id="urn:uuid:dup")],
     "duplicate eventID, already used by event[0]"),
    ("eventID already in ledger", [GOOD, receipt("x1", 5.0, event_id="urn:uuid:e-9")],
     "already in the ledger"),
    ("Dy from nowhere", [GOOD, electrolysis({"ox1": 400.0}, "m1", NORMAL_METAL,
                                            assay={"Nd": METAL["Nd"] * 0.99,
                                                   "Pr": METAL["Pr"] * 0.99, "Dy": 0.01})],
     "Dy appears from nowhere"),
    ("consumes more than on hand", [GOOD, electrolysis({"ox1": 1500.0}, "m1", 1224.0)],
     "consumes 1500 kg of lot urn:oreline:lot:ox1 but 1000 kg is on hand"),
    ("ships more than on hand", [GOOD, ship("ox1", 5000.0)],
     "ships 5000 kg of lot urn:oreline:lot:ox1 but 1000 kg is on hand"),
    ("unknown site", [GOOD, _edited(receipt("x1", 5.0), _set(["bizLocation", "id"],
                                                             "urn:oreline:site:nowhere"))],
     "site 'urn:oreline:site:nowhere' is unknown"),
    ("missing bizLocation", [GOOD, _edited(receipt("x1", 5.0), _del(["bizLocation"]))],
     "bizLocation is missing"),
    ("assay over 100 %", [_edited(GOOD, _set([*MASTER_NEW1, "assay"], {"Nd": 0.8, "Pr": 0.3}))],
     "assay fractions sum to 1.1000, more than 1"),
    ("assay names a non-element", [_edited(GOOD, _set([*MASTER_NEW1, "assay"], {"Xx": 0.1}))],
     "assay names 'Xx', not an element symbol"),
    ("bad country code", [receipt("x1", 5.0, {"mined": "Australia", "separated": "MY"})],
     "country 'Australia' is not an ISO 3166-1 alpha-2 code"),
    ("unknown stage", [receipt("x1", 5.0, {"smelted": "AU"})],
     "origin stage 'smelted' is not one of mined"),
    ("bad evidence hash", [receipt("x1", 5.0, evidence={"mined": ["abc"]})],
     "evidence 'abc' is not a lower-case hex SHA-256"),
    ("step outside our profile", [GOOD, _edited(_metal(NORMAL_METAL), _set(["bizStep"],
                                                                           "commissioning"))],
     "bizStep 'commissioning' is not a transformation step"),
    ("output lot already exists", [GOOD, electrolysis({"ox1": 400.0}, "ox9", NORMAL_METAL)],
     "output lot urn:oreline:lot:ox9 already exists"),
    ("output declares its origin", [GOOD, transform_event(
        "electrolytic_reduction", site=KMP, time=t(5), inputs={L + "ox1": 400.0},
        outputs={L + "m1": (NORMAL_METAL, lot_master("NdPr metal", "metal", METAL,
                                                     origin={"mined": "US"}))})],
     "origin of a transformation output is computed"),
    ("unknown event type", [GOOD, {**receipt("x1", 5.0), "type": "FooEvent"}],
     "event type 'FooEvent' is unknown"),
    # (an error declaration of an event not held yet is kept: tests/ledger/capture/
    # test_idempotence.py)
    ("claim beyond the site's credits", [
        receipt("vn1", 5000.0, {"mined": None, "separated": "VN"}),
        ship("vn1", 5000.0, claim_share=1.0)],
     "credits at urn:oreline:site:kmp but"),
    ("malformed claim", [GOOD, _edited(ship("ox1", 1.0), _set(["oreline:claim"], {"x": 1}))],
     "claim {'x': 1} is malformed"),
    # the standard's own structure (EPCIS 2.0 JSON binding)
    ("offset out of range", [GOOD, _edited(receipt("x1", 5.0),
                                           _set(["eventTimeZoneOffset"], "+15:00"))],
     "eventTimeZoneOffset is '+15:00'"),
    ("epcClass not a URI", [GOOD, _edited(receipt("x1", 5.0), _set([*Q0, "epcClass"],
                                                                   "lot x1"))],
     "epcClass 'lot x1' is not a URI"),
    ("bizLocation as a bare string", [GOOD, _edited(receipt("x1", 5.0),
                                                    _set(["bizLocation"], KMP))],
     "bizLocation must be an object with an id"),
    ("transaction without business transaction", [GOOD, {
        "type": "TransactionEvent", "eventTime": t(3), "eventTimeZoneOffset": "+09:00",
        "action": "ADD", "quantityList": [{"epcClass": L + "ox1", "quantity": 1.0,
                                           "uom": "TNE"}], "bizLocation": {"id": KMP}}],
     "a TransactionEvent needs bizTransactionList"),
    ("aggregation without parent", [GOOD, {
        "type": "AggregationEvent", "eventTime": t(2), "eventTimeZoneOffset": "+09:00",
        "action": "ADD", "childEPCs": ["urn:epc:id:sgtin:0614141.107346.2018"]}],
     "an AggregationEvent with action ADD needs parentID"),
    ("ilmd on an observation", [GOOD, _edited(ship("ox1", 1.0),
                                             _set(["ilmd"], {"oreline:note": "x"}))],
     "ilmd on an ObjectEvent with action OBSERVE"),
    ("source without type", [GOOD, _edited(receipt("x1", 5.0), _set(
        ["sourceList"], [{"source": "urn:oreline:party:lynas"}]))],
     "entry of sourceList has no type"),
    ("error declaration without time", [GOOD, {**ship("ox1", 1.0), "eventID": "urn:uuid:n",
                                               "errorDeclaration": {"reason": "x"}}],
     "declarationTime is missing"),
]


def _count(ledger: Ledger) -> tuple[int, int, int, float]:
    return (ledger.store.count("entries"), ledger.store.count("lots"),
            ledger.store.count("movements"), ledger.lot(L + "ox1")["on_hand_kg"])


@pytest.mark.parametrize(("events", "message"), [(c[1], c[2]) for c in CORPUS],
                         ids=[c[0] for c in CORPUS])
def test_malformed_document_is_rejected_whole(ledger: Ledger, events: list[dict[str, Any]],
                                              message: str) -> None:
    _setup(ledger)
    before = _count(ledger)
    with pytest.raises(CaptureError) as info:
        ledger.capture(make_document(events, prefixes=OUR_PREFIXES))
    text = str(info.value)
    assert message in text
    issue = next(i for i in info.value.issues if message in str(i))
    assert issue.where.startswith("event[")
    assert issue.fix
    assert _count(ledger) == before


def test_corpus_is_big_and_messages_distinct() -> None:
    assert len(CORPUS) >= 15
    assert len({c[2] for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"type": "EPCISDocument", "epcisBody": {"eventList": []}}', "no events found"),
        ('{"type": "Nonsense"}', "type is 'Nonsense'"),
        ("[1, 2]", "not a JSON object"),
    ],
)
def test_unreadable_documents(ledger: Ledger, source: str, message: str) -> None:
    with pytest.raises(CaptureError, match=message):
        ledger.capture(source)
    assert ledger.store.count("entries") == 0


def test_all_problems_reported_at_once(ledger: Ledger) -> None:
    bad = [_edited(receipt("x1", 5.0), _set([*Q0, "uom"], "kg")),
           _edited(receipt("x2", 5.0), _set(["eventTime"], "2026-03-02T08:00:00")),
           ship("ghost", 1.0)]
    with pytest.raises(CaptureError) as info:
        ledger.capture(make_document(bad, prefixes=OUR_PREFIXES))
    wheres = sorted({i.where.split(" ")[0] for i in info.value.issues})
    assert wheres == ["event[0]", "event[1]"]  # ghost is checked once the document parses


def test_flag_policy_records_instead_of_rejecting(tmp_path: Any) -> None:
    led = Ledger.open(tmp_path / "f.sqlite")
    led.register_site(KMP, "KMP", "KR", "alloying", policy="flag")
    led.capture(doc(receipt("ox1", 1000.0)))
    res = led.capture(doc(_metal(200.0)))
    assert len(res.flags) == 2  # Nd and Pr losses
    assert {f["event_id"] for f in led.flags()} == {res.event_ids[0]}
    assert "unexplained loss of Nd" in led.flags()[0]["message"] + led.flags()[1]["message"]
    led.close()


def test_cast_with_scrap_output_balances_and_scrap_keeps_origin(ledger: Ledger) -> None:
    metal = NORMAL_METAL
    alloy_assay = {"Nd": round(metal * METAL["Nd"] * 0.9 / 1000.0, 6),
                   "Pr": round(metal * METAL["Pr"] * 0.9 / 1000.0, 6),
                   "Fe": round(680.0 * 0.9 / 1000.0, 6)}
    scrap = {"Nd": round(metal * METAL["Nd"] * 0.09 / 100.0, 6),
             "Pr": round(metal * METAL["Pr"] * 0.09 / 100.0, 6),
             "Fe": round(680.0 * 0.09 / 100.0, 6)}
    ledger.capture(doc(
        receipt("ox1", 400.0), receipt("fe", 680.0, {}, material="iron", assay={"Fe": 1.0},
                                       form="reagent"),
        _metal(metal),
        cast({"m1": metal, "fe": 680.0}, "a1", 1000.0, alloy_assay, extra_outputs={
            "sw1": (100.0, lot_master("alloy swarf", "swarf", scrap))})))
    a1, sw1 = ledger.lot(L + "a1"), ledger.lot(L + "sw1")
    assert sw1["origin"] == a1["origin"]
    assert sw1["origin"][0]["stages"]["mined"] == "AU"
    assert DY2O3["Dy"] > 0.87


def test_a_lot_listed_twice_cannot_be_consumed_twice(ledger: Ledger) -> None:
    ledger.capture(doc(receipt("ox1", 500.0)))
    twice = electrolysis({"ox1": 400.0}, "m1", NORMAL_METAL * 2)
    twice["inputQuantityList"].append(dict(twice["inputQuantityList"][0]))
    with pytest.raises(CaptureError, match="consumes 800 kg of lot urn:oreline:lot:ox1 but "
                                           "500 kg is on hand"):
        ledger.capture(doc(twice))


def _split_campaign() -> tuple[dict[str, Any], dict[str, Any]]:
    whole = electrolysis({"ox1": 400.0}, "m1", NORMAL_METAL)
    feed = copy.deepcopy(whole)
    feed.pop("outputQuantityList")
    feed.pop("ilmd")
    feed["transformationID"] = "urn:oreline:campaign:E1"
    tap = copy.deepcopy(whole)
    tap.pop("inputQuantityList")
    tap["transformationID"] = "urn:oreline:campaign:E1"
    tap["eventTime"] = t(7)
    return feed, tap


def test_campaign_split_over_two_events_balances_as_a_whole(ledger: Ledger) -> None:
    feed, tap = _split_campaign()
    ledger.capture(doc(receipt("ox1", 1000.0), feed, tap))
    m1 = ledger.lot(L + "m1")
    assert m1["origin"][0]["stages"] == {"mined": "AU", "separated": "MY", "refined": "KR",
                                         "melted": None, "produced": None}
    assert ledger.lot(L + "ox1")["on_hand_kg"] == pytest.approx(600.0)
    # open, the tap takes its rare earths' share of what is in the cell (96 % of it)
    taken = 400.0 * NORMAL_METAL * sum(METAL.values()) / (400.0 * sum(OX[e] for e in METAL))
    assert ledger.trace_back(L + "m1")["inputs"][0]["kg"] == pytest.approx(taken)
    assert taken == pytest.approx(384.0, abs=0.01)
    assert ledger.verify(deep=True)["derived_rows"]["edges"] == 1


def test_campaign_closed_without_its_outputs_is_rejected(ledger: Ledger) -> None:
    feed, _tap = _split_campaign()
    feed["oreline:closeCampaign"] = True
    with pytest.raises(CaptureError, match="campaign urn:oreline:campaign:E1 has no outputs "
                                           "but is closed"):
        ledger.capture(doc(receipt("ox1", 1000.0), feed))
    assert ledger.store.count("entries") == 0
    del feed["oreline:closeCampaign"]  # left open, its outputs may come in a later document
    ledger.capture(doc(receipt("ox1", 1000.0), feed))
    assert ledger.store.count("entries") == 2


def test_evidence_must_be_valid_at_event_time(ledger: Ledger) -> None:
    sha = "ab" * 32
    ok = receipt("ox1", 10.0)
    ok["ilmd"]["oreline:lotMaster"][L + "ox1"]["origin"]["mined"]["evidence"] = [
        {"sha256": sha, "type": "certificate of origin", "issuer": "Lynas",
         "validFrom": "2026-01-01", "validTo": "2026-12-31"}]
    ledger.capture(doc(ok))
    assert ledger.lot(L + "ox1")["origin"][0]["evidence"] == [sha]
    late = receipt("ox2", 10.0, day=2)
    late["ilmd"]["oreline:lotMaster"][L + "ox2"]["origin"]["mined"]["evidence"] = [
        {"sha256": sha, "type": "audit certificate", "validTo": "2026-02-28"}]
    with pytest.raises(CaptureError, match=r"audit certificate abababababab\.\.\. is valid "
                                           r"\.\.\. to 2026-02-28, not on the event date "
                                           r"2026-03-02"):
        ledger.capture(doc(late))
