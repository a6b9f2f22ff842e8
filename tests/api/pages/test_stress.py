"""Stress pages: parameters checked before a job starts; a small sweep end to end."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from oreline.api.stressdata import stress_params
from oreline.errors import ConfigError
from tests.api.conftest import bearer


@pytest.mark.parametrize("body", [{"set": "nope"}, {"samples": 0}, {"samples": "many"},
                                  {"samples": 10**6}])
def test_bad_stress_parameters(body):
    with pytest.raises(ConfigError):
        stress_params(body)


def test_stress_page_lists_the_sets(client: TestClient):
    assert "kmp" in client.get("/api/stress").json()["sets"]


def test_unfinished_or_unknown_run_is_not_a_result(client: TestClient):
    assert client.get("/api/stress/runs/nope").status_code == 404


@pytest.mark.slow
def test_a_small_sweep_runs_as_a_job(client: TestClient, tokens: dict[str, str]):
    r = client.post("/api/jobs", json={"kind": "stress", "set": "kmp", "samples": 6,
                                       "seed": 7}, headers=bearer(tokens["plan"]))
    assert r.status_code == 202
    for _ in range(3000):
        job = client.get(r.headers["location"]).json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert job["status"] == "done", job["message"]
    data = client.get(f"/api/stress/runs/{job['id']}").json()
    assert data["settings"]["seed"] == 7 and data["settings"]["samples"] == 6
    assert len(data["figures"]["histogram"]["data"][0]["x"]) == 6
    page = client.get(f"/stress/runs/{job['id']}").text
    assert 'id="plot-tornado"' in page and "seed 7" in page
