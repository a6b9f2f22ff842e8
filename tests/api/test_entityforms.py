"""Entity forms on a what-if copy: one row changed, checked by the loader, saved atomically."""

from __future__ import annotations

from pathlib import Path

import pytest

from oreline.api.entityforms import (
    EDIT_NOTE,
    KINDS,
    UnknownEntityError,
    add_row,
    delete_row,
    field_issues,
    row_path,
    rows,
    update_row,
)
from oreline.api.scenarios import ScenarioLibrary
from oreline.api.whatif import copy_scenario
from oreline.errors import ConfigError, ScenarioError
from oreline.scenario import load_scenario
from oreline.units import parse_quantity


@pytest.fixture
def lib(tmp_path: Path) -> ScenarioLibrary:
    library = ScenarioLibrary(tmp_path / "scenarios")
    copy_scenario(library, "kmp", "k")
    return library


def _text(lib: ScenarioLibrary) -> str:
    return (lib.folder / "k.yaml").read_text(encoding="utf-8")


def test_rows_show_every_entity_of_each_kind(lib: ScenarioLibrary):
    kmp = load_scenario("kmp")
    assert [r["key"] for r in rows(lib, "k", "contracts")] == [c.id for c in kmp.contracts]
    phases = rows(lib, "k", "capacities")
    assert len(phases) == sum(len(p.capacity) for p in kmp.processes)
    assert phases[0]["key"] == f"{kmp.processes[0].id}/1"
    assert {r["key"] for r in rows(lib, "k", "options")} == {o.id for o in kmp.options}
    row = rows(lib, "k", "contracts")[0]
    assert set(row["values"]) == set(KINDS["contracts"].fields)


def test_a_good_edit_changes_that_field_only_and_notes_its_source(lib: ScenarioLibrary):
    before = load_scenario(lib.folder / "k.yaml")
    sc = update_row(lib, "k", "contracts", "ucore_ndpr", {"max": "30 t/month oxide",
                                                           "enabled": "false"})
    new = next(c for c in sc.contracts if c.id == "ucore_ndpr")
    old = next(c for c in before.contracts if c.id == "ucore_ndpr")
    assert new.max == parse_quantity("30 t/month oxide") and new.enabled is False
    assert isinstance(new.source, dict) and new.source["max"].startswith(EDIT_NOTE)
    assert "20 t/month oxide" in new.source["max"]  # the value it replaced
    assert new.model_copy(update={"max": old.max, "enabled": True, "source": old.source}) == old
    others = [c for c in sc.contracts if c.id != "ucore_ndpr"]
    assert others == [c for c in before.contracts if c.id != "ucore_ndpr"]


def test_a_bad_value_gets_the_loaders_message_and_nothing_is_written(lib: ScenarioLibrary):
    text = _text(lib)
    with pytest.raises(ScenarioError) as info:
        update_row(lib, "k", "contracts", "ucore_ndpr", {"max": "-3 t/month oxide"})
    assert _text(lib) == text
    errors = field_issues(info.value.issues, row_path(lib, "k", "contracts", "ucore_ndpr"))
    assert list(errors) == ["max"] and "negative" in errors["max"][0]
    with pytest.raises(ScenarioError) as info:
        update_row(lib, "k", "enquiries", "kr_kangwon", {"probability": "3"})
    assert "between 0 and 1" in str(info.value)
    assert _text(lib) == text


def test_empty_value_restores_the_default(lib: ScenarioLibrary):
    sc = update_row(lib, "k", "contracts", "ucore_ndpr", {"lead_time": ""})
    assert next(c for c in sc.contracts if c.id == "ucore_ndpr").lead_time == 0


def test_capacity_phase_edit_add_and_delete(lib: ScenarioLibrary):
    sc = update_row(lib, "k", "capacities", "electrolysis/2", {"capacity": "1200 t/year metal"})
    assert sc.processes[0].capacity[1].capacity == parse_quantity("1200 t/year metal")
    key, sc = add_row(lib, "k", "capacities", "electrolysis",
                      {"start": "2029-01", "capacity": "1500 t/year metal"})
    assert key == "electrolysis/3" and sc.processes[0].capacity[2].start == "2029-01"
    sc = delete_row(lib, "k", "capacities", "electrolysis/3")
    assert len(sc.processes[0].capacity) == 2


def test_add_and_delete_a_contract(lib: ScenarioLibrary):
    key, sc = add_row(lib, "k", "contracts", "spot_ndpr", {
        "supplier": "spot market", "commodity": "ndpr_oxide", "site": "kmp",
        "max": "5 t/month oxide", "price": "90000 USD/t", "origin": "mined=AU; separated=AU"})
    assert key == "spot_ndpr"
    assert next(c for c in sc.contracts if c.id == "spot_ndpr").origin == {
        "mined": "AU", "separated": "AU"}
    sc = delete_row(lib, "k", "contracts", "spot_ndpr")
    assert "spot_ndpr" not in {c.id for c in sc.contracts}


def test_an_incomplete_new_row_names_the_missing_fields(lib: ScenarioLibrary):
    text = _text(lib)
    with pytest.raises(ScenarioError) as info:
        add_row(lib, "k", "contracts", "half", {"supplier": "x"})
    n = len(load_scenario("kmp").contracts)
    assert set(field_issues(info.value.issues, f"contracts[{n}]")) == {
        "commodity", "site", "max", "price"}
    assert _text(lib) == text


def test_unknown_rows_fields_and_builtins_are_refused(lib: ScenarioLibrary):
    with pytest.raises(UnknownEntityError):
        update_row(lib, "k", "contracts", "nope", {"max": "1 t/month oxide"})
    with pytest.raises(UnknownEntityError):
        update_row(lib, "k", "capacities", "electrolysis/9", {"capacity": "1 t/year metal"})
    with pytest.raises(UnknownEntityError):
        rows(lib, "k", "lanes")
    with pytest.raises(ConfigError, match="not a field of the contracts form"):
        update_row(lib, "k", "contracts", "ucore_ndpr", {"id": "x"})
    with pytest.raises(ConfigError, match="built in"):
        update_row(lib, "kmp", "contracts", "ucore_ndpr", {"max": "1 t/month oxide"})
