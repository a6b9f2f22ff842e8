"""Export round trips (YAML, CSV folder, Excel) and atomic writes."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pydantic import BaseModel

from oreline.errors import ConfigError
from oreline.scenario import Scenario, builtin_names, export_scenario, load_scenario, writers
from oreline.scenario.readers import TABLES
from oreline.scenario.schema import Policy
from oreline.units import Price, Quantity

DATA = Path(__file__).parent / "data"
FULL = DATA / "full.yaml"
SOURCES = [*builtin_names(), str(FULL)]
TARGETS = {"yaml": "out.yaml", "csv": "out", "xlsx": "out.xlsx"}


def _export(sc: Scenario, tmp_path: Path, fmt: str) -> Path:
    return export_scenario(sc, tmp_path / TARGETS[fmt], fmt)


@pytest.mark.parametrize("fmt", ["yaml", "csv", "xlsx"])
@pytest.mark.parametrize("source", SOURCES, ids=lambda s: Path(s).stem)
def test_round_trip(source: str, fmt: str, tmp_path: Path) -> None:
    original = load_scenario(source)
    out = _export(original, tmp_path, fmt)
    again = load_scenario(out)
    assert again == original
    # and a second export of the re-read scenario is byte-for-byte the same file
    if fmt == "yaml":
        second = export_scenario(again, tmp_path / "second.yaml")
        assert second.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["yaml", "csv", "xlsx"])
def test_round_trip_across_formats(fmt: str, tmp_path: Path) -> None:
    """YAML -> CSV -> Excel -> YAML keeps the scenario unchanged."""
    original = load_scenario(FULL)
    sc = original
    for step, kind in enumerate([fmt, "csv", "xlsx", "yaml"]):
        sc = load_scenario(export_scenario(sc, tmp_path / f"{step}{TARGETS[kind]}", kind))
    assert sc == original


def _non_default_fields(model: BaseModel, seen: dict[str, set[str]]) -> None:
    name = type(model).__name__
    for field, info in type(model).model_fields.items():
        value = getattr(model, field)
        default = info.get_default(call_default_factory=True)
        if value != default:
            seen.setdefault(name, set()).add(field)
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, BaseModel):
                _non_default_fields(item, seen)


def _all_fields(model: type[BaseModel], out: dict[str, set[str]]) -> None:
    out[model.__name__] = set(model.model_fields)
    for info in model.model_fields.values():
        for arg in [info.annotation, *getattr(info.annotation, "__args__", ())]:
            if isinstance(arg, type) and issubclass(arg, BaseModel) and arg.__name__ not in out:
                _all_fields(arg, out)


def test_full_fixture_sets_every_field() -> None:
    """The round trip of ``full.yaml`` covers the whole schema, new fields included."""
    seen: dict[str, set[str]] = {}
    _non_default_fields(load_scenario(FULL), seen)
    expected: dict[str, set[str]] = {}
    _all_fields(Scenario, expected)
    expected["Scenario"].discard("extends")  # resolved by the reader, never in a loaded model
    missing = {m: sorted(f - seen.get(m, set())) for m, f in expected.items()
               if f - seen.get(m, set())}
    assert missing == {}, f"add these fields to {FULL.name} with non-default values"


SMALL = DATA / "small.yaml"


def test_yaml_is_readable(tmp_path: Path) -> None:
    text = export_scenario(load_scenario(SMALL), tmp_path / "small.yaml").read_text("utf-8")
    assert text == """\
# Scenario 'small', exported by oreline (reference: docs/scenario-format.md).
name: small
horizon: {start: 2026-01, periods: 12}
currency: USD

commodities:
  - id: oxide
    family: oxide
    compounds: {Nd2O3: 1.0}
  - id: metal
    family: metal
    elements: {Nd: 1.0}

sites:
  - id: plant
    country: KR
    role: plant
    source: illustrative

processes:
  - id: electrolysis
    site: plant
    stage: refined
    main_output: metal
    inputs: {oxide: 1.2}
    variable_cost: 8000 USD/t
    capacity:
      - {start: 2026-01, capacity: 100 t/year metal}
"""


def test_csv_layout_is_the_reader_layout(tmp_path: Path) -> None:
    out = export_scenario(load_scenario(FULL), tmp_path / "full", "csv")
    assert sorted(p.stem for p in out.iterdir()) == sorted(TABLES)
    for table, columns in TABLES.items():
        with (out / f"{table}.csv").open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == columns
    with (out / "capacity.csv").open(newline="", encoding="utf-8") as fh:
        phases = list(csv.DictReader(fh))
    assert [(p["process"], p["capacity"], p["enabled"]) for p in phases] == [
        ("electrolysis", "1300 t/year metal", ""),
        ("electrolysis", "355 t/quarter metal", "false"),
        ("casting", "0.355 t/month alloy", ""),
    ]
    with (out / "demand.csv").open(newline="", encoding="utf-8") as fh:
        assert list(csv.reader(fh))[1:] == [["eu_magnets", "2026-09", "50 t/quarter alloy"],
                                            ["eu_magnets", "2027-03", "150 t/quarter alloy"],
                                            ["jp_magnets", "2026-12", "90 t/quarter alloy"]]
    with (out / "commodities.csv").open(newline="", encoding="utf-8") as fh:
        first = next(csv.DictReader(fh))
    assert first["compounds"] == "Nd2O3=0.75; Pr6O11=0.25"
    assert first["source"] == '{"doc": "brief", "section": "6"}'


def test_xlsx_layout(tmp_path: Path) -> None:
    out = export_scenario(load_scenario(FULL), tmp_path / "full.xlsx")
    wb = load_workbook(out)
    assert wb.sheetnames == list(TABLES)
    ws = wb["contracts"]
    assert [c.value for c in ws[1]] == TABLES["contracts"]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width == len("Australian separator") + 2
    row = {h: c.value for h, c in zip(TABLES["contracts"], ws[2], strict=True)}
    assert row["lead_time"] == 2 and row["enabled"] is False  # native cell types
    assert row["max"] == "50 t/month oxide"
    scen = {r[0].value: r[1].value for r in wb["scenario"].iter_rows(min_row=2)}
    assert scen["discount_rate"] == 0.08 and scen["horizon.periods"] == 8


def test_xlsx_text_starting_with_equals_is_not_a_formula(tmp_path: Path) -> None:
    sc = load_scenario("tiny")
    sc = sc.model_copy(update={"description": "=SUM(A1:A2) is not a formula"})
    assert load_scenario(export_scenario(sc, tmp_path / "t.xlsx")) == sc


def test_format_guessed_from_path(tmp_path: Path) -> None:
    sc = load_scenario("tiny")
    assert export_scenario(sc, tmp_path / "a.yml").read_text("utf-8").startswith("# Scenario")
    assert (export_scenario(sc, tmp_path / "folder") / "scenario.csv").is_file()
    assert load_scenario(export_scenario(sc, tmp_path / "b.xlsx")) == sc
    with pytest.raises(ConfigError, match="cannot tell the format"):
        export_scenario(sc, tmp_path / "c.txt")
    with pytest.raises(ConfigError, match="unknown scenario format 'json'"):
        export_scenario(sc, tmp_path / "c.json", "json")


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("fmt", ["yaml", "csv", "xlsx"])
def test_failed_export_leaves_previous_output(fmt: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    tiny = load_scenario("tiny")
    out = _export(tiny, tmp_path, fmt)
    before = load_scenario(out)

    def broken(sc: Scenario, path: Path) -> None:
        real(sc, path)  # write everything, then fail before the rename
        raise OSError("disk full")

    real = writers._WRITERS[fmt]
    monkeypatch.setitem(writers._WRITERS, fmt, broken)
    changed = tiny.model_copy(update={"description": "changed"})
    with pytest.raises(OSError, match="disk full"):
        _export(changed, tmp_path, fmt)
    assert load_scenario(out) == before  # old output intact, new one not half-written
    assert _leftovers(tmp_path) == []  # temporary files removed


@pytest.mark.parametrize("fmt", ["yaml", "csv", "xlsx"])
def test_failed_first_export_leaves_nothing(fmt: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(sc: Scenario, path: Path) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(writers._WRITERS, fmt, broken)
    with pytest.raises(RuntimeError):
        _export(load_scenario("tiny"), tmp_path, fmt)
    assert list(tmp_path.iterdir()) == []


def test_csv_export_replaces_previous_export(tmp_path: Path) -> None:
    full, tiny = load_scenario(FULL), load_scenario("tiny")
    out = export_scenario(full, tmp_path / "sc", "csv")
    export_scenario(tiny, out, "csv")
    assert load_scenario(out) == tiny
    assert _leftovers(tmp_path) == []


def test_csv_export_refuses_a_foreign_folder(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not a scenario CSV folder"):
        export_scenario(load_scenario("tiny"), target, "csv")
    assert (target / "notes.txt").read_text(encoding="utf-8") == "keep me"
    with pytest.raises(ConfigError, match="is a folder"):
        export_scenario(load_scenario("tiny"), target, "yaml")


def test_table_layout_drift_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A schema field with no column must fail loudly, not vanish from the export."""
    narrowed: dict[str, Any] = {**TABLES, "sites": [c for c in TABLES["sites"]
                                                    if c != "holding_cost"]}
    monkeypatch.setattr(writers, "TABLES", narrowed)
    with pytest.raises(ConfigError, match=r"\['holding_cost'\] have no column in table 'sites'"):
        writers.scenario_to_tables(load_scenario(FULL))


# --------------------------------------------------------------------------- property

_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=24).map(
    str.strip).filter(lambda t: bool(t) and not (t.startswith("{") and t.endswith("}")))
_share = st.floats(min_value=0, max_value=1, allow_nan=False)
_amount = st.floats(min_value=0, max_value=1e12, allow_nan=False)


# no shrinking: each example writes three files, and shrinking one took minutes
@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_text, description=_text, site_name=_text, holding=_share, capacity=_amount,
       price=_amount, share=st.floats(min_value=1e-9, max_value=1, allow_nan=False),
       weights=st.lists(st.floats(min_value=0.01, max_value=100), min_size=12, max_size=12))
def test_round_trip_of_any_values(tmp_path: Path, name: str, description: str, site_name: str,
                                  holding: float, capacity: float, price: float, share: float,
                                  weights: list[float]) -> None:
    """Text with quotes, commas, ';', '=', unicode, and floats of any precision survive."""
    sc = load_scenario(FULL)
    site = sc.sites[0].model_copy(update={"name": site_name, "holding_cost": holding})
    proc = sc.processes[0]
    phase = proc.capacity[0].model_copy(
        update={"capacity": Quantity(capacity, "year", "metal"), "name": name})
    proc = proc.model_copy(update={"capacity": [phase, *proc.capacity[1:]],
                                   "variable_cost": Price(price, "EUR")})
    cust = sc.customers[0].model_copy(update={
        "profile": weights, "provenance": Policy(rule="crma", max_share=share)})
    sc = sc.model_copy(update={
        "description": f"{description}\n{name}", "sites": [site, *sc.sites[1:]],
        "processes": [proc, *sc.processes[1:]], "customers": [cust, *sc.customers[1:]]})
    for fmt in ("yaml", "csv", "xlsx"):
        assert load_scenario(_export(sc, tmp_path, fmt)) == sc, fmt
