"""``oreline invest`` from the command line: the decision, its value, and bad options."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.cli.test_cli import run


def test_invest_tiny_prints_the_decision_and_writes_tables(tmp_path: Path) -> None:
    r = run("invest", "tiny-invest", "--out", str(tmp_path / "inv"))
    assert r.returncode == 0, r.stderr
    assert "cell2" in r.stdout and "2027-03" in r.stdout  # decided now, in service in March
    assert "au2" not in r.stdout.split("Expected NPV")[0]
    assert "EVPI 0.0 USD" in r.stdout
    d = pd.read_csv(tmp_path / "inv" / "decisions.csv")
    assert d["option"].tolist() == ["cell2"] and d["cost_discounted"].tolist() == [22_500.0]
    npv = pd.read_csv(tmp_path / "inv" / "npv.csv")
    assert npv["npv"].tolist() == [1_053_500.0]


def test_invest_refuses_a_bad_risk_weight_without_a_traceback() -> None:
    r = run("invest", "tiny-invest", "--risk-weight", "2")
    assert r.returncode != 0
    assert "risk-weight 2.0 must be between 0 and 1" in r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_invest_on_a_scenario_without_options_says_so() -> None:
    r = run("invest", "tiny")
    assert r.returncode != 0 and "no investment options" in r.stdout + r.stderr
