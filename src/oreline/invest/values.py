"""The stochastic-programming values of an invest problem (maximisation signs).

* RP, the recourse problem: the best expected value when deciding under uncertainty;
* WS, wait-and-see: the mean over scenarios of the best value knowing the scenario;
* EEV: the expected value of the decision that is best for the mean scenario (every LP
  vector averaged over the scenarios);
* EVPI = WS - RP (what perfect information is worth), VSS = RP - EEV (what solving the
  stochastic problem is worth over planning for the average).

``WS >= RP >= EEV`` always holds for a maximisation; the tests check it on generated
cases.

How they are computed, cheaply enough for hundreds of scenarios: RP is the run's own
answer (or a Benders run); WS solves each scenario's one-node problem by Benders, all
scenarios in lockstep on the run's evaluator, each master starting from the cuts the RP
run already made for that scenario (valid for it whatever the tree), and the RP run's
evaluated points as its first incumbents; EEV is one small MILP (the mean scenario) and
one pass of the subproblems at its decision.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from oreline.invest.benders import CutPool, make_master, solve_benders
from oreline.invest.executors import Evaluator, SubproblemData, make_evaluator
from oreline.invest.extensive import select_matrices, solve_extensive
from oreline.invest.problem import InvestProblem, ScenarioDelta
from oreline.invest.tree import build_first_stage
from oreline.invest.treemaster import BendersMaster, DecisionSpace

__all__ = ["Values", "mean_problem", "single_scenario", "stochastic_values", "wait_and_see"]

#: Relative gap to which WS and the RP of the values are solved.
VALUES_GAP = 1e-9


@dataclass(frozen=True)
class Values:
    """RP, WS, EEV and the differences, in the scenario's currency."""

    rp: float
    ws: float
    eev: float
    y_rp: np.ndarray
    y_ev: np.ndarray
    ws_scenarios: np.ndarray | None = None  # best NPV of each scenario knowing it

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
    ind = np.flatnonzero(f.col_type < 0)  # an indicator says its build column builds
    y[ind] = (y[f.follows[ind]] > 0).astype(float)
    return y


def wait_and_see(problem: InvestProblem, evaluator: Evaluator, pool: CutPool | None = None,
                 gap: float = VALUES_GAP, max_iterations: int = 100) -> np.ndarray:
    """Best NPV of every scenario knowing it, by one-node Benders run in lockstep.

    Each scenario's master starts from ``pool``'s cuts of that scenario and its best
    evaluated point; every iteration evaluates the unconverged scenarios together.
    """
    S, k = problem.n_scenarios, problem.expansion.cost
    one = single_scenario(problem, 0)  # the one-node first stage is the same for all
    M1 = select_matrices(one)[0]
    space = DecisionSpace.of(one)
    masters = [make_master(one, [M1], mip_gap=max(1e-9, gap / 10), space=space)
               for _ in range(S)]
    best = np.full(S, -np.inf)
    if pool is not None and len(pool):
        const, slope = np.array(pool.const), np.array(pool.slope)
        point = np.array(pool.point)
        for s, idx in pool.by_scenario().items():
            masters[s].add_cuts(np.zeros(len(idx), dtype=np.int64), const[idx], slope[idx])
            at = const[idx] - np.einsum("ij,ij->i", slope[idx], point[idx]) - point[idx] @ k
            best[s] = float(at.max())
    active = np.flatnonzero(~np.isfinite(best))  # no cuts yet: start from building nothing
    Za = np.zeros((len(active), len(problem.types)))
    open_ = np.arange(S)
    for _ in range(max_iterations):
        if len(active):
            _add(masters, best, active, Za, evaluator.evaluate(active, Za), k)
        Z, keep = [], []
        for s in open_.tolist():
            y1, bound = masters[s].solve()
            if bound - best[s] > gap * max(1.0, abs(best[s])):
                keep.append(s)
                Z.append(M1 @ y1)
        active = open_ = np.array(keep, dtype=np.int64)
        if not len(active):
            break
        Za = np.array(Z).reshape(len(active), len(problem.types))
    return best


def _add(masters: list[BendersMaster], best: np.ndarray, active: np.ndarray, Za: np.ndarray,
         answer: tuple[np.ndarray, np.ndarray], k: np.ndarray) -> None:
    """Record the evaluated values and add one cut to each evaluated scenario's master."""
    v, g = answer
    best[active] = np.maximum(best[active], -v - Za @ k)
    for i, s in enumerate(active.tolist()):
        masters[s].add_cuts(np.zeros(1, dtype=np.int64), np.array([-v[i] + g[i] @ Za[i]]),
                            g[i:i + 1])


def stochastic_values(problem: InvestProblem, rp: tuple[float, np.ndarray] | None = None,
                      pool: CutPool | None = None, evaluator: Evaluator | None = None
                      ) -> Values:
    """RP, WS and EEV (risk-neutral).

    Parameters
    ----------
    rp
        The risk-neutral RP value and decision if already known (else solved by Benders).
    pool
        Cuts of an earlier Benders run on ``problem`` (any risk weight): WS starts from them.
    evaluator
        Where subproblems are solved; default in this process.
    """
    ev = evaluator or make_evaluator(SubproblemData.of(problem))
    try:
        if rp is None:
            ben = solve_benders(problem, gap=VALUES_GAP, evaluator=ev)
            rp, pool = (ben.objective, ben.y), ben.pool
        ws_scenarios = wait_and_see(problem, ev, pool)
        ws = float(problem.probability @ ws_scenarios)
        ev_problem = mean_problem(problem)
        y_ev = solve_extensive(ev_problem).y
        y = _spread(problem, ev_problem, y_ev)
        Z = problem.first.modules(y, len(problem.types))
        v, _ = ev.evaluate(np.arange(problem.n_scenarios), Z)
        eev = float(problem.probability @ (-v - Z @ problem.expansion.cost))
    finally:
        if evaluator is None:
            ev.close()
    return Values(rp[0], ws, eev, rp[1], y_ev, ws_scenarios)
