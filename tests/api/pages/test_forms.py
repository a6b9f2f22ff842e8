"""What-if forms per entity over HTTP: the page, the form posts and the JSON twins."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import bearer, copy_scenario


def _copy(client: TestClient, token: str, source: str = "tiny") -> str:
    return copy_scenario(client, token, source, "wf")


def test_form_page_and_its_twin_hold_the_same_rows(client: TestClient, tokens: dict[str, str]):
    name = _copy(client, tokens["plan"])
    data = client.get(f"/api/scenarios/{name}/edit/contracts").json()
    assert data["source"] == "tiny"
    keys = [r["key"] for r in data["rows"]]
    page = client.get(f"/scenarios/{name}/edit/contracts", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert all(f'id="row-{k}"' in page.text for k in keys)
    assert f'href="/compare?a=tiny&amp;b={name}"' in page.text
    assert client.get(f"/api/scenarios/{name}/edit/lanes").status_code == 404


def test_patch_changes_a_contract_and_answers_the_row(client: TestClient,
                                                     tokens: dict[str, str]):
    name = _copy(client, tokens["plan"])
    key = client.get(f"/api/scenarios/{name}/edit/contracts").json()["rows"][0]["key"]
    url = f"/api/scenarios/{name}/contracts/{key}"
    assert client.patch(url, json={"enabled": False}).status_code == 401
    assert client.patch(url, json={"enabled": False},
                        headers=bearer(tokens["read"])).status_code == 403
    r = client.patch(url, json={"enabled": False}, headers=bearer(tokens["plan"]))
    assert r.status_code == 200, r.text
    assert r.json() == {**r.json(), "key": key, "kind": "contracts"}
    assert r.json()["values"]["enabled"] == "false"
    lib = client.app.state.library  # type: ignore[attr-defined]
    assert next(c for c in lib.load(name).contracts if c.id == key).enabled is False


def test_patch_with_a_bad_value_is_422_with_the_loaders_issue(client: TestClient,
                                                             tokens: dict[str, str]):
    name = _copy(client, tokens["plan"])
    text = client.get(f"/api/scenarios/{name}/edit").json()["yaml"]
    key = client.get(f"/api/scenarios/{name}/edit/contracts").json()["rows"][0]["key"]
    r = client.patch(f"/api/scenarios/{name}/contracts/{key}", json={"max": "lots"},
                     headers=bearer(tokens["plan"]))
    assert r.status_code == 422
    issues = r.json()["error"]["issues"]
    assert issues[0]["field"] == "contracts[0].max" and "cannot read quantity" in \
        issues[0]["message"]
    assert client.get(f"/api/scenarios/{name}/edit").json()["yaml"] == text


def test_post_and_delete_a_capacity_phase(client: TestClient, tokens: dict[str, str]):
    name = _copy(client, tokens["plan"])
    rows = client.get(f"/api/scenarios/{name}/edit/capacities").json()["rows"]
    process = rows[0]["key"].split("/")[0]
    r = client.post(f"/api/scenarios/{name}/capacities", headers=bearer(tokens["plan"]),
                    json={"id": process, "values": {"start": "2035-06",
                                                    "capacity": rows[0]["values"]["capacity"]}})
    assert r.status_code == 201, r.text
    new = r.json()["key"]
    assert new == f"{process}/{len(rows) + 1}"
    assert r.headers["location"] == f"/api/scenarios/{name}/capacities/{new}"
    r = client.delete(f"/api/scenarios/{name}/capacities/{new}", headers=bearer(tokens["plan"]))
    assert r.status_code == 204
    assert len(client.get(f"/api/scenarios/{name}/edit/capacities").json()["rows"]) == len(rows)


def test_twins_are_in_the_openapi_description(client: TestClient):
    paths = client.get("/openapi.json").json()["paths"]
    for kind in ("contracts", "capacities", "customers", "enquiries", "options"):
        assert "patch" in paths[f"/api/scenarios/{{name}}/{kind}/{{key}}"]
        assert "delete" in paths[f"/api/scenarios/{{name}}/{kind}/{{key}}"]
        assert "post" in paths[f"/api/scenarios/{{name}}/{kind}"]


def test_form_post_saves_or_shows_the_message_next_to_the_field(client: TestClient,
                                                               tokens: dict[str, str]):
    name = _copy(client, tokens["plan"])
    client.get("/login")
    csrf = client.cookies.get("oreline_csrf")
    key = client.get(f"/api/scenarios/{name}/edit/customers").json()["rows"][0]["key"]
    url = f"/scenarios/{name}/edit/customers"
    form = {"csrf": csrf, "key": key, "action": "save", "v.priority": "12"}
    assert client.post(url, data={**form, "csrf": "x"}, headers=bearer(tokens["plan"]),
                       follow_redirects=False).status_code == 403
    r = client.post(url, data=form, headers={**bearer(tokens["plan"]), "Accept": "text/html"},
                    follow_redirects=False)
    assert r.status_code == 422
    assert 'class="field-error" data-field="priority"' in r.text
    assert 'value="12"' in r.text  # what the user typed stays in the box
    r = client.post(url, data={**form, "v.priority": "2"}, headers=bearer(tokens["plan"]),
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"{url}?saved={key}")
    lib = client.app.state.library  # type: ignore[attr-defined]
    assert lib.load(name).customers[0].priority == 2


def test_form_add_for_an_unknown_process_says_so_by_the_id(client: TestClient,
                                                           tokens: dict[str, str]):
    name = _copy(client, tokens["plan"])
    client.get("/login")
    csrf = client.cookies.get("oreline_csrf")
    r = client.post(f"/scenarios/{name}/edit/capacities", headers=bearer(tokens["plan"]),
                    data={"csrf": csrf, "action": "add", "key": "nope", "v.start": "2030-01",
                          "v.capacity": "1 t/month metal"}, follow_redirects=False)
    assert r.status_code == 422
    assert "data-field=\"id\">no row &#39;nope&#39; in the processes" in r.text
    assert 'value="nope"' in r.text
