from __future__ import annotations

import copy
import os
from collections.abc import Callable
from typing import Any

import pytest
from ruamel.yaml import YAML

from oreline.scenario import Scenario, builtin_path
from oreline.scenario.load import parse_scenario
from oreline.scenario.readers import Raw


def builtin_dict(name: str) -> dict[str, Any]:
    """A built-in scenario as a plain dict, to modify in tests."""
    data = YAML(typ="safe").load(builtin_path(name).read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def scenario_from(data: dict[str, Any]) -> Scenario:
    return parse_scenario(Raw(copy.deepcopy(data), {}, "<test>"))


@pytest.fixture
def tiny_dict() -> dict[str, Any]:
    return builtin_dict("tiny")


@pytest.fixture
def make() -> Callable[[dict[str, Any]], Scenario]:
    return scenario_from


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``slow`` unless ORELINE_SLOW=1 (CI sets it)."""
    if os.environ.get("ORELINE_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: set ORELINE_SLOW=1 to run")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
