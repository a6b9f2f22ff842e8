"""Invest pages: a run as a job equals ``run_invest`` + ``analyse`` called directly.

The tiny-invest figures are the hand-worked ones of docs/invest.md (the "no event"
column): the cell alone 1,053,500 USD, doing nothing 606,000, the contract alone
602,333.33; the cell stops being chosen above about 5.5 M USD.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oreline.invest.analysis import AnalysisSettings, analyse
from oreline.invest.runner import run_invest
from oreline.scenario import load_scenario
from oreline.stress.files import load_stress
from tests.api.conftest import bearer


def _run(client: TestClient, token: str, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/api/invest/runs", json=body, headers=bearer(token))
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/api/jobs/{r.json()['id']}"
    for _ in range(6000):
        job = client.get(r.headers["location"]).json()
        if job["status"] in ("done", "failed"):
            return dict(job)
        time.sleep(0.1)
    raise AssertionError("the invest job did not end")


def test_tiny_invest_job_equals_the_library(client: TestClient, tokens: dict[str, str]):
    job = _run(client, tokens["plan"], {"scenario": "tiny-invest"})
    assert job["status"] == "done", job["message"]
    assert job["kind"] == "invest" and job["done"] == job["total"]
    data = client.get(f"/api/invest/runs/{job['id']}").json()
    sc = load_scenario("tiny-invest")
    run = run_invest(sc)
    a = analyse(run, sc, None, None, 0.0, 0.95, AnalysisSettings())
    assert data["summary"]["expected NPV"] == pytest.approx(float(run.problem.probability
                                                                  @ run.npv), rel=1e-9)
    assert data["summary"]["expected NPV"] == pytest.approx(1_053_500, abs=1)  # by hand
    assert data["summary"]["EVPI"] == pytest.approx(run.values.evpi, abs=1e-3)
    assert data["summary"]["VSS"] == pytest.approx(run.values.vss, abs=1e-3)
    assert data["decisions"]["rows"] == [list(r) for r in run.decisions.itertuples(
        index=False)]
    alts = {x["key"]: x for x in data["alternatives"]}
    assert alts["nothing"]["expected_npv"] == pytest.approx(606_000, abs=1)
    assert alts["au2"]["expected_npv"] == pytest.approx(602_333.33, abs=1)
    for alt in a.alternatives:
        assert alts[alt.key]["regret_max"] == pytest.approx(float(alt.regret.max()), abs=1e-3)
    be = {b["option"]: b for b in data["break_even"]}
    assert be["cell2"]["break_even"] == pytest.approx(a.break_evens[0].break_even, rel=1e-6)
    assert 5.4e6 < be["cell2"]["break_even"] < 5.6e6 and be["au2"]["break_even"] is None
    assert data["flexibility"]["value"] == pytest.approx(0.0, abs=1e-6)  # one decision month
    assert set(data["figures"]) == {"timeline", "npv"}


def test_run_page_shows_the_decision(client: TestClient, tokens: dict[str, str]):
    job = _run(client, tokens["plan"], {"scenario": "tiny-invest", "breakeven": False})
    text = client.get(f"/invest/runs/{job['id']}").text
    assert 'id="decisions"' in text and "cell2" in text and 'id="plot-timeline"' in text
    assert "1.05 M USD" in text and "break-even" in text.lower()
    kpis = text.split('id="kpis"')[1].split("<section")[0]
    assert "VSS" in kpis and "-0 " not in kpis and "e-10" not in kpis  # 2.3e-10 shown as 0
    values = text.split('id="values"')[1].split("</section>")[0]
    assert values.count("<tr>") == 1 + 13 and "EVPI" in values and "WS - RP" in values
    twin = client.get(f"/api/invest/runs/{job['id']}").json()  # the page shows the twin
    assert all(alt["label"] in text for alt in twin["alternatives"])
    assert all(row[0] in text for row in twin["values"]["rows"])
    listing = client.get("/api/invest").json()
    assert job["id"] in [r["id"] for r in listing["runs"]]
    assert "tiny-invest" in listing["scenarios"] and "tiny" not in listing["scenarios"]


def test_starting_a_run_needs_the_plan_scope(client: TestClient, tokens: dict[str, str]):
    body = {"scenario": "tiny-invest"}
    assert client.post("/api/invest/runs", json=body).status_code == 401
    r = client.post("/api/invest/runs", json=body, headers=bearer(tokens["read"]))
    assert r.status_code == 403


def test_the_form_needs_its_csrf_value(client: TestClient, tokens: dict[str, str]):
    client.get("/invest")
    r = client.post("/invest/runs", data={"scenario": "tiny-invest", "csrf": "wrong"},
                    headers={**bearer(tokens["plan"]), "accept": "text/html"})
    assert r.status_code == 403 and "CSRF" in r.text


@pytest.mark.parametrize(("body", "field"), [
    ({"samples": 0}, "samples"), ({"risk_weight": 2}, "risk_weight"),
    ({"risk_weight": 1}, "risk_weight"),
    ({"alpha": 1.0}, "alpha"), ({"oos": -1}, "oos"), ({"colour": "red"}, "colour")])
def test_bad_input_is_422_naming_the_field(client: TestClient, tokens: dict[str, str],
                                           body: dict[str, Any], field: str):
    r = client.post("/api/invest/runs", json=body, headers=bearer(tokens["plan"]))
    assert r.status_code == 422
    assert field in r.json()["error"]["detail"]


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"scenario": "tiny"}, 400, "scenario: 'tiny' has no investment options"),
    ({"scenario": "nope"}, 404, "no scenario named 'nope'"),
    ({"scenario": "tiny-invest", "stress": "nope"}, 400, "stress: unknown stress set")])
def test_unknown_names_are_refused_before_a_job(client: TestClient, tokens: dict[str, str],
                                                body: dict[str, Any], status: int,
                                                words: str):
    r = client.post("/api/invest/runs", json=body, headers=bearer(tokens["plan"]))
    assert r.status_code == status and words in r.json()["error"]["detail"]


def test_a_stress_set_of_another_scenario_fails_with_a_message(client: TestClient,
                                                                tokens: dict[str, str]):
    job = _run(client, tokens["plan"], {"scenario": "tiny-invest", "stress": "kmp",
                                        "samples": 2, "oos": 0, "mrp": 0})
    assert job["status"] == "failed"
    assert "made for scenario 'kmp') applied to 'tiny-invest'" in job["message"]
    assert "unknown process 'strip_casting'" in job["message"]


def test_unknown_or_unfinished_run_is_not_a_result(client: TestClient):
    assert client.get("/api/invest/runs/nope").status_code == 404


@pytest.mark.slow
def test_kmp_with_a_stress_set_equals_the_library_for_the_seed(client: TestClient,
                                                               tokens: dict[str, str]):
    body = {"scenario": "kmp", "stress": "kmp", "samples": 3, "seed": 11,
            "alternatives": False, "breakeven": False, "budget_step": 0, "oos": 0, "mrp": 0}
    job = _run(client, tokens["plan"], body)
    assert job["status"] == "done", job["message"]
    data = client.get(f"/api/invest/runs/{job['id']}").json()
    run = run_invest(load_scenario("kmp"), stress="kmp", samples=3, seed=11)
    assert data["settings"]["seed"] == 11 and data["scenarios"] == 3
    assert data["summary"]["expected NPV"] == pytest.approx(
        float(run.problem.probability @ run.npv), rel=1e-7)
    assert data["summary"]["P5"] == pytest.approx(run.percentile(5), rel=1e-7)
    assert data["decisions"]["rows"] == [list(r) for r in run.decisions.itertuples(
        index=False)]
    assert len(data["npv"]["rows"]) == 3
    assert load_stress("kmp")[0].scenario == "kmp"
