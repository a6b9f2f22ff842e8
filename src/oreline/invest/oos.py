"""Out-of-sample evaluation and the multiple-replication procedure (Mak, Morton, Wood).

The candidate is what is decided *now*: the modules of every option at the first
decision month (``x``). Later decisions are recourse: on a fresh sample they are taken
again, knowing each history as the tree allows (each fresh history's own wait decision),
so a fresh problem is valued with ``x`` held and its later columns free. With one
decision month this is one LP per fresh scenario.

* **Out of sample**: ``x`` valued on ``N`` fresh scenarios (another seed): the mean NPV
  with a two-sided 95 % confidence interval ``mean +- t(0.975, N-1) s / sqrt(N)``.
* **MRP**: ``M`` replications of ``n`` fresh scenarios each; in replication ``k`` the
  gap ``G_k = v_k - f_k(x) >= 0`` between the optimum of the sampled problem and
  ``x``'s value on the same sample. ``G = mean G_k`` estimates the optimality gap of
  ``x`` (biased upward, so conservative) and ``[0, G + t(0.95, M-1) s_G / sqrt(M)]`` is
  a one-sided 95 % confidence interval on it, as mpi-sppy's MRP reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from oreline.invest.evaluate import (
    Evaluator,
    Solved,
    bounded,
    objective_value,
    resolve,
)
from oreline.invest.problem import InvestProblem
from oreline.invest.tree import build_first_stage, scenario_nodes

__all__ = ["GapEstimate", "OutOfSample", "Sampler", "gap_estimate", "out_of_sample",
           "root_decision", "value_of_root"]

#: ``sampler(n, seed)``: a fresh invest problem of ``n`` scenarios drawn with ``seed``.
Sampler = Callable[[int, int], InvestProblem]


@dataclass(frozen=True)
class OutOfSample:
    """Expected NPV of the decision on fresh scenarios, with its 95 % interval."""

    n: int
    seed: int
    npv: np.ndarray

    @property
    def mean(self) -> float:
        """Mean NPV over the fresh scenarios."""
        return float(self.npv.mean())

    @property
    def half_width(self) -> float:
        """Half-width of the two-sided 95 % confidence interval (inf for one sample)."""
        if self.n < 2:
            return float("inf")
        return float(stats.t.ppf(0.975, self.n - 1) * self.npv.std(ddof=1) / np.sqrt(self.n))


@dataclass(frozen=True)
class GapEstimate:
    """MRP: the gaps of ``M`` replications and the one-sided 95 % bound on the gap."""

    samples: int
    gaps: np.ndarray
    seeds: list[int]

    @property
    def mean(self) -> float:
        """Gap estimate ``G``."""
        return float(self.gaps.mean())

    @property
    def upper(self) -> float:
        """Upper end of the one-sided 95 % confidence interval ``[0, upper]``."""
        m = len(self.gaps)
        if m < 2:
            return float("inf")
        return self.mean + float(stats.t.ppf(0.95, m - 1) * self.gaps.std(ddof=1) / np.sqrt(m))


def root_decision(problem: InvestProblem, y: np.ndarray) -> dict[int, float]:
    """Modules per decision type decided at the first decision month."""
    f = problem.first
    return {int(j): float(y[i]) for i, j in enumerate(f.col_type)
            if j >= 0 and problem.types[j].stage == 0}


def _subset(problem: InvestProblem, idx: np.ndarray) -> InvestProblem:
    """The scenarios ``idx`` alone, with their own tree."""
    samples = [problem.samples[i] for i in idx]
    nodes = scenario_nodes(samples, problem.stages)
    first = build_first_stage(problem.scenario, problem.types, problem.expansion.capex, nodes,
                              problem.lp.net.periods)
    return replace(problem, first=first, nodes=nodes, probability=np.full(len(idx),
                                                                          1.0 / len(idx)),
                   deltas=[problem.deltas[i] for i in idx], samples=samples,
                   names=[problem.names[i] for i in idx])


def _held(problem: InvestProblem, root: dict[int, float]) -> dict[int, float]:
    f = problem.first
    return {i: root.get(int(j), 0.0) for i, j in enumerate(f.col_type)
            if j >= 0 and problem.types[j].stage == 0}


def value_of_root(problem: InvestProblem, root: dict[int, float], method: str = "extensive",
                  risk_weight: float = 0.0, alpha: float = 0.95) -> Solved:
    """``problem`` solved with the first-month decisions held at ``root``.

    With one decision month every column is held: one LP per scenario. Risk-neutral,
    the histories at the second decision month are independent once ``root`` is held,
    so each is solved on its own.
    """
    p = problem.probability
    if len(problem.stages) == 1:
        y = np.zeros(problem.first.n)
        for i, v in _held(problem, root).items():
            y[i] = v
        npv = Evaluator(problem).npv(y)
        return Solved(y, objective_value(npv, p, risk_weight, alpha), npv)
    if risk_weight > 0:
        return resolve(bounded(problem, equal=_held(problem, root)), method, risk_weight,
                       alpha)
    npv = np.zeros(problem.n_scenarios)
    for node in np.unique(problem.nodes[:, 1]):
        idx = np.flatnonzero(problem.nodes[:, 1] == node)
        sub = _subset(problem, idx)
        npv[idx] = resolve(bounded(sub, equal=_held(sub, root)), method).npv
    return Solved(np.zeros(0), float(p @ npv), npv)


def out_of_sample(sampler: Sampler, root: dict[int, float], n: int, seed: int,
                  method: str = "extensive") -> OutOfSample:
    """The first-month decision ``root`` valued on ``n`` fresh scenarios (risk-neutral)."""
    fresh = sampler(n, seed)
    return OutOfSample(n, seed, value_of_root(fresh, root, method).npv)


def gap_estimate(sampler: Sampler, root: dict[int, float], replications: int, n: int,
                 seed: int, method: str = "extensive", risk_weight: float = 0.0,
                 alpha: float = 0.95, say: Callable[[str], None] | None = None
                 ) -> GapEstimate:
    """MRP with ``replications`` samples of ``n`` scenarios (seeds ``seed``, ``seed + 1``..)."""
    gaps, seeds = [], []
    for k in range(replications):
        if say is not None:
            say(f"optimality gap: replication {k + 1} of {replications}")
        q = sampler(n, seed + k)
        best = resolve(q, method, risk_weight, alpha).objective
        held = value_of_root(q, root, method, risk_weight, alpha).objective
        gaps.append(max(0.0, best - held))
        seeds.append(seed + k)
    return GapEstimate(n, np.array(gaps), seeds)
