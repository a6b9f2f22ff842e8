"""The server's config: defaults, the JSON hand-over to workers, bad hand-overs."""

from __future__ import annotations

from pathlib import Path

import pytest

from oreline.api.config import ServeConfig
from oreline.errors import ConfigError


def test_default_uses_the_demo_ledger(tmp_path: Path):
    c = ServeConfig.default(tmp_path)
    assert c.demo_ledger and c.app_url.endswith("serve.sqlite")


def test_a_postgres_ledger_holds_the_app_tables(tmp_path: Path):
    c = ServeConfig.default(tmp_path, "postgresql+psycopg://u:p@h/db")
    assert c.app_url == c.ledger_url and not c.demo_ledger


def test_a_ledger_path_becomes_a_url(tmp_path: Path):
    c = ServeConfig.default(tmp_path, str(tmp_path / "l.sqlite"))
    assert c.ledger_url == f"sqlite:///{tmp_path / 'l.sqlite'}"


def test_bad_hand_over_is_a_config_error():
    with pytest.raises(ConfigError, match="ORELINE_SERVE_CONFIG"):
        ServeConfig.from_json('{"nope": 1}')
