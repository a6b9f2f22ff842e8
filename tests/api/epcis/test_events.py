"""GET /epcis/events: each filter on hand-checked events, identities in both spellings,
paging that walks every event once, and the top-level resources.

The ledger holds the GS1 standard's example 9.6.1 (two ObjectEvents of 2005) and 40
receipts of lots ``urn:oreline:lot:pg-0..39`` at one site (2026). In example 9.6.1 the
first event ships SGTINs 0614141.107346.2017 and .2018 at 2005-04-04T02:33:31Z (UTC),
the second receives .2018 a day later at bizLocation SGLN 0012345.11111.0.
As GS1 Digital Links (worked by hand, GS1 check digits): SGTIN 0614141.107346.2018 is
GTIN 1 0614141 07346 + check digit 4 = 10614141073464 with serial 2018, and SGLN
0012345.11111.0 is GLN 001234511111 + check digit 2 (extension 0 is no extension).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from oreline.api.app import create_app
from oreline.api.config import ServeConfig
from oreline.api.tokens import create_token
from tests.api.epcis.conftest import DATA, document, event_list, receipts, wait_job

SHIP = "ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0"
RECV = "ni:///sha-256;00e1e6eba3a7cc6125be4793a631f0af50f8322e0ab5f2c0bab994a11cec1d79?ver=CBV2.0"
EPC_2018_DL = "https://id.gs1.org/01/10614141073464/21/2018"
LOCATION_DL = "https://id.gs1.org/414/0012345111112"


@pytest.fixture(scope="module")
def filled(app_client: TestClient, auth: dict[str, dict[str, str]]) -> TestClient:
    example = json.loads((DATA / "gs1" / "Example_9.6.1-ObjectEvent.jsonld").read_text())
    for doc in (example, document(receipts("pg", 40))):
        r = app_client.post("/epcis/capture", json=doc, headers=auth["capture"])
        assert wait_job(app_client, r.headers["location"], auth["capture"])["success"]
    return app_client


def ids(client: TestClient, query: str) -> list[str]:
    r = client.get(f"/epcis/events?{query}")
    assert r.status_code == 200, r.text
    return [e["eventID"] for e in event_list(r)]


@pytest.mark.parametrize(("query", "expected"), [
    ("EQ_bizStep=shipping", [SHIP]),
    ("EQ_bizStep=urn:epcglobal:cbv:bizstep:shipping", [SHIP]),
    ("EQ_bizStep=https://ref.gs1.org/cbv/BizStep-shipping", [SHIP]),
    ("EQ_disposition=in_transit", [SHIP]),
    ("EQ_readPoint=urn:epc:id:sgln:0614141.07346.1234", [SHIP]),
    ("EQ_bizLocation=urn:epc:id:sgln:0012345.11111.0", [RECV]),
    (f"EQ_bizLocation={quote(LOCATION_DL)}", [RECV]),
    ("MATCH_epc=urn:epc:id:sgtin:0614141.107346.2017", [SHIP]),
    ("MATCH_epc=urn:epc:id:sgtin:0614141.107346.2018", [SHIP, RECV]),
    (f"MATCH_epc={quote(EPC_2018_DL)}", [SHIP, RECV]),
    (f"MATCH_anyEPC={quote(EPC_2018_DL)}", [SHIP, RECV]),
    ("MATCH_epc=urn:epc:idpat:sgtin:0614141.107346.*", [SHIP, RECV]),
    ("GE_eventTime=2005-04-04T12:00:00Z&LT_eventTime=2006-01-01T00:00:00Z", [RECV]),
    ("LT_eventTime=2005-04-04T12:00:00Z", [SHIP]),
    # 03:00+01:00 is 02:00Z, just before the shipping event at 02:33:31Z
    ("GE_eventTime=2005-04-04T03:00:00%2B01:00&LT_eventTime=2006-01-01T00:00:00Z",
     [SHIP, RECV]),
    (f"EQ_eventID={quote(RECV)}", [RECV]),
    (f"EQ_eventID={quote(SHIP)}|{quote(RECV)}", [SHIP, RECV]),
    ("eventType=AggregationEvent|TransformationEvent", []),
    ("EQ_action=OBSERVE&EQ_bizStep=receiving", [RECV]),
])
def test_filters_on_the_gs1_example(filled: TestClient, query: str, expected: list[str]):
    assert ids(filled, query) == expected


def test_lots_are_found_by_class(filled: TestClient):
    got = event_list(filled.get("/epcis/events?MATCH_anyEPCClass=urn:oreline:lot:pg-3"))
    assert [e["quantityList"][0]["epcClass"] for e in got] == ["urn:oreline:lot:pg-3"]
    both = ids(filled, "MATCH_epcClass=urn:oreline:lot:pg-3|urn:oreline:lot:pg-5"
                       "&EQ_bizStep=receiving&eventType=ObjectEvent")
    assert len(both) == 2
    assert ids(filled, "EQ_bizStep=receiving&EQ_disposition=in_progress&perPage=100") \
        .count(RECV) == 1


def test_record_time_bounds(filled: TestClient):
    everything = ids(filled, "perPage=1000")
    assert len(everything) == 42
    assert ids(filled, "GE_recordTime=2100-01-01T00:00:00Z") == []
    assert ids(filled, "LT_recordTime=2100-01-01T00:00:00Z&perPage=1000") == everything
    assert ids(filled, "LT_recordTime=2000-01-01T00:00:00Z") == []


@pytest.mark.parametrize(("query", "parameter"), [
    ("EQ_colour=red", "EQ_colour"),
    ("EQ_quantity=five", "EQ_quantity"),
    ("GE_eventTime=yesterday", "GE_eventTime"),
    ("GE_eventTime=2026-01-01T00:00:00", "GE_eventTime"),
    ("eventType=ThingEvent", "eventType"),
    ("perPage=0", "perPage"),
    ("perPage=many", "perPage"),
    ("nextPageToken=forged", "nextPageToken"),
])
def test_bad_parameters_are_400_naming_them(filled: TestClient, query: str, parameter: str):
    r = filled.get(f"/epcis/events?{query}")
    assert r.status_code == 400
    body = r.json()
    assert body["type"] == "epcisException:QueryParameterException"
    assert body["parameter"] == parameter
    assert parameter in body["detail"]


def _walk(client: TestClient, url: str) -> Iterator[list[str]]:
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.text
        yield [e["eventID"] for e in event_list(r)]
        link = r.headers.get("link")
        url = link[1:link.index(">")] if link else ""
        assert not link or link.endswith('; rel="next"')


@pytest.mark.parametrize(("query", "total"), [
    ("perPage=7", 42), ("perPage=1", 42), ("perPage=42", 42), ("perPage=41", 42),
    ("EQ_bizStep=receiving&perPage=5", 41),
    ("MATCH_anyEPCClass=" + "|".join(f"urn:oreline:lot:pg-{i}" for i in range(0, 40, 3))
     + "&perPage=4", 14),
])
def test_paging_walks_every_event_once(filled: TestClient, query: str, total: int):
    pages = list(_walk(filled, f"/epcis/events?{query}"))
    seen = [i for page in pages for i in page]
    assert len(seen) == len(set(seen)) == total
    per = int(query.rsplit("perPage=", 1)[1])
    assert all(len(p) == per for p in pages[:-1]) and 0 < len(pages[-1]) <= per
    assert seen == ids(filled, query.split("perPage=")[0] + "perPage=1000")


def test_a_token_is_tied_to_its_query(filled: TestClient):
    r = filled.get("/epcis/events?perPage=2")
    link = r.headers["link"]
    token = link.split("nextPageToken=")[1].split(">")[0]
    other = filled.get(f"/epcis/events?perPage=2&EQ_bizStep=receiving&nextPageToken={token}")
    assert other.status_code == 400 and other.json()["parameter"] == "nextPageToken"
    head, _, mac = token.partition(".")
    forged = filled.get(f"/epcis/events?perPage=2&nextPageToken={head[:-2]}xx.{mac}")
    assert forged.status_code == 400
    assert filled.get(f"/epcis/events?perPage=2&nextPageToken={token}").status_code == 200


def test_one_event_by_url_encoded_id(filled: TestClient):
    r = filled.get("/epcis/events/" + quote(RECV, safe=""))
    assert r.status_code == 200
    doc = r.json()
    assert doc["type"] == "EPCISQueryDocument"
    assert [e["eventID"] for e in doc["epcisBody"]["queryResults"]["resultsBody"]
            ["eventList"]] == [RECV]
    missing = filled.get("/epcis/events/" + quote("urn:uuid:none", safe=""))
    assert missing.status_code == 404
    assert missing.json()["type"] == "epcisException:NoSuchResourceException"


def test_top_level_resources(filled: TestClient):
    steps = filled.get("/epcis/bizSteps").json()
    assert steps == ["https://ref.gs1.org/cbv/BizStep-receiving",
                     "https://ref.gs1.org/cbv/BizStep-shipping"]
    assert "ObjectEvent" in filled.get("/epcis/eventTypes").json()
    assert filled.get("/epcis/eventTypes/ObjectEvent").json() == ["events"]
    assert filled.get("/epcis/eventTypes/Nope").status_code == 404
    shipping = event_list(filled.get("/epcis/bizSteps/shipping/events"))
    assert [e["eventID"] for e in shipping] == [SHIP]
    by_epc = event_list(filled.get("/epcis/epcs/" + quote(EPC_2018_DL, safe="") + "/events"))
    assert [e["eventID"] for e in by_epc] == [SHIP, RECV]
    at = event_list(filled.get("/epcis/bizLocations/" + quote(LOCATION_DL, safe="")
                               + "/events"))
    assert [e["eventID"] for e in at] == [RECV]
    assert len(event_list(filled.get("/epcis/eventTypes/ObjectEvent/events?perPage=50"))) == 42
    twice = filled.get("/epcis/bizSteps/shipping/events?EQ_bizStep=receiving")
    assert twice.status_code == 400


def test_closed_reads_need_a_read_token(tmp_path: Path):
    config = ServeConfig(str(tmp_path), f"sqlite:///{tmp_path / 'l.sqlite'}",
                         f"sqlite:///{tmp_path / 'a.sqlite'}", reads_open=False)
    with TestClient(create_app(config)) as c:
        r = c.get("/epcis/events")
        assert r.status_code == 401 and r.json()["type"] == "epcisException:SecurityException"
        secret = create_token(c.app.state.engine, ["read"], days=1).secret  # type: ignore[attr-defined]
        assert c.get("/epcis/events",
                     headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        assert c.options("/epcis").status_code == 401
