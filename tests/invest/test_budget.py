"""Budget shadow values by re-solving with the budget raised, on the hand case."""

from __future__ import annotations

import pytest

from oreline.invest import build_problem
from oreline.invest.budget import budget_values
from oreline.invest.extensive import solve_extensive
from oreline.invest.problem import InvestProblem
from oreline.scenario.investment import InvestmentSettings
from tests.invest.test_values import _case


def _budgeted(**investment: object) -> InvestProblem:
    p = _case(150, 4.0, 8.0, [0.0, 1.0], False)
    sc = p.scenario.model_copy(update={
        "investment": InvestmentSettings.model_validate(investment)})
    return build_problem(sc, samples=p.samples)


def test_a_binding_budget_is_worth_the_option_it_lets_in() -> None:
    """160 k fits cell2 (150 k) or au2 (20 k), not both (170 k): au2 alone is best
    (502,658.33). 10 k more lets both in (943,908.33): +441,250 per 10 k, 44.125 M per
    1 M of budget."""
    p = _budgeted(budget_total="160 k USD")
    sol = solve_extensive(p)
    assert sol.objective == pytest.approx(502_658.333, abs=0.01)
    [v] = budget_values(p, sol.objective, step=10_000 / 160_000)
    assert v.binding and v.budget == "total" and v.currency == "USD"
    assert v.gain == pytest.approx(441_250.0, abs=0.01)
    assert v.per_million == pytest.approx(44_125_000.0, rel=1e-7)


def test_a_loose_budget_is_not_binding_and_converts_currency() -> None:
    """1 M AUD at 0.65 USD is 650 k USD: both options fit, another 10 % gains nothing."""
    p = _budgeted(budget_total="1 M AUD", fx={"AUD": 0.65})
    sol = solve_extensive(p)
    [v] = budget_values(p, sol.objective)
    assert not v.binding and v.per_million == 0.0
    assert v.step == pytest.approx(100_000.0) and v.currency == "AUD"


def test_yearly_budgets_are_valued_one_by_one() -> None:
    """A yearly budget of 160 k AUD (104 k USD at 0.65): cell2 never fits, au2 alone is
    best; the 2027 budget raised by 75 % (280 k AUD, 182 k USD) lets both in (170 k)."""
    p = _budgeted(budget_per_year="160 k AUD", fx={"AUD": 0.65})
    sol = solve_extensive(p)
    [v] = budget_values(p, sol.objective, step=0.75)
    assert v.budget == "2027" and v.binding
    assert v.gain == pytest.approx(943_908.333 - 502_658.333, abs=0.01)
