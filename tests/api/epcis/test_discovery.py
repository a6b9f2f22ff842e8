"""OPTIONS discovery, the version headers on every answer, 406 for other versions."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

VERSIONS = {"gs1-epcis-version": "2.0.0", "gs1-epcis-min": "2.0.0", "gs1-epcis-max": "2.0.0",
            "gs1-cbv-version": "2.0.0", "gs1-cbv-min": "2.0.0", "gs1-cbv-max": "2.0.0"}


@pytest.mark.parametrize(("path", "allow"), [
    ("/epcis", "OPTIONS, GET"),
    ("/epcis/capture", "OPTIONS, POST, GET"),
    ("/epcis/capture/abc", "OPTIONS, GET"),
    ("/epcis/events", "OPTIONS, GET, POST"),
    ("/epcis/events/urn%3Auuid%3A1", "OPTIONS, GET"),
    ("/epcis/eventTypes", "OPTIONS, GET"),
    ("/epcis/bizSteps/receiving/events", "OPTIONS, GET"),
    ("/epcis/queries", "OPTIONS, GET, POST"),
    ("/epcis/queries/q1", "OPTIONS, GET, DELETE"),
    ("/epcis/queries/q1/events", "OPTIONS, GET"),
    ("/epcis/queries/q1/subscriptions", "OPTIONS, GET, POST"),
    ("/epcis/queries/q1/subscriptions/s1", "OPTIONS, GET, DELETE"),
])
def test_options_names_versions_and_methods(app_client: TestClient, path: str, allow: str):
    r = app_client.options(path)
    assert r.status_code == 204, r.text
    assert r.headers["allow"] == allow
    assert {k: r.headers[k] for k in VERSIONS} == VERSIONS
    assert r.headers["gs1-vendor-version"].startswith("oreline-")
    assert "oreline=" in r.headers["gs1-extensions"]


def test_options_capture_advertises_the_limits(app_client: TestClient):
    r = app_client.options("/epcis/capture")
    assert r.headers["gs1-epcis-capture-limit"] == "100"
    assert r.headers["gs1-epcis-capture-file-size-limit"] == "400000"
    assert r.headers["gs1-capture-error-behaviour"] == "rollback"


def test_options_on_no_resource_is_404_problem(app_client: TestClient):
    r = app_client.options("/epcis/nothing/here")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "epcisException:NoSuchResourceException"


def test_every_answer_carries_the_version_headers(app_client: TestClient):
    for r in (app_client.get("/epcis/events"), app_client.get("/epcis/events/none"),
              app_client.get("/epcis/events?EQ_colour=red"), app_client.get("/epcis")):
        assert r.headers["gs1-epcis-version"] == "2.0.0", r.url
        assert r.headers["gs1-cbv-version"] == "2.0.0"


@pytest.mark.parametrize("headers", [
    {"GS1-EPCIS-Version": "1.2.0"}, {"GS1-EPCIS-Min": "2.1.0"}, {"GS1-EPCIS-Max": "1.2"},
    {"GS1-CBV-Version": "1.2.0"}, {"GS1-EPCIS-Version": "two"},
])
def test_unsupported_version_is_406(app_client: TestClient, headers: dict[str, str]):
    r = app_client.get("/epcis/events", headers=headers)
    assert r.status_code == 406
    body = r.json()
    assert body["type"] == "epcisException:NotAcceptableException"
    assert "2.0.0" in body["detail"]


def test_the_supported_version_asked_for_is_answered(app_client: TestClient):
    r = app_client.get("/epcis/events", headers={"GS1-EPCIS-Version": "2.0.0",
                                                 "GS1-EPCIS-Min": "1.2.0",
                                                 "GS1-EPCIS-Max": "2.0.0"})
    assert r.status_code == 200


def test_top_level_lists_resources(app_client: TestClient):
    assert {"events", "eventTypes", "bizSteps", "capture", "queries"} <= set(
        app_client.get("/epcis").json())
