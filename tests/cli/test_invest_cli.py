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


def test_invest_reports_alternatives_break_even_and_checks(tmp_path: Path) -> None:
    """A stress file for tiny-invest: the console shows every new figure, --out writes
    the four tables in each format asked and invest.html."""
    stress = tmp_path / "ban.yaml"
    stress.write_text("name: ban\nscenario: tiny-invest\nseed: 5\nsamples: 3\nevents:\n"
                      "  - {id: ban, type: supplier_outage, contract: cn, start: 2027-01,\n"
                      "     per: horizon, probability: 0.5}\n", encoding="utf-8")
    r = run("invest", "tiny-invest", "--stress", str(stress), "--oos", "4", "--mrp", "2",
            "--mrp-samples", "2", "--out", str(tmp_path / "inv"), "--format", "xlsx")
    assert r.returncode == 0, r.stderr
    for text in ("Every alternative fixed in turn", "do nothing", "Break-even capex",
                 "not chosen at any capex >= 0", "Value of flexibility",
                 "Out of sample (4 fresh scenarios, seed 1005)", "Optimality gap"):
        assert text in r.stdout, text
    written = {p.name for p in (tmp_path / "inv").iterdir()}
    assert {"decisions.csv", "npv.csv", "options.csv", "values.csv", "invest.xlsx",
            "invest.html"} <= written
    assert "values.parquet" not in written


def test_invest_skips_the_expensive_parts_on_request() -> None:
    r = run("invest", "tiny-invest", "--no-breakeven", "--no-alternatives", "--oos", "0",
            "--mrp", "0", "--budget-step", "0")
    assert r.returncode == 0, r.stderr
    assert "Break-even" not in r.stdout and "alternative" not in r.stdout


def test_invest_refuses_an_unknown_format() -> None:
    r = run("invest", "tiny-invest", "--format", "json")
    assert r.returncode != 0 and "use csv, parquet or xlsx" in r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_a_risk_weight_of_one_is_refused_with_the_reason() -> None:
    r = run("invest", "tiny-invest", "--risk-weight", "1")
    assert r.returncode == 8
    assert "use at most 0.99" in r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_a_stress_set_made_for_another_scenario_is_named_not_a_traceback() -> None:
    r = run("invest", "tiny-invest", "--stress", "kmp", "--samples", "2", "--oos", "0",
            "--mrp", "0", "--no-breakeven")
    assert r.returncode == 7  # a stress input error
    out = r.stdout + r.stderr
    assert "made for scenario 'kmp') applied to 'tiny-invest'" in out
    assert "unknown process 'strip_casting'" in out and "Traceback" not in out
