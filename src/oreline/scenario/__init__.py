"""Scenarios: schema, readers (YAML, CSV folder, Excel), writers and the built-in library."""

from __future__ import annotations

from oreline.scenario.load import load_scenario
from oreline.scenario.resolve import builtin_names, builtin_path
from oreline.scenario.schema import Scenario
from oreline.scenario.writers import export_scenario

__all__ = ["Scenario", "builtin_names", "builtin_path", "export_scenario", "load_scenario"]
