"""The analyses on the run's own evaluator: the same figures as in this process, the points
the run solved recalled, and the workers stopped by ``run.close()``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from oreline.invest.analysis import AnalysisSettings, analyse
from oreline.invest.breakeven import _Option
from oreline.invest.evaluate import Evaluator, bounded
from oreline.invest.executors import SubproblemData
from oreline.invest.oos import _subset
from oreline.invest.runner import run_invest
from oreline.scenario import load_scenario
from tests.invest.test_analysis import BAN
from tests.invest.test_executors import _problem

SETTINGS = AnalysisSettings(oos=0, mrp=0)


def test_a_problem_bounded_or_recosted_has_the_same_subproblems() -> None:
    p = _problem()
    data = SubproblemData.of(p)
    assert data.serves(p)
    assert data.serves(bounded(p, upper=np.zeros(p.first.n)))
    assert data.serves(_Option(p, 0).scaled(2.0))  # capex scaled: subproblems unchanged
    assert not data.serves(_subset(p, np.array([0, 2])))  # other scenarios
    assert not data.serves(_problem())  # an equal problem built again: not the same LP


@pytest.mark.parametrize("executor", ["in-process", "pool"])
def test_analyses_on_the_kept_evaluator_equal_those_made_alone(executor: str,
                                                               tmp_path: Path) -> None:
    """tiny-invest over the ban set, Benders: the analyses on the run's evaluator give
    the figures of the analyses re-solving everything in this process, and the run's
    points are recalled rather than solved again."""
    sc = load_scenario("tiny-invest")
    stress = tmp_path / "ban.yaml"
    stress.write_text(yaml.safe_dump(BAN.model_dump(mode="json", exclude_none=True)))
    run = run_invest(sc, stress, samples=4, method="benders", values=False, executor=executor,
                     workers=2, keep_evaluator=True)
    assert run.evaluator is not None and run.evaluator.name == executor
    try:
        before = run.evaluator.solves
        # the run evaluated its decision and building nothing: both recalled, not solved
        Evaluator(run.problem, run.evaluator).npv(run.y)
        Evaluator(run.problem, run.evaluator).npv(np.zeros(run.problem.first.n))
        assert run.evaluator.solves == before
        shared = analyse(run, sc, BAN, settings=SETTINGS)
        assert run.evaluator.solves > before  # the analyses solved on it
    finally:
        run.close()
    assert run.evaluator is None
    alone_run = run_invest(sc, stress, samples=4, method="benders", values=False)
    assert alone_run.evaluator is None  # closed by run_invest
    alone = analyse(alone_run, sc, BAN, settings=SETTINGS)
    for a, b in zip(shared.alternatives, alone.alternatives, strict=True):
        assert a.key == b.key
        assert a.npv == pytest.approx(b.npv, rel=1e-9, abs=1e-6)
    for a, b in zip(shared.break_evens, alone.break_evens, strict=True):
        assert (a.break_even is None) == (b.break_even is None)
        if a.break_even is not None:
            assert a.break_even == pytest.approx(b.break_even, rel=1e-6)
