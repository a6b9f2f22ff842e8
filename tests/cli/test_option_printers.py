"""``oreline scenario show`` and ``validate`` on a scenario with investment options."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-c", "from oreline.cli import main; main()"]
FULL = Path(__file__).resolve().parents[1] / "scenario" / "data" / "full.yaml"
BAD = Path(__file__).resolve().parents[1] / "scenario" / "malformed" / "option_requires_cycle.yaml"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300,
                          env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": "/tmp"})


def test_show_lists_every_part_of_an_option() -> None:
    res = run("scenario", "show", str(FULL))
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "options (3)" in out
    for text in ("capex 12.5 M EUR per module, up to 3, fixed opex 450 k EUR/year",
                 "decide 2026-06 to 2027-03, lead time 4 months, ramp 25% 60% 100%, "
                 "lifetime 15 years",
                 "adds electrolysis +100 t/quarter metal", "adds casting +500 t/year alloy",
                 "delivers 2.5 t oxide ndpr_oxide to plant [mined=AU, separated=MY]",
                 "requires au_deal", "source: vendor quote", "enables contract au",
                 "excludes cn_buffer", "capex 1.5 M AUD", "fixed opex 2 k EUR/month",
                 "investment: end effect annuity; decisions at 2026-03, 2026-09, 2027-03; "
                 "budget 30 M EUR in total; budget 15 M EUR per year; "
                 "fx 1 AUD = 0.61 EUR, 1 USD = 0.925 EUR"):
        assert text in out, text


def test_show_default_window_ends_lead_time_before_the_horizon() -> None:
    res = run("scenario", "show", "tiny-invest")
    assert res.returncode == 0, res.stderr
    assert "decide 2027-01 to 2027-10, lead time 2 months" in res.stdout  # 2027-12 less 2
    assert "investment: end effect salvage; decisions at 2027-01 only" in res.stdout
    assert "options" not in run("scenario", "show", "tiny").stdout


def test_validate_counts_options_and_reports_their_errors() -> None:
    res = run("scenario", "validate", "tiny-invest")
    assert res.returncode == 0 and "2 investment options" in res.stdout
    res = run("scenario", "validate", str(BAD))
    assert res.returncode == 2
    assert "option_requires_cycle.yaml:24: options[0].requires: requires forms a cycle: " \
           "a -> b -> c -> a" in res.stderr
    assert "Traceback" not in res.stderr
