"""Shared tools of the invest analyses: value a decision, bound the decisions, solve again.

* :class:`Evaluator` values fixed decisions ``y`` by one pass of the subproblems
  (``NPV_s = -V_s(M_s y) - cost . M_s y``): no MILP, one warm LP per scenario, on the
  run's executor when it is given.
* :func:`bounded` returns the problem with first-stage columns capped or held (the
  analyses fix options by bounds, never by editing the model).
* :func:`resolve` solves a problem by the run's method and risk settings.
* :func:`distribution` summarises an NPV vector as ``oreline invest`` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from oreline.invest.benders import solve_benders
from oreline.invest.executors import Evaluator as Subproblems
from oreline.invest.executors import SubproblemData, make_evaluator
from oreline.invest.extensive import solve_extensive
from oreline.invest.problem import InvestProblem

__all__ = ["MIP_GAP", "Distribution", "Evaluator", "Solved", "bounded", "distribution",
           "objective_value", "resolve"]

#: Relative MIP gap of the analyses' re-solves (the main solve uses 1e-9).
MIP_GAP = 1e-7


@dataclass(frozen=True)
class Distribution:
    """Expected value, percentiles and CVaR of an NPV over equally likely scenarios."""

    mean: float
    p5: float
    p50: float
    p95: float
    cvar: float


def distribution(npv: np.ndarray, probability: np.ndarray, alpha: float = 0.95
                 ) -> Distribution:
    """The NPV's summary; CVaR is the mean of the worst ``1 - alpha`` of scenarios.

    Examples
    --------
    >>> d = distribution(np.arange(1.0, 21.0), np.full(20, 0.05))
    >>> d.mean, d.cvar
    (10.5, 1.0)
    """
    worst = np.sort(npv)[:max(1, round((1 - alpha) * len(npv)))]
    return Distribution(float(probability @ npv), float(np.percentile(npv, 5)),
                        float(np.percentile(npv, 50)), float(np.percentile(npv, 95)),
                        float(worst.mean()))


def objective_value(npv: np.ndarray, probability: np.ndarray, risk_weight: float,
                    alpha: float) -> float:
    """``(1 - w) E[NPV] + w CVaR_alpha(NPV)``, CVaR as the solvers linearise it."""
    mean = float(probability @ npv)
    if risk_weight == 0:
        return mean
    order = np.argsort(npv)
    tail = 1.0 - alpha
    before = np.concatenate([[0.0], np.cumsum(probability[order])[:-1]])
    take = np.minimum(probability[order], np.maximum(0.0, tail - before))
    return (1.0 - risk_weight) * mean + risk_weight * float(take @ npv[order]) / tail


class Evaluator:
    """NPV per scenario of fixed decisions: one subproblem pass, no MILP.

    ``subproblems`` is the run's evaluator (:func:`oreline.invest.executors.make_evaluator`)
    when it serves ``problem``: the pass then runs where the run's did (in this process,
    on the pool or on Dask) and recalls the points the run already solved. Otherwise the
    subproblems are solved here, each scenario warm from its own last basis.
    """

    def __init__(self, problem: InvestProblem, subproblems: Subproblems | None = None) -> None:
        self.problem = problem
        if subproblems is None or not subproblems.source.serves(problem):
            subproblems = make_evaluator(SubproblemData.of(problem))
        self.subproblems = subproblems

    def npv(self, y: np.ndarray) -> np.ndarray:
        """``(S,)`` NPV of every scenario under first-stage decisions ``y``."""
        p = self.problem
        Z = p.first.modules(y, len(p.types))
        v, _ = self.subproblems.evaluate(np.arange(p.n_scenarios), Z)
        out: np.ndarray = -v - Z @ p.expansion.cost
        return out


def bounded(problem: InvestProblem, upper: np.ndarray | None = None,
            at_least: list[tuple[np.ndarray, float]] | None = None,
            equal: dict[int, float] | None = None) -> InvestProblem:
    """The problem with first-stage columns bounded by extra first-stage rows.

    Parameters
    ----------
    upper
        New upper bounds of the columns (0 forbids a column).
    at_least
        Rows ``sum(y[cols]) >= value``, e.g. "option o is built somewhere".
    equal
        Columns held at a value (``y[col] == value``).
    """
    f = problem.first
    rows, lo, up, names = [f.rows], [f.row_lower], [f.row_upper], list(f.row_names)
    for cols, value in at_least or []:
        rows.append(sp.csr_matrix((np.ones(len(cols)), (np.zeros(len(cols), np.int64), cols)),
                                  shape=(1, f.n)))
        lo.append(np.array([value]))
        up.append(np.array([np.inf]))
        names.append("analysis:at_least")
    for col, value in (equal or {}).items():
        rows.append(sp.csr_matrix(([1.0], ([0], [col])), shape=(1, f.n)))
        lo.append(np.array([value]))
        up.append(np.array([value]))
        names.append("analysis:equal")
    first = replace(f, upper=f.upper if upper is None else np.minimum(f.upper, upper),
                    rows=sp.vstack(rows, format="csr"), row_lower=np.concatenate(lo),
                    row_upper=np.concatenate(up), row_names=names)
    return replace(problem, first=first)


@dataclass(frozen=True)
class Solved:
    """Decisions, objective and per-scenario NPV of one re-solve."""

    y: np.ndarray
    objective: float
    npv: np.ndarray


def resolve(problem: InvestProblem, method: str = "extensive", risk_weight: float = 0.0,
            alpha: float = 0.95, subproblems: Subproblems | None = None) -> Solved:
    """Solve ``problem`` by ``method`` (``extensive`` or ``benders``) with the run's risk.

    Benders solves its subproblems on ``subproblems`` (the run's evaluator) when that
    serves ``problem``, else in this process.
    """
    if method == "benders":
        ev = subproblems if subproblems is not None and subproblems.source.serves(problem) \
            else None
        ben = solve_benders(problem, risk_weight, alpha, evaluator=ev)
        return Solved(ben.y, ben.objective, ben.npv)
    ext = solve_extensive(problem, risk_weight, alpha, mip_rel_gap=MIP_GAP)
    return Solved(ext.y, ext.objective, ext.npv)
