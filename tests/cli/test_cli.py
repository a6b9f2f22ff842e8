"""The command line, end to end, in a subprocess as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

CLI = [sys.executable, "-c", "from oreline.cli import main; main()"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={"COLUMNS": "140", "PATH": "/usr/bin:/bin", "HOME": "/tmp"})


def test_plan_tiny_prints_summary_and_writes_outputs(tmp_path):
    res = run("plan", "tiny", "--out", str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    assert "Plan tiny" in res.stdout
    assert "c2" in res.stdout and "provenance" in res.stdout
    assert "electrolysis" in res.stdout
    assert "Origin class: countries per stage, mined>separated>" in res.stdout  # the legend
    out = tmp_path / "out"
    for name in ("purchases", "production", "sales", "demand", "inventory", "kpis",
                 "shadow_capacity", "element_balance", "origin_classes"):
        assert (out / f"{name}.csv").exists(), name
        assert (out / f"{name}.parquet").exists(), name
    assert (out / "plan.xlsx").exists()
    assert (out / "report.html").stat().st_size > 1_000_000  # plotly.js inlined
    kpis = pd.read_csv(out / "kpis.csv").set_index("kpi")["value"]
    assert kpis["objective_discounted"] == pytest.approx(151_500)
    sheets = pd.read_excel(out / "plan.xlsx", sheet_name=None)
    assert {"sales", "purchases", "shadow_provenance", "origin_classes"} <= set(sheets)
    classes = pd.read_csv(out / "origin_classes.csv", keep_default_na=False).set_index(
        "origin_class")
    assert classes.loc["CN>CN>KR", ["mined", "refined", "dfars_from_2027"]].tolist() == [
        "CN", "KR", False]
    assert "origin_classes" in (out / "report.html").read_text(encoding="utf-8")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out-")]


def test_plan_kmp_default_scenario():
    res = run("plan")
    assert res.returncode == 0, res.stderr
    assert "Plan kmp" in res.stdout
    assert "usar_defence" in res.stdout
    assert "DFARS-clean ndfeb_alloy" in res.stdout


def test_scenario_list_show_validate():
    res = run("scenario", "list")
    assert res.returncode == 0 and "kmp" in res.stdout and "tiny" in res.stdout
    res = run("scenario", "show", "kmp")
    assert res.returncode == 0 and "strip_casting" in res.stdout and "ucore_ndpr" in res.stdout
    res = run("scenario", "validate", "kmp")
    assert res.returncode == 0 and "valid" in res.stdout


@pytest.mark.parametrize("fmt", ["yaml", "csv", "xlsx"])
def test_scenario_export_then_plan(tmp_path, fmt):
    target = tmp_path / ("kmp" if fmt == "csv" else f"kmp.{fmt}")
    res = run("scenario", "export", "kmp", "--format", fmt, "--out", str(target))
    assert res.returncode == 0, res.stderr
    res = run("plan", str(target), "--quiet")
    assert res.returncode == 0, res.stderr


def test_bad_scenario_gives_message_not_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    text = "extends: tiny\nname: bad\ncustomers:\n  - id: c1\n    demand: 6 t/month oxide\n"
    bad.write_text(text, encoding="utf-8")
    res = run("plan", str(bad))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert f"{bad}:5" in res.stderr
    assert "metal" in res.stderr  # the fix names the right basis


def test_missing_file_and_bad_option():
    res = run("plan", "no-such-scenario")
    assert res.returncode == 2
    assert "no such file" in res.stderr and "Traceback" not in res.stderr
    res = run("scenario", "export", "tiny", "--format", "pdf")
    assert res.returncode != 0 and "Traceback" not in res.stderr


def test_unwritable_out_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    res = run("plan", "tiny", "--out", str(blocker / "sub"))
    assert res.returncode == 8
    assert "Traceback" not in res.stderr and "--out" in res.stderr


def test_out_refuses_a_folder_of_other_files_and_never_mixes_two_runs(tmp_path):
    mine = tmp_path / "project"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    res = run("plan", "tiny", "--out", str(mine))
    assert res.returncode == 8 and "already holds 1 file(s) Oreline did not write" in res.stderr
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]  # nothing written
    res = run("plan", "tiny", "--out", "", cwd=mine)  # --out "" is the current folder
    assert res.returncode == 8 and "Traceback" not in res.stderr
    out = tmp_path / "out"
    assert run("plan", "tiny", "--out", str(out)).returncode == 0
    assert (out / "report.html").exists()
    res = run("plan", "tiny", "--no-report", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert not (out / "report.html").exists()  # the last run's report is not left behind
    assert (out / "kpis.csv").exists()


def test_scenario_show_marks_disabled_contracts_and_omits_empty_origins():
    res = run("scenario", "show", "kmp")
    assert res.returncode == 0, res.stderr
    dubbo = [line for line in res.stdout.splitlines() if "dubbo_ndpr" in line]
    assert dubbo and dubbo[0].rstrip().rstrip("│").rstrip().endswith("(off)")
    iron = [line for line in res.stdout.splitlines() if "iron ≤" in line]
    assert iron and "[]" not in iron[0]


def test_plan_demand_switch():
    market = str(Path(__file__).parents[1] / "network" / "data" / "market.yaml")
    firm = run("plan", market, "--demand", "firm")
    assert firm.returncode == 0, firm.stderr
    assert "Customers (demand: firm" in firm.stdout
    assert "48.0 t firm + 0.0 t expected from enquiries" in firm.stdout
    assert "48.0 t of enquiry volume left in the pipeline" in firm.stdout
    expected = run("plan", market)
    assert "48.0 t firm + 20.0 t expected from enquiries; 2.0 t unqualified" in expected.stdout
    assert "e1 (enquiry)" in expected.stdout
    assert "28.0 t of enquiry volume not expected to convert" in expected.stdout
    every = run("plan", market, "--demand", "all")
    assert "48.0 t firm + 48.0 t expected" in every.stdout
    bad = run("plan", market, "--demand", "likely")
    assert bad.returncode == 2 and "likely" in bad.stderr
