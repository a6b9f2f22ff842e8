"""Saving a what-if from its round-trip data gives what reading the saved text gives."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from oreline.api.entityforms import _yaml
from oreline.api.scenarios import ScenarioLibrary
from oreline.api.whatif import copy_scenario, save_scenario_text, scenario_text
from oreline.errors import ScenarioError
from oreline.scenario import load_scenario


@pytest.fixture
def lib(tmp_path: Path) -> ScenarioLibrary:
    library = ScenarioLibrary(tmp_path)
    copy_scenario(library, "kmp", "k")
    return library


def _edited(lib: ScenarioLibrary, max_t: object) -> tuple[str, object]:
    data = _yaml().load(scenario_text(lib, "k"))
    data["contracts"][0]["max"] = max_t
    buf = io.StringIO()
    _yaml().dump(data, buf)
    return buf.getvalue(), data


def test_the_scenario_from_the_data_is_the_one_the_saved_text_reads_as(
        lib: ScenarioLibrary) -> None:
    text, data = _edited(lib, "55 t/month oxide")
    fast = save_scenario_text(lib, "k", text, data)  # type: ignore[arg-type]
    read = load_scenario(lib.path("k"))  # the file as saved, read the slow way
    assert fast.model_dump() == read.model_dump()
    assert read.contracts[0].max is not None and "55" in str(
        YAML(typ="safe").load(lib.path("k").read_text())["contracts"][0]["max"])


def test_problems_have_the_lines_of_the_text(lib: ScenarioLibrary) -> None:
    text, data = _edited(lib, "-5 t/month oxide")
    with pytest.raises(ScenarioError) as fast:
        save_scenario_text(lib, "k", text, data)  # type: ignore[arg-type]
    with pytest.raises(ScenarioError) as slow:
        save_scenario_text(lib, "k", text)
    assert fast.value.issues == slow.value.issues
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "-5 t/month oxide" in row)
    assert any(i.where == f"k.yaml:{line}" for i in fast.value.issues)


def test_data_that_the_text_does_not_read_back_as_is_not_trusted(
        lib: ScenarioLibrary) -> None:
    text, _ = _edited(lib, "-5 t/month oxide")  # an invalid text...
    _, valid = _edited(lib, "5 t/month oxide")  # ...handed over with valid data
    with pytest.raises(ScenarioError):
        save_scenario_text(lib, "k", text, valid)  # type: ignore[arg-type]
    assert "-5 t/month oxide" not in lib.path("k").read_text()  # nothing written
