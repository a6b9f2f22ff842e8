"""The whole SimpleEventQuery over HTTP: filters, orderBy paging, limits, 400s and 413.

The ledger is :mod:`tests.ledger.querykit` captured through ``POST /epcis/capture``;
the expected answers are the ones worked out by hand for the library
(tests/ledger/store/test_eventquery_params.py), here through the real app.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.api.epcis.conftest import event_list, wait_job
from tests.ledger.querykit import SITE, documents

RS = [f"urn:test:R{i}" for i in range(5)]


@pytest.fixture(scope="module")
def filled(app_client: TestClient, auth: dict[str, dict[str, str]]) -> TestClient:
    for doc in documents():
        r = app_client.post("/epcis/capture", json=doc, headers=auth["capture"])
        assert wait_job(app_client, r.headers["location"], auth["capture"])["success"]
    return app_client


def every_page(client: TestClient, url: str) -> tuple[list[dict[str, Any]], int]:
    """The events of every page, following the Link headers; and the number of pages."""
    events, pages = [], 0
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.text
        events += event_list(r)
        pages += 1
        link = r.headers.get("link")
        url = link[1:link.index(">")] if link else ""
    return events, pages


def ids(client: TestClient, query: str) -> list[str]:
    return [e["eventID"] for e in every_page(client, f"/epcis/events?{query}")[0]]


@pytest.mark.parametrize(("query", "expected"), [
    ("GE_quantity_KGM=1000", RS[:2]),
    ("EQ_quantity_LBR=2000", RS[2:3]),
    ("EQ_ILMD_oreline:grade=N52", [RS[0], RS[2]]),
    (f"GT_{quote('https://oreline.dev/voc/#purity')}=99", RS[:2]),
    ("EQ_INNER_oreline:furnace=3", RS[3:4]),
    ("EQATTR_bizLocation_oreline:country=KR", RS),
    ("HASATTR_bizLocation=oreline:stage", RS),
    (f"WD_bizLocation={SITE}", RS),
    ("EQ_bizTransaction_inv=urn:epcglobal:cbv:bt:4023333000000:54545&perPage=1",
     ["ni:///sha-256;5f7c472bc4905de27a19b2efc8e4a9c6dc195139669b80b515f12218ff07cf65"
      "?ver=CBV2.0"]),
    ("EXISTS_errorDeclaration&EQ_errorReason=incorrect_data",
     ["urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8"]),
    ("EQ_persistentDisposition_set=completeness_verified",
     ["ni:///sha-256;dae7b481207bb87f1d981c5f169b8138368ae152a41b002eaf36eca1f67d56f5"
      "?ver=CBV2.0"]),
    ("EQ_microorganism=https://www.ncbi.nlm.nih.gov/taxonomy/1126011",
     ["ni:///sha-256;18454584ed96fbb533e4a69b01eefd1bff3edd1e80ef8598957111f4477a0a64"
      "?ver=CBV2.0"]),
    ("EQ_booleanValue=true&EQ_uriValue=https://example.com/ErrorCode-A827",
     ["urn:test:SensorDataExample9:0"]),
    (f"orderBy=eventTime&orderDirection=ASC&EQ_bizLocation={SITE}&perPage=2",
     [RS[4], RS[0], RS[2], RS[3], RS[1]]),
    (f"orderBy=oreline:purity&EQ_bizLocation={SITE}&perPage=1",
     [RS[1], RS[0], RS[3], RS[2], RS[4]]),
    (f"orderBy=eventTime&eventCountLimit=3&EQ_bizLocation={SITE}&perPage=2",
     [RS[1], RS[3], RS[2]]),
])
def test_parameters_over_http(filled: TestClient, query: str, expected: list[str]):
    assert ids(filled, query) == expected


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_paging_under_order_by_gives_every_event_once(filled: TestClient, direction: str):
    everything = ids(filled, "perPage=1000")
    got, pages = every_page(filled, f"/epcis/events?orderBy=eventTime&orderDirection="
                                    f"{direction}&perPage=3")
    assert sorted(e["eventID"] for e in got) == sorted(everything)
    assert pages == -(-len(everything) // 3)
    times = [datetime.fromisoformat(e["eventTime"].replace("Z", "+00:00")) for e in got]
    assert times == sorted(times, reverse=direction == "DESC")


def test_max_event_count_refuses_a_larger_answer_with_413(filled: TestClient):
    r = filled.get("/epcis/events?EQ_type=Temperature&maxEventCount=7")
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"] == "epcisException:QueryTooLargeException"
    assert body["parameter"] == "maxEventCount" and "maxEventCount=7" in body["detail"]
    assert len(ids(filled, "EQ_type=Temperature&maxEventCount=8")) == 8


@pytest.mark.parametrize(("query", "parameter"), [
    ("GE_quantity=lots", "GE_quantity"),
    ("GE_quantity_kilo=1", "GE_quantity_kilo"),
    ("orderBy=colour", "orderBy"),
    ("orderBy=eventTime&orderDirection=sideways", "orderDirection"),
    ("eventCountLimit=3", "eventCountLimit"),
    ("orderBy=eventTime&eventCountLimit=3&maxEventCount=5", "eventCountLimit"),
    ("maxEventCount=-1", "maxEventCount"),
    ("EQ_booleanValue=yes", "EQ_booleanValue"),
    ("GE_time=noon", "GE_time"),
    ("LT_errorDeclarationTime=2026-01-01", "LT_errorDeclarationTime"),
    ("EQATTR_bizLocation=KR", "EQATTR_bizLocation"),
])
def test_bad_values_are_400_naming_the_parameter_and_the_fix(filled: TestClient, query: str,
                                                             parameter: str):
    r = filled.get(f"/epcis/events?{query}")
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["type"] == "epcisException:QueryParameterException"
    assert body["parameter"] == parameter and parameter.split("_")[0] in body["detail"]


def test_a_token_of_an_ordered_query_is_refused_for_another_order(filled: TestClient):
    r = filled.get("/epcis/events?orderBy=eventTime&perPage=2")
    token = r.headers["link"].split("nextPageToken=")[1].split(">")[0]
    other = filled.get(f"/epcis/events?orderBy=recordTime&perPage=2&nextPageToken={token}")
    assert other.status_code == 400 and other.json()["parameter"] == "nextPageToken"


def test_a_named_query_keeps_its_order(filled: TestClient, auth: dict[str, dict[str, str]]):
    query = {"orderBy": ["oreline:purity"], "orderDirection": ["ASC"],
             "EQ_bizLocation": [SITE]}
    r = filled.post("/epcis/queries", json={"name": "by-purity", "query": query},
                    headers=auth["read"])
    assert r.status_code == 201, r.text
    got, pages = every_page(filled, "/epcis/queries/by-purity/events?perPage=2")
    assert [e["eventID"] for e in got] == [RS[4], RS[2], RS[3], RS[0], RS[1]]
    assert pages == 3
    bad = filled.post("/epcis/queries", json={"name": "bad", "query": {"GE_quantity": "x"}},
                      headers=auth["read"])
    assert bad.status_code == 400 and bad.json()["parameter"] == "GE_quantity"
