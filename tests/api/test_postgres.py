"""On PostgreSQL: the ledger and the app tables in one database, shared by two workers.

Two app instances on the same URL stand for two uvicorn workers: a token made by one is
accepted by the other, and a job started on one is followed to its end on the other.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from oreline.api.app import create_app
from oreline.api.config import ServeConfig
from oreline.api.tokens import create_token
from tests.api.conftest import bearer

PG_URL = os.environ.get("ORELINE_PG_URL")

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not PG_URL, reason="set ORELINE_PG_URL (.ci/run does)")]


@pytest.fixture
def pg_config(tmp_path: Path) -> Iterator[ServeConfig]:
    assert PG_URL
    db = "serve_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{db}"')
    url = PG_URL.rsplit("/", 1)[0] + "/" + db
    try:
        yield replace(ServeConfig.default(tmp_path, url))
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.dispose()


def test_two_workers_share_tokens_and_jobs(pg_config: ServeConfig):
    assert pg_config.app_url == pg_config.ledger_url and not pg_config.demo_ledger
    with TestClient(create_app(pg_config)) as one, TestClient(create_app(pg_config)) as two:
        secret = create_token(one.app.state.engine, ["plan"]).secret  # type: ignore[attr-defined]
        r = two.post("/api/jobs", json={"kind": "plan", "scenario": "tiny"},
                     headers=bearer(secret))
        assert r.status_code == 202
        for _ in range(600):
            job = one.get(r.headers["location"]).json()
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert job["status"] == "done", job["message"]
        assert one.get("/api/plan/tiny").json()["key"] == job["result"]["key"]
        assert one.get("/api/trace").json()["lots_total"] == 0  # an empty PostgreSQL ledger
