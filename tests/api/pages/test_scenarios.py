"""Scenario pages: the list, entities with sources and flags, exports that read back."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from oreline.scenario import builtin_names, load_scenario


def test_list_has_every_builtin(client: TestClient):
    listed = client.get("/api/scenarios").json()["scenarios"]  # what-if copies of other tests
    assert [s["name"] for s in listed if s["origin"] == "built-in"] == builtin_names()


def test_entities_carry_sources_and_flags(client: TestClient):
    data = client.get("/api/scenarios/kmp").json()
    sc = load_scenario("kmp")
    assert len(data["entities"]["customers"]) == len(sc.customers)
    flagged = sum(e["flags"] for rows in data["entities"].values() for e in rows)
    assert flagged == data["flags"] > 0
    page = client.get("/scenarios/kmp").text
    assert page.count('class="flag"') >= data["flags"]


@pytest.mark.parametrize("fmt", ["yaml", "xlsx"])
def test_export_reads_back_to_the_same_scenario(client: TestClient, tmp_path: Path, fmt: str):
    r = client.get(f"/api/scenarios/tiny/export.{fmt}")
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    out = tmp_path / f"tiny.{fmt}"
    out.write_bytes(r.content)
    assert load_scenario(out) == load_scenario("tiny")


def test_csv_export_is_a_zip_that_reads_back(client: TestClient, tmp_path: Path):
    r = client.get("/scenarios/tiny/export.csv")
    zipfile.ZipFile(io.BytesIO(r.content)).extractall(tmp_path)
    assert load_scenario(tmp_path / "tiny") == load_scenario("tiny")


def test_unknown_format_and_scenario(client: TestClient):
    assert client.get("/api/scenarios/tiny/export.pdf").status_code == 422
    r = client.get("/api/scenarios/..%2F..%2Fetc/export.yaml")
    assert r.status_code == 404
    assert client.get("/api/scenarios/nope").json()["error"]["status"] == 404
