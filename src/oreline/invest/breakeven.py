"""Break-even capex: the capex per module at which an option stops (or starts) being chosen.

Capex is the least certain input, so for each option we scale its capex by ``lambda``
(its discounted cost and its use of the budgets both scale; fixed opex does not) and
find where the decision changes. Let ``V_out`` be the best value without the option
(independent of ``lambda``) and ``V_in(lambda)`` the best value with the option built
in some history. ``V_in`` never rises with ``lambda`` (each decision's value falls and
the budgets tighten), so the option is chosen exactly below the crossing
``lambda* = sup {lambda : V_in(lambda) > V_out}``.

The search is Newton's method from the left on ``V_in``: at ``lambda_k`` the optimal
decision ``y_k`` with the option gives a lower bound ``h_k(lambda)`` on ``V_in``
(``y_k`` valued at the new capex, an exact re-pricing of its NPVs, no solve) as long
as ``y_k`` fits the budgets. The next point is where ``h_k`` meets ``V_out`` (or
``y_k`` stops fitting); one MILP there either confirms ``V_in = V_out`` (the crossing)
or gives a better ``y``. Each step is a MILP, usually one to three per option. The
result is exact up to the MIP gap; where a budget ends the search the crossing is
known to :data:`BUDGET_STEP` of the scale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from oreline.errors import SolverError
from oreline.invest.evaluate import Solved, bounded, objective_value, resolve
from oreline.invest.executors import Evaluator as Subproblems
from oreline.invest.expansion import capex_share
from oreline.invest.problem import InvestProblem
from oreline.invest.tree import build_first_stage

__all__ = ["BUDGET_STEP", "MAX_SCALE", "BreakEven", "break_even", "break_evens"]

#: Largest capex scale searched: beyond it an option is "chosen at any capex".
MAX_SCALE = 1000.0
#: Relative step past the capex at which a decision stops fitting a budget.
BUDGET_STEP = 1e-3


@dataclass(frozen=True)
class BreakEven:
    """Break-even of one option; ``scale`` is ``None`` when no crossing exists."""

    option: str
    chosen: bool  # chosen at the scenario's capex
    capex: float  # per module, in the option's currency
    currency: str
    scale: float | None
    solves: int
    by_budget: bool = False  # the crossing is where the decision stops fitting a budget

    @property
    def break_even(self) -> float | None:
        """The break-even capex per module in the option's currency (None: none)."""
        return None if self.scale is None else self.scale * self.capex

    def describe(self) -> str:
        """In words, e.g. ``stops being chosen above 5.4 M USD``."""
        if self.scale is None:
            return (f"chosen at any capex up to {MAX_SCALE:,.0f}x" if self.chosen
                    else "not chosen at any capex >= 0")
        amount = _money(self.scale * self.capex, self.currency)
        why = " (where it stops fitting the budget)" if self.by_budget else ""
        return (f"stops being chosen above {amount}{why}" if self.chosen
                else f"starts being chosen below {amount}{why}")


def _money(x: float, cur: str) -> str:
    return f"{x / 1e6:,.2f} M {cur}" if abs(x) >= 1e5 else f"{x:,.0f} {cur}"


class _Option:
    """One option's columns, cost slope and the problem at any capex scale."""

    def __init__(self, problem: InvestProblem, oi: int) -> None:
        self.problem, self.oi = problem, oi
        sc, exp, net = problem.scenario, problem.expansion, problem.lp.net
        f = problem.first
        self.mine = np.array([t.option == oi for t in problem.types])
        self.cols = np.flatnonzero((f.col_type >= 0) & self.mine[np.maximum(f.col_type, 0)])
        slope = np.zeros(len(problem.types))
        for j in np.flatnonzero(self.mine):
            slope[j] = exp.capex[j] * capex_share(sc.options[oi], problem.types[j],
                                                   sc.discount_rate, net.months,
                                                   net.n_periods, sc.investment.end_effect)
        self.slope = slope  # d cost / d lambda per module, per decision type
        zero, one = self.scaled(0.0).first, problem.first
        self.rows0, self.drows = zero.rows, one.rows - zero.rows

    def scaled(self, lam: float) -> InvestProblem:
        p, exp = self.problem, self.problem.expansion
        capex = np.where(self.mine, exp.capex * lam, exp.capex)
        cost = exp.cost + (lam - 1.0) * self.slope
        first = build_first_stage(p.scenario, p.types, capex, p.nodes, p.lp.net.periods)
        return replace(p, expansion=replace(exp, cost=cost, capex=capex), first=first)

    def slopes(self, y: np.ndarray) -> np.ndarray:
        """``(S,)`` d NPV_s / d lambda of decision ``y`` (minus its capex slope)."""
        p = self.problem
        return np.array([-(self.slope @ p.first.types_of(s, y, len(p.types)))
                         for s in range(p.n_scenarios)])

    def fits_until(self, y: np.ndarray) -> float:
        """Largest scale at which ``y`` still fits the first-stage rows (budgets)."""
        base, d = self.rows0 @ y, self.drows @ y
        up = self.problem.first.row_upper
        lim = np.full(len(up), np.inf)
        grow = d > 1e-12
        lim[grow] = (up[grow] - base[grow]) / d[grow]
        return float(lim.min()) if len(lim) else np.inf


def _crossing(npv: np.ndarray, slope: np.ndarray, lam0: float, target: float,
              value: Callable[[np.ndarray], float]) -> float | None:
    """Smallest ``lambda > lam0`` where ``value(npv + (lambda - lam0) slope)`` falls to target."""
    if value(npv + (MAX_SCALE - lam0) * slope) > target:
        return None
    lo, hi = lam0, MAX_SCALE
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if value(npv + (mid - lam0) * slope) > target:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * max(1.0, hi):
            break
    return hi


def break_even(problem: InvestProblem, oi: int, y: np.ndarray, npv: np.ndarray,
               objective: float, method: str = "extensive", risk_weight: float = 0.0,
               alpha: float = 0.95, subproblems: Subproblems | None = None) -> BreakEven:
    """Break-even capex of option ``oi`` given the run's decision ``y`` (NPV ``npv``).

    Re-costing an option leaves the subproblems as they are, so Benders re-solves run
    on ``subproblems`` (the run's evaluator) when given.
    """
    opt = _Option(problem, oi)
    o = problem.scenario.options[oi]
    p = problem.probability

    def value(v: np.ndarray) -> float:
        return objective_value(v, p, risk_weight, alpha)

    def with_option(lam: float) -> Solved | None:
        try:
            return resolve(bounded(opt.scaled(lam), at_least=[(opt.cols, 1.0)]), method,
                           risk_weight, alpha, subproblems)
        except SolverError:  # the option cannot be built at this capex (budgets)
            return None

    chosen = bool(np.any(y[opt.cols] > 0.5))
    out = BreakEven(o.id, chosen, o.capex.amount, o.capex.currency, None, 0)
    if not len(opt.cols):
        return out
    solves = 0
    if chosen:
        v_out = resolve(bounded(problem, upper=np.where(np.isin(np.arange(problem.first.n),
                                                                  opt.cols), 0.0, np.inf)),
                        method, risk_weight, alpha, subproblems).objective
        lam, cur = 1.0, Solved(y, objective, npv)
        solves += 1
    else:
        v_out, lam = objective, 0.0
        first = with_option(0.0)
        solves += 1
        if first is None or first.objective <= v_out + _tol(v_out):
            return replace(out, solves=solves)
        cur = first
    for _ in range(50):
        cross = _crossing(cur.npv, opt.slopes(cur.y), lam, v_out, value)
        fits = opt.fits_until(cur.y)
        if cross is None and fits >= MAX_SCALE:
            return replace(out, solves=solves)
        by_budget = cross is None or fits < cross
        nxt = fits * (1.0 + BUDGET_STEP) if cross is None or by_budget else cross
        trial = with_option(nxt)
        solves += 1
        if trial is None or trial.objective <= v_out + _tol(v_out):
            return replace(out, scale=fits if by_budget else nxt, solves=solves,
                           by_budget=by_budget)
        lam, cur = nxt, trial
    return replace(out, scale=lam, solves=solves)


def _tol(v: float) -> float:
    return 1e-6 * max(1.0, abs(v))


def break_evens(problem: InvestProblem, y: np.ndarray, npv: np.ndarray, objective: float,
                method: str = "extensive", risk_weight: float = 0.0, alpha: float = 0.95,
                say: Callable[[str], None] | None = None,
                subproblems: Subproblems | None = None) -> list[BreakEven]:
    """:func:`break_even` of every option."""
    out = []
    for oi, o in enumerate(problem.scenario.options):
        if say is not None:
            say(f"break-even capex of {o.id}")
        out.append(break_even(problem, oi, y, npv, objective, method, risk_weight, alpha,
                              subproblems))
    return out
