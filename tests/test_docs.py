"""Docs stay true to the code: every command and option is documented; Quickstart = CI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

from oreline.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> dict[str, object]:
    group = typer.main.get_command(app)
    return group.commands  # type: ignore[attr-defined]


@pytest.mark.parametrize(("command", "doc"), [("plan", "docs/plan.md"),
                                               ("stress", "docs/stress.md"),
                                               ("invest", "docs/invest.md")])
def test_every_option_is_documented(command, doc):
    text = (ROOT / doc).read_text(encoding="utf-8")
    cmd = _commands()[command]
    for param in cmd.params:  # type: ignore[attr-defined]
        for opt in param.opts:
            if opt.startswith("--") and opt != "--help":
                assert opt in text, f"{opt} of `oreline {command}` is not in {doc}"


def test_scenario_subcommands_are_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    group = _commands()["scenario"]
    for name in group.commands:  # type: ignore[attr-defined]
        assert name in readme


def test_quickstart_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S)
    quick = [b.strip() for b in blocks[:2]]
    assert len(quick) == 2
    assert "oreline plan" in quick[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert quick[1] in ci


def _documented_tables() -> dict[str, list[str]]:
    """Table name -> columns, from the output-tables block of docs/plan.md."""
    text = (ROOT / "docs" / "plan.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- output-tables:start -->\n(.*?)<!-- output-tables:end -->",
                      text, flags=re.S)
    assert block is not None, "the output table list is gone from docs/plan.md"
    tables: dict[str, list[str]] = {}
    for line in block.group(1).splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        tables[cells[0].strip("`")] = [c.strip() for c in cells[1].split(",")]
    return tables


def test_plan_output_columns_are_documented(tmp_path):
    import pandas as pd

    from oreline.planner import run_plan
    from oreline.report.export import write_outputs

    write_outputs(run_plan("kmp"), tmp_path / "out", report=False)
    written = {p.stem: list(pd.read_parquet(p).columns)
               for p in sorted((tmp_path / "out").glob("*.parquet"))}
    documented = _documented_tables()
    assert sorted(written) == sorted(documented), "tables written vs docs/plan.md"
    for name, cols in written.items():
        assert cols == documented[name], (
            f"{name}: written {cols}, docs/plan.md lists {documented[name]}")


def test_every_error_class_and_exit_code_is_in_the_architecture_error_list():
    from oreline import errors

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Errors", 1)[1].split("\n## ", 1)[0]
    classes = [getattr(errors, name) for name in errors.__all__]
    for cls in classes:
        if isinstance(cls, type) and issubclass(cls, errors.OrelineError) and (
                cls is not errors.OrelineError):
            assert f"`{cls.__name__}`" in section, f"{cls.__name__} is not in the error list"
            assert f"({cls.exit_code})" in section, f"exit {cls.exit_code} is not listed"
            assert f"{cls.__name__} " in (errors.__doc__ or ""), "missing from errors.py tree"
