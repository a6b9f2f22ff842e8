"""Named queries and webhook subscriptions: stored, answered, delivered signed, retried.

The receiver is a real HTTP server on a thread; it checks each delivery's GS1-Signature
on its own (hmac.new over the body it received, compared with hmac.compare_digest).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from fastapi.testclient import TestClient

from tests.api.epcis.conftest import (
    Receiver,
    body_json,
    document,
    event_list,
    receipts,
    wait_job,
)

SECRET = "a-shared-secret-of-the-subscriber"


def _query(client: TestClient, h: dict[str, str], name: str, query: dict[str, object]) -> None:
    r = client.post("/epcis/queries", json={"name": name, "query": query}, headers=h)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/epcis/queries/{name}"


def test_named_query_lifecycle(app_client: TestClient, auth: dict[str, dict[str, str]]):
    h = auth["read"]
    r = app_client.post("/epcis/capture", json=document(receipts("nq", 6)),
                        headers=auth["capture"])
    wait_job(app_client, r.headers["location"], auth["capture"])
    _query(app_client, h, "nq-lots", {"MATCH_anyEPCClass": ["urn:oreline:lot:nq-1",
                                                            "urn:oreline:lot:nq-4"],
                                      "eventType": "ObjectEvent"})
    assert {"name": "nq-lots", "query": {"MATCH_anyEPCClass": ["urn:oreline:lot:nq-1",
                                                               "urn:oreline:lot:nq-4"],
                                         "eventType": ["ObjectEvent"]}} in \
        app_client.get("/epcis/queries").json()
    got = event_list(app_client.get("/epcis/queries/nq-lots/events"))
    assert sorted(e["quantityList"][0]["epcClass"] for e in got) == [
        "urn:oreline:lot:nq-1", "urn:oreline:lot:nq-4"]
    assert app_client.get("/epcis/queries/nq-lots/events").json()["epcisBody"][
        "queryResults"]["queryName"] == "nq-lots"
    paged = app_client.get("/epcis/queries/nq-lots/events?perPage=1")
    assert len(event_list(paged)) == 1 and 'rel="next"' in paged.headers["link"]
    assert paged.headers["link"].startswith("</epcis/queries/nq-lots/events?")
    again = app_client.post("/epcis/queries", json={"name": "nq-lots", "query": {}}, headers=h)
    assert again.status_code == 409
    assert again.json()["type"] == "epcisException:ResourceAlreadyExistsException"
    assert app_client.delete("/epcis/queries/nq-lots", headers=h).status_code == 204
    gone = app_client.get("/epcis/queries/nq-lots")
    assert gone.status_code == 404
    assert gone.json()["type"] == "epcisException:NoSuchNameException"


def test_bad_named_queries_are_refused(app_client: TestClient,
                                       auth: dict[str, dict[str, str]]):
    h = auth["read"]
    r = app_client.post("/epcis/queries", json={"name": "q", "query": {"EQ_colour": "red"}},
                        headers=h)
    assert r.status_code == 400 and r.json()["parameter"] == "EQ_colour"
    r = app_client.post("/epcis/queries", json={"name": "../etc", "query": {}}, headers=h)
    assert r.status_code == 400 and r.json()["field"] == "name"
    assert app_client.post("/epcis/queries", json={"name": "q", "query": {}}).status_code == 401
    assert app_client.get("/epcis/queries/none/events").status_code == 404
    _query(app_client, h, "plain", {})
    extra = app_client.get("/epcis/queries/plain/events?EQ_bizStep=receiving")
    assert extra.status_code == 400 and extra.json()["parameter"] == "EQ_bizStep"


def _verified(receiver: Receiver) -> list[dict[str, object]]:
    """The deliveries whose signature the receiver checks on its own."""
    out = []
    for headers, body in receiver.posts:
        expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(expected, headers["gs1-signature"])
        out.append(body_json(body))
    return out


def test_subscription_delivers_new_matching_events_signed(
        app_client: TestClient, auth: dict[str, dict[str, str]], receiver: Receiver):
    h = auth["read"]
    _query(app_client, h, "hook-lots", {"MATCH_anyEPCClass": ["urn:oreline:lot:hk-1",
                                                              "urn:oreline:lot:hk-2"]})
    r = app_client.post("/epcis/queries/hook-lots/subscriptions", headers=h,
                        json={"dest": receiver.url, "secret": SECRET, "stream": True})
    assert r.status_code == 201, r.text
    sub = r.json()
    assert "secret" not in sub and sub["dest"] == receiver.url
    assert r.headers["location"] == \
        f"/epcis/queries/hook-lots/subscriptions/{sub['subscriptionID']}"
    # a capture with no matching event sends nothing; the next one sends hk-1 and hk-2
    for prefix in ("other", "hk"):
        job = app_client.post("/epcis/capture", json=document(receipts(prefix, 4)),
                              headers=auth["capture"])
        assert wait_job(app_client, job.headers["location"], auth["capture"])["success"]
    receiver.wait(1)
    time.sleep(0.3)
    docs = _verified(receiver)
    assert len(docs) == 1
    results = docs[0]["epcisBody"]["queryResults"]  # type: ignore[index]
    assert results["queryName"] == "hook-lots"
    assert results["subscriptionID"] == sub["subscriptionID"]
    assert sorted(e["quantityList"][0]["epcClass"] for e in results["resultsBody"]
                  ["eventList"]) == ["urn:oreline:lot:hk-1", "urn:oreline:lot:hk-2"]
    state = app_client.get(r.headers["location"]).json()
    assert (state["deliveries"], state["failures"], state["lastStatus"]) == (1, 0, "delivered")
    assert state["lastNotifiedAt"]
    # re-sending the document captures nothing new: nothing more is delivered
    job = app_client.post("/epcis/capture", json=document(receipts("hk", 4)),
                          headers=auth["capture"])
    wait_job(app_client, job.headers["location"], auth["capture"])
    time.sleep(0.5)
    assert len(receiver.posts) == 1
    listed = app_client.get("/epcis/queries/hook-lots/subscriptions").json()
    assert [s["subscriptionID"] for s in listed] == [sub["subscriptionID"]]
    assert app_client.delete(r.headers["location"], headers=h).status_code == 204
    assert app_client.get(r.headers["location"]).status_code == 404


def test_single_event_capture_notifies_too(app_client: TestClient,
                                           auth: dict[str, dict[str, str]],
                                           receiver: Receiver):
    h = auth["read"]
    _query(app_client, h, "one-lot", {"MATCH_epcClass": "urn:oreline:lot:single-0"})
    app_client.post("/epcis/queries/one-lot/subscriptions", headers=h,
                    json={"dest": receiver.url, "signatureToken": SECRET})
    site = app_client.post("/epcis/capture", json=document([]), headers=auth["capture"])
    wait_job(app_client, site.headers["location"], auth["capture"])
    r = app_client.post("/epcis/events", json=receipts("single", 1)[0],
                        headers=auth["capture"])
    assert r.status_code == 201, r.text
    receiver.wait(1)
    assert len(_verified(receiver)) == 1


def test_a_failing_receiver_is_retried_then_marked_failed(
        app_client: TestClient, auth: dict[str, dict[str, str]], receiver: Receiver):
    receiver.status = 500
    h = auth["read"]
    _query(app_client, h, "fails", {"MATCH_anyEPCClass": "urn:oreline:lot:fl-0"})
    r = app_client.post("/epcis/queries/fails/subscriptions", headers=h,
                        json={"dest": receiver.url, "secret": SECRET})
    job = app_client.post("/epcis/capture", json=document(receipts("fl", 2)),
                          headers=auth["capture"])
    wait_job(app_client, job.headers["location"], auth["capture"])
    receiver.wait(3)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = app_client.get(r.headers["location"]).json()
        if state["lastStatus"]:
            break
        time.sleep(0.1)
    assert len(receiver.posts) == 3  # ATTEMPTS
    assert len({body for _, body in receiver.posts}) == 1  # the same signed body each time
    assert (state["deliveries"], state["failures"], state["lastStatus"]) == (0, 1, "failed")
    assert state["lastError"] == "HTTP 500"


def test_bad_subscriptions_are_refused(app_client: TestClient,
                                       auth: dict[str, dict[str, str]]):
    h = auth["read"]
    _query(app_client, h, "subs", {})
    url = "/epcis/queries/subs/subscriptions"
    for body, field in [({"dest": "file:///etc/passwd", "secret": SECRET}, "dest"),
                        ({"dest": "http://127.0.0.1:9/x", "secret": "short"}, "secret"),
                        ({"dest": "http://127.0.0.1:9/x", "secret": SECRET,
                          "schedule": {"hour": "1"}}, "schedule")]:
        r = app_client.post(url, json=body, headers=h)
        assert r.status_code == 400, body
        assert r.json()["field"] == field
    assert app_client.post("/epcis/queries/none/subscriptions", headers=h,
                           json={"dest": "http://x/", "secret": SECRET}).status_code == 404
    assert app_client.post(url, json={"dest": "http://x/", "secret": SECRET}).status_code == 401
