"""Every SimpleEventQuery parameter against a small ledger whose answers are known by hand.

The ledger is :mod:`tests.ledger.querykit` (GS1 examples and the receipts R0..R4; its
docstring has the table the receipt expectations are worked out from). Each case names
the events it expects, in capture order: S* the sensor examples, PD1/PD2 the persistent
disposition example, TYPED the source/destination/bizTransaction example, SHIP/RECV the
9.6.1 example, E1 (declared in error) and E2 (its corrective event).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oreline.ledger import Ledger
from oreline.ledger.profile.query import parse_query
from oreline.ledger.store.eventorder import Position
from oreline.ledger.store.eventquery import count_events, find_events, find_page
from tests.ledger.conftest import _pg_ledger
from tests.ledger.querykit import SITE, documents, event_id

N = {"S1b": event_id("SensorDataExample1b"), "S2": event_id("SensorDataExample2"),
     "S4": event_id("SensorDataExample4"), "S6": event_id("SensorDataExample6"),
     "S7": event_id("SensorDataExample7"), "S8": event_id("SensorDataExample8"),
     "S13": event_id("SensorDataExample13"), "S9": event_id("SensorDataExample9"),
     "PD1": event_id("PersistentDisposition-example"),
     "PD2": event_id("PersistentDisposition-example", 1),
     "TYPED": event_id("Example-Type-sourceOrDestination,measurement,bizTransaction"),
     "SHIP": event_id("Example_9.6.1-ObjectEvent"),
     "RECV": event_id("Example_9.6.1-ObjectEvent", 1),
     "E1": event_id("errors"), "E2": event_id("errors", 1),
     **{f"R{i}": f"urn:test:R{i}" for i in range(5)}}
SENSORS = ["S1b", "S2", "S4", "S6", "S7", "S8", "S13", "S9"]
RS = [f"R{i}" for i in range(5)]
_DL = "https://identifiers.org/inchikey:CZMRCDWAGMRECN-UGDNZRGBSA-N"


@pytest.fixture(scope="module", params=[
    "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def led(request: pytest.FixtureRequest) -> Iterator[Ledger]:
    """The query ledger on SQLite and (when ORELINE_PG_URL is set) on PostgreSQL."""
    if request.param == "sqlite":
        led = Ledger.open("sqlite://")
        for doc in documents():
            led.capture(doc)
        yield led
        led.close()
        return
    for led in _pg_ledger():
        for doc in documents():
            led.capture(doc)
        yield led


def names(led: Ledger, params: dict[str, list[str]], per_page: int = 1000) -> list[str]:
    """The events answering ``params``, by name, through every page."""
    back = {v: k for k, v in N.items()}
    query, pos, out = parse_query(params), Position(), []
    with led.store.read() as conn:
        while True:
            page = find_page(conn, query, after=pos, limit=per_page)
            out += [back[f.body["eventID"]] for f in page.events]
            if not page.more:
                return out
            pos = page.next


CASES: list[tuple[dict[str, list[str]], list[str]]] = [
    # persistent dispositions, in every spelling of the CBV term
    ({"EQ_persistentDisposition_set": ["completeness_verified"]}, ["PD2"]),
    ({"EQ_persistentDisposition_set": ["cbv:Disp-completeness_inferred"]}, ["PD1"]),
    ({"EQ_persistentDisposition_unset": ["https://ref.gs1.org/cbv/Disp-completeness_inferred"]},
     ["PD2"]),
    ({"EQ_persistentDisposition_unset": ["completeness_verified"]}, []),
    # quantities: S4, S6 150 KGM; S8 52 KGM; TYPED 4 (a count); E1 500, 452 KGM; E2 500 KGM
    ({"GE_quantity_KGM": ["1000"]}, ["R0", "R1"]),
    ({"LT_quantity_TNE": ["0.5"]}, ["S4", "S6", "S8", "E1", "R4"]),
    ({"GT_quantity_LBR": ["2000"]}, ["R0", "R1"]),
    ({"EQ_quantity_LBR": ["2000"]}, ["R2"]),
    ({"EQ_quantity_KGM": ["500"]}, ["E1", "E2", "R3"]),
    ({"LE_quantity": ["4"]}, ["TYPED", "R1", "R4"]),
    ({"EQ_quantity": ["500"]}, ["E1", "E2", "R3"]),
    ({"EQ_quantity": ["150|1000"]}, ["S4", "S6", "R0"]),
    ({"GE_quantity_KGM": ["900"], "LT_quantity_KGM": ["1000"]}, ["R2"]),
    ({"EQ_quantity_MTR": ["1"]}, []),
    # error declarations (E1 declared 2020-01-15T00:00+01:00 = 2020-01-14T23:00Z)
    ({"EXISTS_errorDeclaration": []}, ["E1"]),
    ({"EXISTS_errorDeclaration": ["false"]}, list(N)),
    ({"EQ_errorReason": ["incorrect_data"]}, ["E1"]),
    ({"EQ_errorReason": ["urn:epcglobal:cbv:er:incorrect_data"]}, ["E1"]),
    ({"EQ_errorReason": ["did_not_occur"]}, []),
    ({"GE_errorDeclarationTime": ["2020-01-14T23:00:00Z"]}, ["E1"]),
    ({"GE_errorDeclarationTime": ["2020-01-14T23:00:01Z"]}, []),
    ({"LT_errorDeclarationTime": ["2020-01-15T00:00:01+01:00"]}, ["E1"]),
    ({"EQ_correctiveEventID": [N["E2"]]}, ["E1"]),
    ({"EQ_ERROR_DECLARATION_example:vendorExtension": ["Test1"]}, ["E1"]),
    # typed lists
    ({"EQ_bizTransaction_po": ["http://transaction.acme.com/po/12345678"]},
     ["TYPED", "SHIP", "RECV"]),
    ({"EQ_bizTransaction_inv": ["urn:epcglobal:cbv:bt:4023333000000:54545"]}, ["TYPED"]),
    ({"EQ_bizTransaction_po": ["urn:epcglobal:cbv:bt:4023333000000:54545"]}, []),
    ({"EQ_bizTransaction_desadv": ["urn:epcglobal:cbv:bt:0614141073467:1152"]},
     ["TYPED", "RECV"]),
    ({"EQ_source_possessing_party": ["urn:epc:id:pgln:4000001.00012"]}, ["TYPED"]),
    ({"EQ_destination_possessing_party": ["urn:epc:id:pgln:4012345.00000"]}, ["TYPED"]),
    ({"EQ_source_owning_party": ["urn:epc:id:pgln:4000001.00012"]}, []),
    # locations: the ledger's sites are flat, so WD_ answers as EQ_
    ({"WD_bizLocation": [SITE]}, RS),
    ({"WD_readPoint": ["urn:epc:id:sgln:0614141.07346.1234"]}, ["SHIP", "E1", "E2"]),
    ({"HASATTR_bizLocation": ["oreline:country"]}, RS),
    ({"HASATTR_bizLocation": ["oreline:colour"]}, []),
    ({"EQATTR_bizLocation_oreline:country": ["KR"]}, RS),
    ({"EQATTR_readPoint_https://oreline.dev/voc/#stage": ["alloying"]}, RS),
    ({"EQATTR_bizLocation_oreline:country": ["US"]}, []),
    ({"EQATTR_example:place_oreline:country": ["KR"]}, []),
    # extension fields
    ({"EQ_oreline:purity": ["99.5"]}, ["R0"]),
    ({"GT_oreline:purity": ["99"]}, ["R0", "R1"]),
    ({"GE_https://oreline.dev/voc/#purity": ["99"]}, ["R0", "R1", "R3"]),
    ({"LE_oreline:purity": ["98"]}, ["R2", "R4"]),
    ({"LT_oreline:purity": ["97.5"]}, []),
    ({"EQ_ILMD_oreline:grade": ["N52"]}, ["R0", "R2"]),
    ({"EXISTS_ILMD_oreline:grade": []}, RS),
    ({"EQ_INNER_oreline:furnace": ["3"]}, ["R3"]),
    ({"GE_INNER_oreline:furnace": ["2"]}, ["R2", "R3", "R4"]),
    ({"EQ_oreline:furnace": ["3"]}, []),
    ({"EXISTS_INNER_oreline:furnace": []}, RS),
    ({"EXISTS_example:myField": []}, ["TYPED", "RECV"]),
    ({"EQ_http://ns.example.com/epcis/#myField": ["Example of a vendor/user extension"]},
     ["TYPED", "RECV"]),
    # sensors (S1b metadata at 13:05Z, 13:35Z, 13:55Z on 2019-04-02; S7, S8 at 13:00Z
    # on 2019-07-19; S2 from 12:55:01Z to 13:55Z; S6, S8 from 14:00Z on 04-01 to
    # 13:59:59.999Z; TYPED has humidity from 12:55Z to 12:57Z on 2019-11-06)
    ({"EXISTS_sensorElementList": []}, [*SENSORS, "TYPED"]),
    ({"EQ_type": ["Temperature"]}, SENSORS),
    ({"EQ_type": ["gs1:AbsoluteHumidity"]}, ["S1b", "S2", "S4", "S8", "S9", "TYPED"]),
    ({"EQ_type": ["https://gs1.org/voc/Mass"]}, []),
    ({"EQ_deviceID": ["urn:epc:id:giai:4000001.111"]}, ["S1b", "S2", "S4", "S7", "S8"]),
    ({"EQ_deviceID": ["urn:epc:id:giai:4000001.222"]}, ["S4"]),
    ({"EQ_bizRules": ["https://example.com/253/4012345000054987"]}, ["S2"]),
    ({"EQ_dataProcessingMethod": ["https://example.com/253/4012345000054987"]}, ["S8"]),
    ({"EQ_chemicalSubstance": [_DL]}, ["S8"]),
    ({"EQ_microorganism": ["https://www.ncbi.nlm.nih.gov/taxonomy/1126011"]}, ["S8"]),
    ({"EQ_stringValue": ["someSensorOutput"]}, ["S6", "S8"]),
    ({"EQ_booleanValue": ["true"]}, ["S7", "S9"]),
    ({"EQ_booleanValue": ["false"]}, []),
    ({"EQ_uriValue": ["https://example.com/ErrorCode-A827"]}, ["S9"]),
    ({"EQ_hexBinaryValue": ["0A1B"]}, []),
    ({"GE_time": ["2019-07-19T13:00:00Z"]}, ["S7", "S8"]),
    ({"LT_time": ["2019-04-02T13:30:00Z"]}, ["S1b"]),
    ({"GE_startTime": ["2019-04-02T00:00:00Z"]}, ["S2", "TYPED"]),
    ({"LT_startTime": ["2019-04-02T00:00:00Z"]}, ["S6", "S8"]),
    ({"GE_endTime": ["2019-04-02T13:59:00Z"]}, ["S6", "S8", "TYPED"]),
    ({"LT_endTime": ["2019-04-02T13:59:00Z"]}, ["S2"]),
    # 78 F is 25.56 C: reports of 26.0 to 26.2 C pass; S13's 20.9 C does not
    ({"GT_value_FAH": ["78"]}, ["S1b", "S4", "S7"]),
    ({"GE_value_CEL": ["26.1"]}, ["S1b"]),
    ({"GE_maxValue_CEL": ["26.2"]}, ["S2"]),
    ({"LT_minValue_KEL": ["286.15"]}, ["S6", "S8"]),
    ({"EQ_meanValue_CEL": ["13.2"]}, ["S6", "S8"]),
    ({"GT_sDev": ["0.4"]}, ["S6", "S8"]),
    ({"EQ_percRank": ["50"]}, ["S6", "S8"]),
    ({"LE_percValue_CEL": ["12.7"]}, ["S6", "S8"]),
]


@pytest.mark.parametrize(("params", "expected"), CASES, ids=[
    "&".join(f"{k}={'|'.join(v)}" for k, v in p.items())[:60] for p, _ in CASES])
def test_each_parameter_answers_as_worked_out_by_hand(led: Ledger, params, expected):
    assert names(led, params) == expected
    assert names(led, params, per_page=2) == expected  # pages join up


@pytest.mark.parametrize(("params", "expected"), [
    ({"orderBy": ["eventTime"], "orderDirection": ["ASC"]}, ["R4", "R0", "R2", "R3", "R1"]),
    ({"orderBy": ["eventTime"]}, ["R1", "R3", "R2", "R0", "R4"]),  # DESC by default
    ({"orderBy": ["recordTime"], "orderDirection": ["ASC"]}, RS),  # one capture: seq order
    ({"orderBy": ["recordTime"], "orderDirection": ["DESC"]}, RS[::-1]),
    ({"orderBy": ["oreline:purity"], "orderDirection": ["ASC"]}, ["R4", "R2", "R3", "R0", "R1"]),
    ({"orderBy": ["https://oreline.dev/voc/#purity"]}, ["R1", "R0", "R3", "R2", "R4"]),
    ({"orderBy": ["eventTime"], "orderDirection": ["ASC"], "eventCountLimit": ["2"]},
     ["R4", "R0"]),
    ({"orderBy": ["oreline:purity"], "eventCountLimit": ["3"]}, ["R1", "R0", "R3"]),
])
@pytest.mark.parametrize("per_page", [1, 2, 100])
def test_order_and_count_limit(led: Ledger, params, expected, per_page: int):
    assert names(led, {**params, "EQ_bizLocation": [SITE]}, per_page) == expected


def test_events_without_the_order_field_come_last_in_capture_order(led: Ledger):
    got = names(led, {"orderBy": ["oreline:purity"], "orderDirection": ["ASC"]}, 3)
    assert got[:5] == ["R4", "R2", "R3", "R0", "R1"]
    assert got[5:] == [n for n in N if n not in RS]


def _instant(ev_name: str, led: Ledger) -> datetime:
    ev = next(e for e in led.events() if e.get("eventID") == N[ev_name])
    return datetime.fromisoformat(ev["eventTime"].replace("Z", "+00:00"))


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_paging_by_event_time_gives_every_event_once_in_time_order(led: Ledger,
                                                                   direction: str):
    got = names(led, {"orderBy": ["eventTime"], "orderDirection": [direction]}, 3)
    assert sorted(got) == sorted(N)  # every event, once
    times = [_instant(n, led) for n in got]
    assert times == sorted(times, reverse=direction == "DESC")


def test_count_stops_at_the_cap_and_subscriptions_keep_capture_order(led: Ledger):
    with led.store.read() as conn:
        assert count_events(conn, parse_query({"EQ_type": ["Temperature"]}), 100) == 8
        assert count_events(conn, parse_query({}), 5) == 5
        page, _ = find_events(conn, parse_query({"orderBy": ["eventTime"]}), limit=3)
    assert [f.body["eventID"] for f in page] == [N["S1b"], N["S2"], N["S4"]]


_KG = {"KGM": 1.0, "TNE": 1000.0, "LBR": 0.45359237}


def _plain(ev: dict, ge_kg: float | None, grade: str | None, purity: float | None) -> bool:
    """The three filters written out for the receipts (all in one of three units)."""
    if ev.get("bizLocation", {}).get("id") != SITE:
        return False
    q = ev["quantityList"][0]
    return (ge_kg is None or q["quantity"] * _KG[q["uom"]] >= ge_kg - 1e-9) and (
        grade is None or ev["ilmd"]["oreline:grade"] == grade) and (
        purity is None or ev["oreline:purity"] > purity)


@settings(max_examples=40, deadline=None)
@given(ge_kg=st.one_of(st.none(), st.sampled_from([0, 400, 500, 907, 1000, 1500, 1600])),
       grade=st.one_of(st.none(), st.sampled_from(["N52", "N48", "N45", "N50", "N30"])),
       purity=st.one_of(st.none(), st.sampled_from([97.0, 98.0, 99.0, 99.9])),
       direction=st.sampled_from(["ASC", "DESC"]), per_page=st.integers(1, 4))
def test_a_query_equals_a_plain_filter_over_all_events(led, ge_kg, grade, purity, direction,
                                                       per_page):
    """Filtered and ordered by eventTime (ties in capture order), paged any way."""
    params: dict[str, list[str]] = {"EQ_bizLocation": [SITE], "orderBy": ["eventTime"],
                                    "orderDirection": [direction]}
    if ge_kg is not None:
        params["GE_quantity_KGM"] = [str(ge_kg)]
    if grade is not None:
        params["EQ_ILMD_oreline:grade"] = [grade]
    if purity is not None:
        params["GT_oreline:purity"] = [str(purity)]
    held = [(i, e) for i, e in enumerate(led.events()) if _plain(e, ge_kg, grade, purity)]
    held.sort(key=lambda ie: (datetime.fromisoformat(ie[1]["eventTime"].replace(
        "Z", "+00:00")), ie[0]), reverse=direction == "DESC")
    expected = [next(k for k, v in N.items() if v == e["eventID"]) for _, e in held]
    assert names(led, params, per_page) == expected
