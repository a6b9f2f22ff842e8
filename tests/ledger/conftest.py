"""Fixtures of the ledger tests: a fresh SQLite ledger per test and, when ORELINE_PG_URL
is set, the same tests on PostgreSQL in a fresh schema per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from oreline.ledger import Ledger
from tests.ledger.ledgerkit import KMP, PG_URL, SKIP_PG


def _pg_ledger() -> Iterator[Ledger]:
    if not PG_URL:
        pytest.skip(SKIP_PG)
    schema = "t_" + uuid.uuid4().hex[:16]
    led = Ledger.open(PG_URL, schema=schema)
    try:
        yield led
    finally:
        led.close()
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


@pytest.fixture
def sqlite_ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A fresh SQLite ledger file with the KMP site registered."""
    led = Ledger.open(tmp_path / "ledger.sqlite")
    led.register_site(KMP, "KMP Ochang", "KR", "alloying")
    yield led
    led.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """A fresh ledger with the KMP site registered, on SQLite and (if set up) PostgreSQL."""
    if request.param == "sqlite":
        led = Ledger.open(tmp_path / "ledger.sqlite")
        led.register_site(KMP, "KMP Ochang", "KR", "alloying")
        yield led
        led.close()
    else:
        for led in _pg_ledger():
            led.register_site(KMP, "KMP Ochang", "KR", "alloying")
            yield led
