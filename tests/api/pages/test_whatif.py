"""What-if copies: copied under a new name, edited with the file's own messages, compared."""

from __future__ import annotations

from fastapi.testclient import TestClient

from oreline.scenario import load_scenario
from tests.api.conftest import bearer, copy_scenario


def _copy(client: TestClient, token: str, source: str = "tiny") -> str:
    return copy_scenario(client, token, source, "wi")


def test_copy_is_listed_and_equal_but_for_its_name(client: TestClient, tokens: dict[str, str]):
    name = _copy(client, tokens["plan"])
    listed = {s["name"]: s["origin"] for s in client.get("/api/scenarios").json()["scenarios"]}
    assert listed[name] == "saved"
    copy = client.app.state.library.load(name)  # type: ignore[attr-defined]
    original = load_scenario("tiny")
    assert copy.model_copy(update={"name": original.name,
                                   "description": original.description}) == original


def test_copy_needs_a_plan_token_and_a_free_name(client: TestClient, tokens: dict[str, str]):
    assert client.post("/api/scenarios/tiny/copy", json={"name": "x1"}).status_code == 401
    r = client.post("/api/scenarios/tiny/copy", json={"name": "kmp"},
                    headers=bearer(tokens["plan"]))
    assert r.status_code == 400 and "exists" in r.json()["error"]["detail"]
    r = client.post("/api/scenarios/tiny/copy", json={"name": "../x"},
                    headers=bearer(tokens["plan"]))
    assert r.status_code == 400


def test_edit_saves_a_valid_change_and_the_plan_follows(client: TestClient,
                                                        tokens: dict[str, str]):
    name = _copy(client, tokens["plan"])
    text = client.get(f"/api/scenarios/{name}/edit").json()["yaml"]
    before = client.get(f"/api/plan/{name}").json()["kpis"]["margin"]
    changed = text.replace("discount_rate: 0.08", "discount_rate: 0.2") \
        if "discount_rate: 0.08" in text else text.replace("currency: USD",
                                                          "currency: USD\ndiscount_rate: 0.2")
    r = client.put(f"/api/scenarios/{name}", json={"yaml": changed},
                   headers=bearer(tokens["plan"]))
    assert r.status_code == 200, r.text
    after = client.get(f"/api/plan/{name}").json()
    assert after["key"] != client.get("/api/plan/tiny").json()["key"]
    assert before == client.get("/api/plan/tiny").json()["kpis"]["margin"]
    assert client.app.state.library.load(name).discount_rate == 0.2  # type: ignore[attr-defined]


def test_invalid_edit_names_the_line_and_saves_nothing(client: TestClient,
                                                      tokens: dict[str, str]):
    name = _copy(client, tokens["plan"])
    text = client.get(f"/api/scenarios/{name}/edit").json()["yaml"]
    bad = text.rstrip("\n") + "\nbogus: 1\n"
    line = bad.count("\n")
    r = client.put(f"/api/scenarios/{name}", json={"yaml": bad}, headers=bearer(tokens["plan"]))
    assert r.status_code == 422
    issues = r.json()["error"]["issues"]
    assert any(i["where"] == f"{name}.yaml:{line}" and "bogus" in (i["field"] + i["message"])
               for i in issues), issues
    assert client.get(f"/api/scenarios/{name}/edit").json()["yaml"] == text


def test_builtin_scenarios_are_not_editable(client: TestClient, tokens: dict[str, str]):
    assert client.get("/api/scenarios/kmp/edit").status_code == 400
    r = client.put("/api/scenarios/kmp", json={"yaml": "x"}, headers=bearer(tokens["plan"]))
    assert r.status_code == 400
