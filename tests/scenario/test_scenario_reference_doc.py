"""docs/scenario-format.md is generated from the schema where it can be, and its examples load."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from oreline.scenario import Scenario, export_scenario, load_scenario
from oreline.scenario.readers import TABLES
from oreline.units import BASES

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOC = DOCS / "scenario-format.md"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_scenario_reference",
                                                  DOCS / "gen_scenario_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def test_reference_is_up_to_date() -> None:
    gen = _generator()
    assert gen.undocumented() == [], "describe these fields in the schema or in NOTES"
    assert gen.stale_notes() == []
    assert gen.render(_text()) == _text(), "run: python docs/gen_scenario_reference.py"
    assert gen.main(["--check"]) == 0


def test_every_field_and_table_is_in_the_reference() -> None:
    text = _text()
    for _, model, _ in _generator().MODELS:
        section = text.split(f"### {model.__name__}\n", 1)[1].split("\n### ", 1)[0]
        for name, info in model.model_fields.items():
            assert f"| `{info.alias or name}` |" in section, f"{model.__name__}.{name}"
    for table, columns in TABLES.items():
        assert f"| `{table}` | {', '.join(f'`{c}`' for c in columns)} |" in text
    for basis in BASES:
        assert f"`{basis}`" in text
    for policy in ("`any`", "`ex-china`", "`dfars-2027`", "`crma:0.65`"):
        assert policy in text


def test_generated_table_follows_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new schema field makes the check fail until it is described and regenerated."""
    gen = _generator()
    from pydantic import Field, create_model

    bigger = create_model("Lane", __base__=gen.schema.Lane, toll=(float, Field(default=0.0)))
    models = [(h, bigger if m is gen.schema.Lane else m, w) for h, m, w in gen.MODELS]
    monkeypatch.setattr(gen, "MODELS", models)
    assert gen.undocumented() == ["Lane.toll"]
    assert gen.main(["--check"]) == 1
    monkeypatch.setitem(gen.NOTES, "Lane.toll", "Road toll per t")
    assert "| `toll` | number | `0.0` | Road toll per t |" in gen.fields_section()
    assert gen.render(_text()) != _text()


def _yaml_examples() -> list[str]:
    blocks = re.findall(r"```yaml\n(.*?)```", _text(), flags=re.S)
    return [b for b in blocks if b.startswith("name:")]


def test_yaml_examples_load(tmp_path: Path) -> None:
    examples = _yaml_examples()
    assert len(examples) >= 2
    for n, block in enumerate(examples):
        path = tmp_path / f"example{n}.yaml"
        path.write_text(block, encoding="utf-8")
        sc = load_scenario(path)
        assert isinstance(sc, Scenario)
    first = load_scenario(tmp_path / "example0.yaml")
    assert first.processes[0].capacity[1].capacity.tonnes == 450.0
    delta = load_scenario(tmp_path / "example1.yaml")
    assert [c.id for c in delta.contracts] == ["au", "ucore"] and delta.horizon.periods == 24


def test_csv_example_loads_and_matches_the_yaml_one(tmp_path: Path) -> None:
    files = re.findall(r"`(\w+)\.csv`:\n\n```csv\n(.*?)```", _text(), flags=re.S)
    assert {name for name, _ in files} <= set(TABLES)
    folder = tmp_path / "first_csv"
    folder.mkdir()
    for name, body in files:
        (folder / f"{name}.csv").write_text(body, encoding="utf-8")
    sc = load_scenario(folder)
    (tmp_path / "first.yaml").write_text(_yaml_examples()[0], encoding="utf-8")
    yaml_sc = load_scenario(tmp_path / "first.yaml")
    # the two examples describe the same network; the CSV one adds names and one demand row
    assert [p.capacity for p in sc.processes] == [p.capacity for p in yaml_sc.processes]
    assert sc.contracts == yaml_sc.contracts
    assert [c.provenance for c in sc.customers] == [c.provenance for c in yaml_sc.customers]
    assert sc.customers[0].demand_by_period["2026-12"].tonnes == 5.0
    assert load_scenario(export_scenario(sc, tmp_path / "again")) == sc
