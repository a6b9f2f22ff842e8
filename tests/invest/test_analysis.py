"""analyse(): every analysis of a run, its tables, and the risk figures."""

from __future__ import annotations

import numpy as np
import pytest

from oreline.invest.analysis import AnalysisSettings, analyse, analysis_tables
from oreline.invest.extensive import solve_extensive
from oreline.invest.runner import InvestRun
from oreline.scenario import load_scenario
from oreline.stress.events import StressFile
from tests.invest.test_values import _case

BAN = StressFile.model_validate({
    "name": "tiny-ban", "scenario": "tiny-invest", "seed": 5, "samples": 4,
    "events": [{"id": "ban", "type": "supplier_outage", "contract": "cn",
                "start": "2027-01", "per": "horizon", "probability": 0.5,
                "fraction": {"dist": "uniform", "low": 0.5, "high": 1.0}}]})


def _run(weight: float = 0.0, alpha: float = 0.5) -> InvestRun:
    p = _case(150, 4.0, 8.0, [0.0, 1.0], False)
    sol = solve_extensive(p, weight, alpha)
    return InvestRun(p, "extensive", sol.y, sol.objective, sol.npv, None, 0.0)


def test_tables_hold_every_figure() -> None:
    run = _run()
    a = analyse(run, load_scenario("tiny-invest"), BAN,
                settings=AnalysisSettings(oos=6, mrp=2, mrp_samples=3))
    t = analysis_tables(a)
    assert set(t) == {"decisions", "npv", "options", "values"}
    opts = t["options"].set_index("alternative")
    assert opts.loc["cell2", "break_even_capex"] == pytest.approx(5_445_000.0, rel=1e-7)
    assert opts.loc["au2", "regret_max"] == pytest.approx(451_166.667, abs=0.01)
    assert len(t["npv"]) == 2
    assert t["npv"]["npv:au2"].tolist() == pytest.approx([602_333.333, 402_983.333], abs=0.01)
    figures = t["values"].set_index("figure")["value"]
    assert figures["value of flexibility"] == 0.0
    assert a.oos is not None and a.oos.n == 6 and a.oos.seed == 5 + 1_000
    assert a.gap is not None and len(a.gap.gaps) == 2 and a.gap.seeds == [2_005, 2_006]
    assert figures["optimality gap estimate"] >= 0
    assert a.risk is None and "risk premium" not in figures
    assert list(a.timings) == ["alternatives", "break-even", "budget", "out of sample",
                               "optimality gap"]


def test_risk_figures_compare_with_the_risk_neutral_decision() -> None:
    """w = 0.9, alpha = 0.5 weighs mostly the worse of the two scenarios; in the hand
    table that is 'both' again (837,983 against 402,983 for au2 alone), so nothing is
    paid for the hedge: premium 0, delta CVaR 0, no cost of hedging. (At w = 1 the
    better scenario's plan has no weight at all, so its NPV is not optimised.)"""
    a = analyse(_run(0.9, 0.5), load_scenario("tiny-invest"), None, risk_weight=0.9,
                alpha=0.5, settings=AnalysisSettings(alternatives=False, breakeven=False))
    assert a.risk is not None
    assert a.risk.premium == pytest.approx(0.0, abs=1e-6)
    assert a.risk.cvar_risk == pytest.approx(837_983.333, abs=0.01)
    assert a.risk.cost_of_hedging is None


def test_a_risk_averse_decision_pays_a_premium_for_a_better_tail() -> None:
    """Cell2 at 400 k with the ban in one of three scenarios: the properties hold
    whatever the decisions are: premium >= 0 and delta CVaR >= 0."""
    p = _case(400, 3.0, 6.0, [0.0, 0.5, 1.0], False)
    for w in (0.3, 0.9):
        sol = solve_extensive(p, w, 0.6)
        run = InvestRun(p, "extensive", sol.y, sol.objective, sol.npv, None, 0.0)
        a = analyse(run, load_scenario("tiny-invest"), None, risk_weight=w, alpha=0.6,
                    settings=AnalysisSettings(alternatives=False, breakeven=False))
        assert a.risk is not None
        assert a.risk.premium >= -1e-6 and a.risk.delta_cvar >= -1e-6
        assert np.isfinite(a.risk.mean_neutral)


def test_regret_comes_from_the_runs_wait_and_see_values_beyond_the_limit() -> None:
    """The run's values hold WS per scenario (Benders in lockstep): equal to one MILP per
    scenario (1,053,500 and 837,983.33 by hand), and used for regret even when the
    scenarios exceed the limit that one MILP each would need."""
    from oreline.invest.alternatives import scenario_best
    from oreline.invest.values import stochastic_values

    p = _case(150, 4.0, 8.0, [0.0, 1.0], False)
    sol = solve_extensive(p)
    values = stochastic_values(p, (sol.objective, sol.y))
    assert values.ws_scenarios is not None
    assert values.ws_scenarios == pytest.approx(scenario_best(p), rel=1e-8)
    assert values.ws == pytest.approx(float(p.probability @ values.ws_scenarios))
    run = InvestRun(p, "extensive", sol.y, sol.objective, sol.npv, values, 0.0)
    none = AnalysisSettings(regret_limit=0, breakeven=False, budget=False, oos=0, mrp=0)
    a = analyse(run, load_scenario("tiny-invest"), None, settings=none)
    au2 = {alt.key: alt for alt in a.alternatives}["au2"]
    assert au2.regret == pytest.approx([451_166.667, 435_000.0], abs=0.01)
    without = analyse(InvestRun(p, "extensive", sol.y, sol.objective, sol.npv, None, 0.0),
                      load_scenario("tiny-invest"), None, settings=none)
    assert np.isnan({alt.key: alt for alt in without.alternatives}["au2"].regret).all()
