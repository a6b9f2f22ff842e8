"""Jobs through the API: 202 with a status URL, progress, a result that links the plan."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from tests.api.conftest import bearer


def _until_done(client: TestClient, url: str) -> dict:
    for _ in range(600):
        job = client.get(url).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError("job did not end")


def test_plan_job_runs_and_fills_the_cache(client: TestClient, tokens: dict[str, str]):
    r = client.post("/api/jobs", json={"kind": "plan", "scenario": "tiny", "demand": "firm"},
                    headers=bearer(tokens["plan"]))
    assert r.status_code == 202
    job = _until_done(client, r.headers["location"])
    assert job["status"] == "done", job["message"]
    assert job["done"] == job["total"] == 5
    plan = client.get("/api/plan/tiny", params={"demand": "firm"}).json()
    assert plan["key"] == job["result"]["key"]
    assert plan["kpis"] == job["result"]["kpis"]
    assert job["result"]["page"] == "/plan/tiny?demand=firm"


def test_job_list_and_unknown_job(client: TestClient):
    assert isinstance(client.get("/api/jobs").json()["jobs"], list)
    assert client.get("/api/jobs/nope").status_code == 404
