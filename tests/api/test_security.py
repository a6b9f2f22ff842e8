"""Writes need a token with the scope (401, 403), form posts a CSRF value, bodies a limit."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import bearer

JOB = {"kind": "plan", "scenario": "tiny"}


def test_write_without_token_is_401(client: TestClient):
    r = client.post("/api/jobs", json=JOB)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert "token" in r.json()["error"]["detail"]


def test_bad_token_is_401(client: TestClient):
    for secret in ("nonsense", "ol_abc_def", "ol__"):
        assert client.post("/api/jobs", json=JOB, headers=bearer(secret)).status_code == 401


def test_token_without_scope_is_403(client: TestClient, tokens: dict[str, str]):
    for scope in ("read", "capture"):
        r = client.post("/api/jobs", json=JOB, headers=bearer(tokens[scope]))
        assert r.status_code == 403, scope
        assert "--scope plan" in r.json()["error"]["detail"]


def test_plan_and_admin_tokens_may_start_jobs(client: TestClient, tokens: dict[str, str]):
    for scope in ("plan", "admin"):
        r = client.post("/api/jobs", json=JOB, headers=bearer(tokens[scope]))
        assert r.status_code == 202, r.text
        assert r.headers["location"] == f"/api/jobs/{r.json()['id']}"


def test_form_post_without_csrf_is_403(client: TestClient, tokens: dict[str, str]):
    r = client.post("/jobs", data={"kind": "plan", "scenario": "tiny"},
                    headers=bearer(tokens["plan"]), follow_redirects=False)
    assert r.status_code == 403
    assert "CSRF" in r.json()["error"]["detail"]


def test_form_post_with_csrf_and_cookie_token_starts_a_job(client: TestClient,
                                                          tokens: dict[str, str]):
    client.get("/login")
    csrf = client.cookies.get("oreline_csrf")
    assert csrf
    r = client.post("/login", data={"token": tokens["plan"], "csrf": csrf},
                    follow_redirects=False)
    assert r.status_code == 303
    r = client.post("/jobs", data={"kind": "plan", "scenario": "tiny", "csrf": csrf},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    client.post("/logout", data={"csrf": csrf})
    client.cookies.delete("oreline_token")


def test_login_with_wrong_csrf_is_refused(client: TestClient, tokens: dict[str, str]):
    client.get("/login")
    r = client.post("/login", data={"token": tokens["plan"], "csrf": "forged"})
    assert r.status_code == 403


def test_body_over_the_limit_is_413(client: TestClient, tokens: dict[str, str]):
    big = b'{"kind": "plan", "scenario": "' + b"x" * (6 * 1024 * 1024) + b'"}'
    r = client.post("/api/jobs", content=big, headers={**bearer(tokens["plan"]),
                                                       "content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]["status"] == 413


def test_streamed_body_over_the_limit_is_413(client: TestClient, tokens: dict[str, str]):
    def chunks():
        for _ in range(7):
            yield b"x" * (1024 * 1024)

    r = client.post("/api/jobs", content=chunks(), headers={
        **bearer(tokens["plan"]), "content-type": "application/json"})
    assert r.status_code == 413


def test_malformed_json_is_422_with_a_message(client: TestClient, tokens: dict[str, str]):
    r = client.post("/api/jobs", content=b"{not json", headers={
        **bearer(tokens["plan"]), "content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"]["detail"]


def test_wrong_fields_are_422_naming_the_field(client: TestClient, tokens: dict[str, str]):
    for body, field in (({"kind": "dance"}, "kind"), ({"kind": "plan", "extra": 1}, "extra"),
                        ({"kind": "stress", "samples": 0}, "samples"), ([1, 2], "body")):
        r = client.post("/api/jobs", json=body, headers=bearer(tokens["plan"]))
        assert r.status_code == 422, body
        assert field in r.json()["error"]["detail"], r.json()


def test_plan_job_needs_a_scenario(client: TestClient, tokens: dict[str, str]):
    r = client.post("/api/jobs", json={"kind": "plan"}, headers=bearer(tokens["plan"]))
    assert r.status_code == 422
    r = client.post("/api/jobs", json={"kind": "plan", "scenario": "../etc/passwd"},
                    headers=bearer(tokens["plan"]))
    assert r.status_code == 404


def test_reads_closed_need_a_read_token(config, tokens: dict[str, str], client: TestClient):
    from oreline.api.app import create_app

    with TestClient(create_app(config.with_reads(False))) as private:
        assert private.get("/api/scenarios").status_code == 401
        assert private.get("/api/scenarios", headers=bearer(tokens["read"])).status_code == 200
        assert private.get("/api/scenarios", headers=bearer(tokens["plan"])).status_code == 403
