"""Every option fixed in turn: its NPV distribution and regret; the value of flexibility.

The alternatives compared with the recommended decision:

* *do nothing*: every first-stage column at 0;
* *<option> alone*: the option (with the options it requires, one module each) decided
  at its first decision stage in every history, with the number of modules that gives
  the best expected NPV; its ``within_limits`` flag says whether it respects the
  first-stage rows (budgets, exclusions);
* with a later decision month, *commit now* (the best decision taking everything at the
  first decision month: later-stage columns held at 0) and *wait* (nothing at the first
  month, the rest free).

The **regret** of an alternative in scenario ``s`` is the best NPV knowing ``s``
(the wait-and-see value of ``s``) less the alternative's NPV in ``s``; it is never
negative. The **value of flexibility** is RP (with the wait stages) less the best value
when every decision is taken at the first decision month.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from oreline.invest.evaluate import (
    Distribution,
    Evaluator,
    bounded,
    distribution,
    objective_value,
    resolve,
)
from oreline.invest.executors import Evaluator as Subproblems
from oreline.invest.extensive import solve_extensive
from oreline.invest.problem import InvestProblem
from oreline.invest.values import single_scenario

__all__ = ["Alternative", "Flexibility", "alternatives", "scenario_best"]


@dataclass(frozen=True)
class Alternative:
    """One decision held fixed, with its NPV per scenario and regret per scenario."""

    key: str  # "recommended", "nothing", "now", "wait" or an option id
    label: str
    y: np.ndarray
    npv: np.ndarray
    regret: np.ndarray
    distribution: Distribution
    within_limits: bool = True


@dataclass(frozen=True)
class Flexibility:
    """RP with the wait stage(s) against RP with every decision at the first month."""

    wait: float
    now: float

    @property
    def value(self) -> float:
        """What waiting is worth: ``wait - now`` (0 with one decision month)."""
        return self.wait - self.now


def scenario_best(problem: InvestProblem) -> np.ndarray:
    """Best NPV of each scenario knowing it (one MILP per scenario)."""
    return np.array([solve_extensive(single_scenario(problem, s)).objective
                     for s in range(problem.n_scenarios)])


def _alone(problem: InvestProblem, oi: int) -> list[np.ndarray]:
    """Decisions for option ``oi`` alone with 1..modules modules (prerequisites: 1)."""
    sc, f = problem.scenario, problem.first
    ids = {o.id: i for i, o in enumerate(sc.options)}
    need, todo = {oi}, [oi]
    while todo:
        for req in sc.options[todo.pop()].requires:
            if ids[req] not in need:
                need.add(ids[req])
                todo.append(ids[req])
    base = np.zeros(f.n)
    for other in need - {oi}:
        base += _columns(problem, other)
    first = _columns(problem, oi)
    if not first.any():
        return []
    return [np.minimum(base + k * first, f.upper) for k in range(1, sc.options[oi].modules + 1)]


def _columns(problem: InvestProblem, oi: int) -> np.ndarray:
    """Indicator of option ``oi``'s build columns at its first stage (every node)."""
    f, types = problem.first, problem.types
    stages = [t.stage for t in types if t.option == oi]
    out = np.zeros(f.n)
    if not stages:
        return out
    for i, j in enumerate(f.col_type):
        if j >= 0 and types[j].option == oi and types[j].stage == min(stages):
            out[i] = 1.0
    return out


def _within(problem: InvestProblem, y: np.ndarray) -> bool:
    f = problem.first
    act = f.rows @ y
    tol = 1e-6 * np.maximum(1.0, np.abs(act))
    return bool(np.all(act <= f.row_upper + tol) and np.all(act >= f.row_lower - tol))


def alternatives(problem: InvestProblem, y_rp: np.ndarray, best: np.ndarray,
                 method: str = "extensive", risk_weight: float = 0.0, alpha: float = 0.95,
                 say: Callable[[str], None] | None = None,
                 subproblems: Subproblems | None = None
                 ) -> tuple[list[Alternative], Flexibility]:
    """The recommended decision, do nothing, each option alone, commit now and wait.

    Parameters
    ----------
    y_rp
        The recommended decision (the run's).
    best
        Best NPV of each scenario knowing it (:func:`scenario_best`), for the regret.
    subproblems
        The run's evaluator: the alternatives are valued and re-solved on it.
    """
    say = say or (lambda _: None)
    ev = Evaluator(problem, subproblems)
    p, f = problem.probability, problem.first

    def make(key: str, label: str, y: np.ndarray, npv: np.ndarray | None = None
             ) -> Alternative:
        v = ev.npv(y) if npv is None else npv
        return Alternative(key, label, y, v, np.maximum(best - v, 0.0),
                           distribution(v, p, alpha), _within(problem, y))

    say("alternatives: the recommended decision and doing nothing")
    out = [make("recommended", "recommended", y_rp), make("nothing", "do nothing",
                                                                  np.zeros(f.n))]
    for oi, o in enumerate(problem.scenario.options):
        say(f"alternatives: {o.id} alone")
        tried = [make(o.id, f"{o.id} alone", y) for y in _alone(problem, oi)]
        if tried:
            out.append(max(tried, key=lambda a: a.distribution.mean))
    rp = objective_value(out[0].npv, p, risk_weight, alpha)
    if len(problem.stages) == 1:
        return out, Flexibility(rp, rp)
    later = np.array([j >= 0 and problem.types[j].stage > 0 for j in f.col_type])
    root = np.array([j >= 0 and problem.types[j].stage == 0 for j in f.col_type])
    say("alternatives: commit everything now")
    now = resolve(bounded(problem, upper=np.where(later, 0.0, np.inf)), method, risk_weight,
                  alpha, subproblems)
    out.append(make("now", "commit now", now.y, now.npv))
    say("alternatives: wait for the later decision month(s)")
    wait = resolve(bounded(problem, upper=np.where(root, 0.0, np.inf)), method, risk_weight,
                   alpha, subproblems)
    out.append(make("wait", "wait", wait.y, wait.npv))
    return out, Flexibility(rp, now.objective)
