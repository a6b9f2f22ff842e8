"""Hostile files on the command line: a message and the documented exit code, no traceback;
user text with square brackets is printed as written, not eaten as Rich markup."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from oreline.scenario import builtin_path

CLI = [sys.executable, "-c", "from oreline.cli import main; main()"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120,
                          env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": "/tmp"})


def _bomb() -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "name: bomb\n" + "\n".join(lines) + "\n"


HOSTILE: dict[str, tuple[str, bytes]] = {
    # name: (file name, bytes)
    "latin1": ("latin1.yaml", b"name: x\ndescription: caf\xe9\n"),
    "laughs": ("laughs.yaml", _bomb().encode()),
    "deep": ("deep.yaml", b"name: x\nd: " + b"[" * 10_000 + b"]" * 10_000 + b"\n"),
    "not_a_workbook": ("plant.xlsx", b"id,name\nc1,C\n"),
}


@pytest.mark.parametrize("command", ["scenario validate", "plan"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_scenario_exits_2_with_the_file_and_a_fix(tmp_path: Path, command: str,
                                                          name: str) -> None:
    file_name, data = HOSTILE[name]
    path = tmp_path / file_name
    path.write_bytes(data)
    res = run(*command.split(), str(path))
    assert res.returncode == 2, res.stderr  # ScenarioError (docs/plan.md, errors.py)
    assert "Traceback" not in res.stderr + res.stdout
    assert str(path) in res.stderr and "(fix: " in res.stderr


def test_empty_customers_table_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "sc"
    assert run("scenario", "export", "tiny", "--format", "csv", "--out",
               str(folder)).returncode == 0
    (folder / "customers.csv").write_bytes(b"")
    res = run("scenario", "validate", str(folder))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "the 'customers' table is empty" in res.stderr
    assert "id,name,group,site" in res.stderr  # the header the file must start with


def test_hostile_stress_file_exits_7(tmp_path: Path) -> None:
    path = tmp_path / "stress.yaml"
    path.write_text(_bomb().replace("name: bomb", "name: b\nscenario: tiny"), encoding="utf-8")
    res = run("stress", str(path), "--executor", "inprocess")
    assert res.returncode == 7, res.stderr
    assert "Traceback" not in res.stderr and str(path) in res.stderr


def test_scenario_show_prints_contract_origins() -> None:
    res = run("scenario", "show", "kmp")
    assert res.returncode == 0, res.stderr
    lynas = [line for line in res.stdout.splitlines() if "lynas_ndpr" in line]
    assert lynas and "[mined=AU, separated=MY]" in lynas[0]
    ucore = [line for line in res.stdout.splitlines() if "ucore_ndpr" in line]
    assert ucore and "[mined=unknown, separated=US]" in ucore[0]


def test_names_with_brackets_print_as_written(tmp_path: Path) -> None:
    """A name or description holding Rich markup is text, in show, validate and plan."""
    text = builtin_path("tiny").read_text(encoding="utf-8")
    text = text.replace("name: tiny", 'name: "tiny [bold]x[/bold]"', 1)
    text = text.replace("description: One plant", "description: '[mined=AU]' #", 1)
    path = tmp_path / "marked.yaml"
    path.write_text(text, encoding="utf-8")
    show = run("scenario", "show", str(path))
    assert show.returncode == 0, show.stderr
    assert "tiny [bold]x[/bold]: [mined=AU]" in show.stdout
    valid = run("scenario", "validate", str(path))
    assert "valid: tiny [bold]x[/bold] (" in valid.stdout
    plan = run("plan", str(path))
    assert plan.returncode == 0, plan.stderr
    assert "Plan tiny [bold]x[/bold]:" in plan.stdout
