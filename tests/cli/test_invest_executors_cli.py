"""``oreline invest`` with an executor, a gap and a progress bar over Benders iterations."""

from __future__ import annotations

from tests.cli.test_cli import run


def test_invest_benders_on_a_pool_prints_iterations_and_the_same_decision() -> None:
    r = run("invest", "tiny-invest", "--method", "benders", "--executor", "pool",
            "--workers", "2", "--gap", "0.01")
    assert r.returncode == 0, r.stderr
    assert "Benders iteration 1" in r.stdout and "gap" in r.stdout
    assert "benders, 2 iterations on pool" in r.stdout
    assert "cell2" in r.stdout and "EVPI 0.0 USD" in r.stdout


def test_invest_refuses_a_gap_outside_zero_one() -> None:
    r = run("invest", "tiny-invest", "--gap", "1.5")
    assert r.returncode == 8
    assert "--gap 1.5 must be between 0 and 1" in r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_invest_no_values_skips_them() -> None:
    r = run("invest", "tiny-invest", "--no-values")
    assert r.returncode == 0, r.stderr
    assert "cell2" in r.stdout and "EVPI" not in r.stdout
