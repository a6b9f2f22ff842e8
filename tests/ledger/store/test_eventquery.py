"""find_events against a library ledger: each page checked with a plain filter of
``Ledger.events()`` (an independent path: every body, in order, tested in Python)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from oreline.ledger import Ledger, receive_event
from oreline.ledger.profile.query import parse_query
from oreline.ledger.store.eventquery import distinct_values, event_by_id, find_events

SITE = "urn:oreline:site:q"


@pytest.fixture(scope="module")
def led() -> Ledger:
    led = Ledger.open("sqlite://")
    led.register_site(SITE, "q", "KR", "alloying")
    led.capture({"type": "EPCISDocument", "@context": [
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
        "epcisBody": {"eventList": [receive_event(
            f"urn:oreline:lot:q{i}", kg=10.0 + i, site=SITE,
            time=f"2026-01-{1 + i % 20:02d}T00:00:00+09:00", material="oxide", form="oxide",
            assay={"Nd": 0.5}, origin={"mined": "AU"}) for i in range(30)]}})
    return led


def _plain(params: dict[str, list[str]], ev: dict[str, Any]) -> bool:
    """The filter written out for these parameters alone."""
    if "eventType" in params and ev["type"] not in params["eventType"]:
        return False
    if "EQ_bizStep" in params and ev["bizStep"] not in params["EQ_bizStep"]:
        return False
    if "GE_eventTime" in params and datetime.fromisoformat(ev["eventTime"]) < \
            datetime.fromisoformat(params["GE_eventTime"][0]):
        return False
    return "MATCH_anyEPCClass" not in params or ev["quantityList"][0]["epcClass"] in \
        params["MATCH_anyEPCClass"]


@pytest.mark.parametrize(("params", "per_page"), [
    ({}, 4), ({"eventType": ["ObjectEvent"]}, 7),
    ({"GE_eventTime": ["2026-01-10T00:00:00+09:00"]}, 3),
    ({"MATCH_anyEPCClass": [f"urn:oreline:lot:q{i}" for i in range(0, 30, 4)]}, 2),
    ({"EQ_bizStep": ["shipping"]}, 5), ({"EQ_bizStep": ["receiving"]}, 8),
])
def test_pages_equal_a_plain_filter(led: Ledger, params: dict[str, list[str]], per_page: int):
    query = parse_query(params)
    expected = [ev for ev in led.events() if _plain(params, ev)]
    got, after, more = [], 0, True
    with led.store.read() as conn:
        while more:
            page, more = find_events(conn, query, after=after, limit=per_page)
            assert len(page) <= per_page
            got += page
            after = page[-1].seq if page else after
    assert [{k: v for k, v in f.body.items() if k != "eventID"} for f in got] == expected
    assert all(f.body["eventID"].startswith("ni:///sha-256;") for f in got)


def test_upto_bounds_the_sequence(led: Ledger):
    with led.store.read() as conn:
        page, more = find_events(conn, parse_query({}), after=10, limit=100, upto=15)
    assert [f.seq for f in page] == [11, 12, 13, 14, 15] and not more


def test_event_by_id_and_vocabulary(led: Ledger):
    with led.store.read() as conn:
        first, _ = find_events(conn, parse_query({}), limit=1)
        assert event_by_id(conn, first[0].body["eventID"]) == first[0].body
        assert event_by_id(conn, "urn:uuid:none") is None
        assert distinct_values(conn, "biz_step") == ["https://ref.gs1.org/cbv/BizStep-receiving"]
        assert distinct_values(conn, "event_type") == ["ObjectEvent"]
