"""The stochastic-programming values of an invest problem (maximisation signs).

* RP, the recourse problem: the best expected value when deciding under uncertainty;
* WS, wait-and-see: the mean over scenarios of the best value knowing the scenario;
* EEV: the expected value of the decision that is best for the mean scenario (every LP
  vector averaged over the scenarios);
* EVPI = WS - RP (what perfect information is worth), VSS = RP - EEV (what solving the
  stochastic problem is worth over planning for the average).

``WS >= RP >= EEV`` always holds for a maximisation; the tests check it on generated
cases.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from oreline.invest.extensive import solve_extensive
from oreline.invest.problem import InvestProblem, ScenarioDelta
from oreline.invest.tree import build_first_stage

__all__ = ["Values", "mean_problem", "single_scenario", "stochastic_values"]


@dataclass(frozen=True)
class Values:
    """RP, WS, EEV and the differences, in the scenario's currency."""

    rp: float
    ws: float
    eev: float
    y_rp: np.ndarray
    y_ev: np.ndarray

    @property
    def evpi(self) -> float:
        """Expected value of perfect information, ``WS - RP``."""
        return self.ws - self.rp

    @property
    def vss(self) -> float:
        """Value of the stochastic solution, ``RP - EEV``."""
        return self.rp - self.eev


def _restricted(problem: InvestProblem, deltas: list[ScenarioDelta]) -> InvestProblem:
    """The same problem over other scenario vectors, each its own history (one node)."""
    S = len(deltas)
    nodes = np.zeros((S, len(problem.stages)), dtype=np.int64)
    first = build_first_stage(problem.scenario, problem.types, problem.expansion.capex, nodes,
                              problem.lp.net.periods)
    return replace(problem, first=first, nodes=nodes, probability=np.full(S, 1.0 / S),
                   deltas=deltas, samples=[()] * S, names=[f"s{i}" for i in range(S)])


def single_scenario(problem: InvestProblem, s: int) -> InvestProblem:
    """Scenario ``s`` alone, as if it were certain."""
    return _restricted(problem, [problem.deltas[s]])


def mean_problem(problem: InvestProblem) -> InvestProblem:
    """The expected-value problem: every LP vector averaged over the scenarios."""
    lp = problem.lp
    vecs = [d.vectors(lp) for d in problem.deltas]
    mean = [np.average(np.array([v[i] for v in vecs]), axis=0, weights=problem.probability)
            for i in range(5)]
    return _restricted(problem, [ScenarioDelta.between(lp, *mean)])


def _spread(problem: InvestProblem, one: InvestProblem, y_one: np.ndarray) -> np.ndarray:
    """Decisions of a one-node problem applied at every node of ``problem``."""
    by_type = {int(j): y_one[i] for i, j in enumerate(one.first.col_type) if j >= 0}
    f = problem.first
    y = np.zeros(f.n)
    for i, j in enumerate(f.col_type):
        if j >= 0:
            y[i] = by_type.get(int(j), 0.0)
        else:  # an indicator follows its build column on the same node
            same = (f.col_node == f.col_node[i]) & (f.col_type >= 0)
            y[i] = 1.0 if np.any(y[same] > 0) else 0.0
    return y


def stochastic_values(problem: InvestProblem) -> Values:
    """RP, WS and EEV by the extensive form (risk-neutral)."""
    rp = solve_extensive(problem)
    ws = float(sum(problem.probability[s] * solve_extensive(single_scenario(problem, s)).objective
                   for s in range(problem.n_scenarios)))
    ev = mean_problem(problem)
    y_ev = solve_extensive(ev).y
    eev = solve_extensive(problem, fixed=_spread(problem, ev, y_ev)).objective
    return Values(rp.objective, ws, eev, rp.y, y_ev)
