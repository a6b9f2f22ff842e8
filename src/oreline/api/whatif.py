"""What-if copies: a scenario saved under a new name in the server's folder, then edited.

A copy is the scenario as ``oreline scenario export`` writes it (YAML), so it stands
alone (no ``extends:``). An edit is checked by the same loader as a file, and its
problems carry the same messages, with lines of the edited text. Nothing is written
unless the whole text is a valid scenario.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from oreline.api.scenarios import ScenarioLibrary
from oreline.errors import ConfigError, ScenarioError
from oreline.scenario import Scenario, builtin_names, load_scenario
from oreline.scenario.atomic import atomic_file
from oreline.scenario.guards import flow_depth_issue, read_text
from oreline.scenario.load import parse_scenario
from oreline.scenario.readers import raw_from_round_trip
from oreline.scenario.writers import export_scenario

__all__ = ["copy_scenario", "save_scenario_text", "scenario_text"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,60}$")


def _check_new(library: ScenarioLibrary, name: str) -> Path:
    if not _NAME.match(name):
        raise ConfigError(f"name {name!r}: start with a letter and use only letters, digits, "
                          "_ and - (at most 61 characters)")
    if name in builtin_names() or (library.folder / f"{name}.yaml").exists():
        raise ConfigError(f"a scenario named {name!r} exists; choose another name")
    return library.folder / f"{name}.yaml"


def copy_scenario(library: ScenarioLibrary, source: str, name: str) -> Path:
    """Save scenario ``source`` as ``name`` (a what-if copy) and return its file.

    Raises
    ------
    ConfigError
        For a name that is taken or not a plain identifier.
    """
    target = _check_new(library, name)
    scenario = library.load(source)
    scenario = scenario.model_copy(update={"name": name, "description":
                                           f"what-if copy of {source}. {scenario.description}"})
    library.folder.mkdir(parents=True, exist_ok=True)
    with atomic_file(target) as tmp:
        export_scenario(scenario, tmp.with_suffix(".yaml"), "yaml").replace(tmp)
    return target


def scenario_text(library: ScenarioLibrary, name: str) -> str:
    """The YAML text of a saved (editable) scenario.

    Raises
    ------
    ConfigError
        For a built-in scenario (copy it first).
    """
    path = library.path(name)
    if path.parent != library.folder:
        raise ConfigError(f"{name!r} is built in and cannot be edited; copy it as a what-if "
                          "first")
    return path.read_text(encoding="utf-8")


def save_scenario_text(library: ScenarioLibrary, name: str, text: str,
                       data: Mapping[str, Any] | None = None) -> Scenario:
    """Check ``text`` as a scenario and, when valid, save it as scenario ``name``.

    ``data`` is the round-trip mapping ``text`` was dumped from, when the caller has it
    (the entity forms). ruamel's pure-Python parse of ``text`` was most of a form save's
    time, so then ``text`` is read back with libyaml (PyYAML's C loader, 30 times
    faster) only to check that it gives ``data`` exactly, and the scenario is validated
    from ``data``. The text's guards (size, encoding, nesting) still run. A text that
    reads back otherwise (a YAML 1.1 reading, a dump ruamel cannot read back) and a
    scenario with problems take the full read, so every problem has its exact line.

    Raises
    ------
    ScenarioError
        Every problem, located as ``{name}.yaml:LINE`` in the text given.
    ConfigError
        For a built-in scenario.
    """
    target = library.folder / f"{name}.yaml"
    scenario_text(library, name)  # refuses built-ins and unknown names
    with tempfile.TemporaryDirectory() as tmp:
        draft = Path(tmp) / f"{name}.yaml"
        draft.write_text(text, encoding="utf-8")
        try:
            scenario = _checked(draft, text, data)
        except ScenarioError as exc:
            issues = [dataclasses.replace(i, where=i.where.replace(str(draft), draft.name))
                      for i in exc.issues]
            raise ScenarioError(issues) from None
    with atomic_file(target) as out:
        out.write_text(text, encoding="utf-8")
    return scenario


def _checked(draft: Path, text: str, data: Mapping[str, Any] | None) -> Scenario:
    """The scenario of ``draft``: from ``data`` when given and valid, else read."""
    if data is None or "extends" in data:
        return load_scenario(draft)
    read_text(draft)  # size and encoding
    if flow_depth_issue(draft, text) is not None:
        return load_scenario(draft)  # raises with the guard's message
    raw = raw_from_round_trip(data, str(draft))
    try:
        same = yaml.load(text, Loader=_LOADER) == raw.data
    except yaml.YAMLError:
        same = False
    if not same:
        return load_scenario(draft)
    try:
        return parse_scenario(raw)
    except ScenarioError:
        return load_scenario(draft)  # the same problems, each at its line in the text


#: libyaml's safe loader where PyYAML has it, else its pure-Python one (still safe).
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
