"""L-shaped (Benders) decomposition, multi-cut, with a MILP master and live LP subproblems.

The master is a small MILP over the decisions; one warm-started live LP solves the
scenarios' plans.

The plan of scenario ``s`` costs ``V_s(z)`` (minimised) where ``z = M_s y`` are the
modules per decision type on its path; ``z`` only moves row bounds, so ``V_s`` is convex
and piecewise linear in ``z`` and its row duals give a subgradient: a row at its lower
bound moves with ``L``, one at its upper bound with ``U`` (an equality row has
``L = U``). Each solve adds the cut ``theta_s <= -V_s(z_k) - g_k . (M_s y - z_k)``.
The plan's shortfall variables keep every subproblem feasible, so no feasibility cuts are
needed (complete recourse).

The master maximises ``(1 - w) sum_s p_s (theta_s - k . M_s y) + w (eta - sum_s p_s u_s
/ (1 - alpha))`` with ``u_s >= eta - theta_s + k . M_s y``; it stops when its bound and
the best decision's evaluated value are within ``gap``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp

from oreline.errors import SolverError
from oreline.invest.extensive import select_matrices
from oreline.invest.problem import InvestProblem
from oreline.solve import LiveModel

__all__ = ["BendersSolution", "Subproblems", "solve_benders"]


class Subproblems:
    """One live LP of the invest model; scenarios are solved in turn from its base basis."""

    def __init__(self, problem: InvestProblem) -> None:
        self.problem = problem
        self.live = LiveModel(copy.copy(problem.lp))
        self.live.solve()
        self.basis = self.live.highs.getBasis()

    def solve(self, s: int, y: np.ndarray) -> tuple[float, np.ndarray]:
        """Plan cost ``V_s`` of scenario ``s`` under ``y`` and its subgradient in ``z``."""
        p, lp, live = self.problem, self.problem.lp, self.live
        cl, cu, c, rl, ru = p.scenario_vectors(s, y)
        every_col = np.arange(lp.n_cols)
        every_row = np.arange(lp.n_rows)
        live.set_col_bounds(every_col, cl, cu)
        live.set_col_costs(every_col, c)
        live.set_row_bounds(every_row, rl, ru)
        live.highs.setBasis(self.basis)
        sol = live.solve()
        dual = np.asarray(live.highs.getSolution().row_dual)
        exp = p.expansion
        grad = exp.link_lower.T @ np.where(dual > 0, dual, 0.0) + \
            exp.link_upper.T @ np.where(dual < 0, dual, 0.0)
        return float(sol.objective), np.asarray(grad)


@dataclass
class BendersSolution:
    """Decisions, bounds and per-scenario NPV of a Benders run."""

    y: np.ndarray
    objective: float  # evaluated value of y: (1 - w) E[NPV] + w CVaR
    bound: float  # master's upper bound
    npv: np.ndarray
    iterations: int
    cuts: int
    seconds: float
    history: list[tuple[float, float]] = field(default_factory=list)

    @property
    def gap(self) -> float:
        """Relative gap between the bound and the best evaluated value."""
        return (self.bound - self.objective) / max(1.0, abs(self.objective))


def _cvar_value(npv: np.ndarray, p: np.ndarray, w: float, alpha: float) -> float:
    """``(1 - w) E[NPV] + w CVaR_alpha(NPV)`` of a discrete distribution."""
    mean = float(p @ npv)
    if w == 0:
        return mean
    order = np.argsort(npv)
    tail = 1.0 - alpha
    take = np.minimum(p[order], np.maximum(0.0, tail - np.concatenate([[0.0],
                                                                       np.cumsum(p[order])[:-1]])))
    cvar = float(take @ npv[order]) / tail
    return (1.0 - w) * mean + w * cvar


def solve_benders(problem: InvestProblem, risk_weight: float = 0.0, alpha: float = 0.95,
                  gap: float = 1e-7, max_iterations: int = 200,
                  progress: Callable[[int, float, float], None] | None = None
                  ) -> BendersSolution:
    """Solve the invest problem by multi-cut Benders, in this process.

    Raises
    ------
    SolverError
        When the master or a subproblem fails.
    """
    t0 = time.perf_counter()
    f, exp = problem.first, problem.expansion
    S, p, w, k = problem.n_scenarios, problem.probability, float(risk_weight), exp.cost
    M = select_matrices(problem)
    subs = Subproblems(problem)
    cuts: list[tuple[int, float, np.ndarray]] = []  # scenario, constant, coefficients on y
    best_y, best_val, best_npv = np.zeros(f.n), -np.inf, np.zeros(S)
    bound = np.inf
    history = []
    y = np.zeros(f.n)
    it = 0
    for it in range(1, max_iterations + 1):
        npv = np.zeros(S)
        for s in range(S):
            v, g = subs.solve(s, y)
            z = M[s] @ y
            coef = -(g @ M[s].toarray())
            cuts.append((s, -v + float(g @ z), coef))
            npv[s] = -v - float(k @ z)
        val = _cvar_value(npv, p, w, alpha)
        if val > best_val:
            best_y, best_val, best_npv = y.copy(), val, npv
        y, bound = _master(problem, M, cuts, w, alpha)
        history.append((bound, best_val))
        if progress is not None:
            progress(it, bound, best_val)
        if bound - best_val <= gap * max(1.0, abs(best_val)):
            break
    return BendersSolution(best_y, best_val, bound, best_npv, it, len(cuts),
                           time.perf_counter() - t0, history)


def _master(problem: InvestProblem, M: list[sp.csr_matrix],
            cuts: list[tuple[int, float, np.ndarray]], w: float, alpha: float
            ) -> tuple[np.ndarray, float]:
    """Solve the master MILP over ``[y, theta, eta, u]``; return ``y`` and its bound."""
    f, S, p, k = problem.first, problem.n_scenarios, problem.probability, problem.expansion.cost
    n = f.n
    ncol = n + S + 1 + S
    cost_y = np.zeros(n)
    for s in range(S):
        cost_y += (1.0 - w) * p[s] * (k @ M[s].toarray())
    cost = np.concatenate([cost_y, -(1.0 - w) * p, [-w], w * p / (1.0 - alpha)])
    rows = [sp.hstack([f.rows, sp.csr_matrix((f.rows.shape[0], ncol - n))])]
    lo, up = [f.row_lower], [f.row_upper]
    # cuts: theta_s - coef . y <= const
    cut_rows = np.zeros((len(cuts), ncol))
    for i, (s, _const, coef) in enumerate(cuts):
        cut_rows[i, :n] = -coef
        cut_rows[i, n + s] = 1.0
    rows.append(sp.csr_matrix(cut_rows))
    lo.append(np.full(len(cuts), -np.inf))
    up.append(np.array([c for _, c, _ in cuts]))
    if w > 0:  # u_s - eta + theta_s - k M_s y >= 0
        risk = np.zeros((S, ncol))
        for s in range(S):
            risk[s, :n] = -(k @ M[s].toarray())
            risk[s, n + s] = 1.0
            risk[s, n + S] = -1.0
            risk[s, n + S + 1 + s] = 1.0
        rows.append(sp.csr_matrix(risk))
        lo.append(np.zeros(S))
        up.append(np.full(S, np.inf))
    a = sp.vstack(rows, format="csc")
    inf = highspy.kHighsInf
    col_lower = np.concatenate([np.zeros(n), np.full(S + 1, -inf), np.zeros(S)])
    col_upper = np.concatenate([f.upper, np.full(S + 1 + S, inf)])
    if w == 0:
        col_upper[n + S + 1:] = 0.0
        col_lower[n + S] = col_upper[n + S] = 0.0
    integrality = np.concatenate([np.ones(n, np.int32), np.zeros(ncol - n, np.int32)])
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.passModel(ncol, a.shape[0], int(a.nnz), int(highspy.MatrixFormat.kColwise),
                int(highspy.ObjSense.kMinimize), 0.0, cost, np.clip(col_lower, -inf, inf),
                np.clip(col_upper, -inf, inf), np.clip(np.concatenate(lo), -inf, inf),
                np.clip(np.concatenate(up), -inf, inf), a.indptr.astype(np.int32),
                a.indices.astype(np.int32), a.data.astype(np.float64), integrality)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise SolverError("the Benders master ended "
                          f"{h.modelStatusToString(h.getModelStatus())}")
    x = np.asarray(h.getSolution().col_value)
    return np.round(x[:n]) + 0.0, -float(h.getInfo().objective_function_value)
