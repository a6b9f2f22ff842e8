"""Shadow values of the capex budgets: what one more million of budget is worth.

The decisions are integer, so a budget has no dual price; instead each budget (the
total, and each year's) is raised by a step and the problem solved again. The shadow
value is the gain in the objective (expected NPV when risk-neutral) per 1 M of the
budget's own currency, over that step; a budget whose step gains nothing is "not
binding". Lumpy options make the figure depend on the step: a budget 5 M short of the
next option shows nothing for a 1 M step and the whole gain for a 5 M one, so the step
is reported with the value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from oreline.invest.evaluate import resolve
from oreline.invest.executors import Evaluator as Subproblems
from oreline.invest.expansion import to_currency
from oreline.invest.problem import InvestProblem
from oreline.scenario.investment import Money

__all__ = ["DEFAULT_STEP", "BudgetValue", "budget_values"]

#: Default step: this share of the budget.
DEFAULT_STEP = 0.10


@dataclass(frozen=True)
class BudgetValue:
    """Gain from raising one budget by ``step`` (in the budget's currency)."""

    budget: str  # "total" or a year
    limit: float
    step: float
    currency: str
    gain: float  # objective gain, scenario currency

    @property
    def binding(self) -> bool:
        """Whether the step gains anything (beyond solver noise)."""
        return self.gain > 1e-6 * max(1.0, abs(self.limit))

    @property
    def per_million(self) -> float:
        """Gain (scenario currency) per 1 M of the budget's currency, over the step."""
        return self.gain / (self.step / 1e6) if self.binding else 0.0


def budget_values(problem: InvestProblem, objective: float, method: str = "extensive",
                  risk_weight: float = 0.0, alpha: float = 0.95,
                  step: float = DEFAULT_STEP,
                  say: Callable[[str], None] | None = None,
                  subproblems: Subproblems | None = None) -> list[BudgetValue]:
    """Raise each budget by ``step`` (a share of it) in turn and re-solve.

    ``objective`` is the run's optimal value, the baseline of every gain.
    """
    sc = problem.scenario
    inv = sc.investment
    f = problem.first
    names = np.array(f.row_names)
    out = []
    groups: list[tuple[str, Money]] = []
    if inv.budget_total is not None:
        groups.append(("total", inv.budget_total))
    if inv.budget_per_year is not None:
        groups += [(str(n).split(":", 1)[1], inv.budget_per_year)
                   for n in dict.fromkeys(names) if str(n).startswith("budget:")
                   and str(n) != "budget:total"]
    for key, money in groups:
        if say is not None:
            say(f"budget shadow value: {key}")
        raise_by = step * money.amount
        in_scenario = to_currency(Money(raise_by, money.currency), sc.currency, inv.fx,
                                  "investment budget")
        rows = names == f"budget:{key}"
        first = replace(f, row_upper=np.where(rows, f.row_upper + in_scenario, f.row_upper))
        again = resolve(replace(problem, first=first), method, risk_weight, alpha, subproblems)
        out.append(BudgetValue(key, money.amount, raise_by, money.currency,
                               max(0.0, again.objective - objective)))
    return out
