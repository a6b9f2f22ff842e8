"""The plan summary names the scheduled arrivals and every stock target not met."""

from __future__ import annotations

from pathlib import Path

import pytest

from oreline.cli.console import console
from oreline.cli.printers import print_plan
from oreline.planner import run_plan
from oreline.scenario import load_scenario
from tests.model.test_opening_state import BASE, TARGET


def _summary(tmp_path: Path, text: str) -> str:
    path = tmp_path / "opening.yaml"
    path.write_text(text, encoding="utf-8")
    with console.capture() as cap:
        print_plan(run_plan(load_scenario(path)))
    return cap.get()


@pytest.mark.parametrize(("penalty", "line"), [
    (500, "Stock target reserve (strategic, metal at plant) not met in 1 period(s): up to "
          "3.0 t below, penalty 1,500.0 USD"),
    (2500, "Stock targets: all 1 met"),
])
def test_summary_says_whether_targets_are_met(tmp_path: Path, penalty: int, line: str) -> None:
    out = _summary(tmp_path, BASE + TARGET.replace("PENALTY", str(penalty)))
    assert line in out
    assert "Scheduled arrivals: 1 in transit (6.0 t), 1 open order (4.0 t)" in out


def test_no_targets_no_target_line(tmp_path: Path) -> None:
    assert "Stock target" not in _summary(tmp_path, BASE)
