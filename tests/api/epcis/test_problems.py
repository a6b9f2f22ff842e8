"""The problem-details shape and the version negotiation, on their own."""

from __future__ import annotations

import json

from oreline.api.epcis.problems import (
    PROBLEM_TYPE,
    exception_type,
    issue_problems,
    problem_response,
    version_refused,
)
from oreline.errors import Issue


def test_problem_response_is_rfc7807_with_the_epcis_type():
    r = problem_response(404, "no such event", instance="/epcis/events/x",
                         headers={"X-A": "1"}, extra={"parameter": "p"})
    assert r.media_type == "application/problem+json"
    body = json.loads(bytes(r.body))
    assert body == {"type": "epcisException:NoSuchResourceException", "title": "Not Found",
                    "status": 404, "detail": "no such event", "instance": "/epcis/events/x",
                    "parameter": "p"}
    assert r.headers["x-a"] == "1"


def test_every_status_has_an_exception_of_the_openapi():
    assert exception_type(400, "QueryParameterException") == \
        "epcisException:QueryParameterException"
    assert exception_type(418) == "epcisException:ImplementationException"
    assert set(PROBLEM_TYPE.values()) <= {
        "ValidationException", "SecurityException", "NoSuchResourceException",
        "NotAcceptableException", "ResourceAlreadyExistsException",
        "CaptureLimitExceededException", "URITooLongException",
        "UnsupportedMediaTypeException", "ImplementationException"}


def test_issues_become_problems_with_field_and_fix():
    [p] = issue_problems([Issue("eventList[2]", "action", "action 'X' is unknown",
                                "use ADD, OBSERVE or DELETE", code="schema.enum")])
    assert p["field"] == "action" and p["fix"].startswith("use ADD")
    assert p["code"] == "schema.enum" and "eventList[2]" in p["detail"]


def test_versions():
    assert version_refused({}) is None
    assert version_refused({"gs1-epcis-version": "2.0"}) is None
    assert version_refused({"gs1-epcis-min": "1.0", "gs1-epcis-max": "2.0.0"}) is None
    assert version_refused({"gs1-epcis-min": "2.0.1"})
    assert version_refused({"gs1-cbv-version": "2.1.0"})
