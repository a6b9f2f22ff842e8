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
from pathlib import Path

from oreline.api.scenarios import ScenarioLibrary
from oreline.errors import ConfigError, ScenarioError
from oreline.scenario import Scenario, builtin_names, load_scenario
from oreline.scenario.atomic import atomic_file
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


def save_scenario_text(library: ScenarioLibrary, name: str, text: str) -> Scenario:
    """Check ``text`` as a scenario and, when valid, save it as scenario ``name``.

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
            scenario = load_scenario(draft)
        except ScenarioError as exc:
            issues = [dataclasses.replace(i, where=i.where.replace(str(draft), draft.name))
                      for i in exc.issues]
            raise ScenarioError(issues) from None
    with atomic_file(target) as out:
        out.write_text(text, encoding="utf-8")
    return scenario
