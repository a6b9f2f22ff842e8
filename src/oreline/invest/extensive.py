"""The extensive form: every scenario's plan and the decisions in one MILP, one ``passModel``.

Columns: the first-stage columns ``y`` (integer), then one copy of the invest LP's columns
per scenario, then (with a risk weight) the CVaR auxiliaries ``eta`` and ``u_s``. Rows:
the first-stage rows, then one copy of the LP's rows per scenario with the decisions moved
to the left: ``A x_s - U M_s y <= u_s`` and ``A x_s - L M_s y >= l_s``, where ``M_s``
picks the columns on scenario ``s``'s path; a row whose two shifts differ and whose
lower bound is finite (a supply row with a minimum) is written twice, once per side.

Objective (minimised, so ``-objective`` is the value):
``(1 - w) sum_s p_s (c_s x_s + k . M_s y) - w (eta - sum_s p_s u_s / (1 - alpha))``
with ``u_s >= eta - NPV_s``, ``u_s >= 0``: the Rockafellar-Uryasev form of
``(1 - w) E[NPV] + w CVaR_alpha(NPV)``, CVaR being the mean NPV of the worst
``1 - alpha`` of probability.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from oreline.errors import SolverError
from oreline.invest.assemble import scatter, scenario_blocks, scenario_matrix
from oreline.invest.problem import InvestProblem

__all__ = ["ExtensiveForm", "ExtensiveSolution", "build_extensive", "load_extensive",
           "select_matrices", "solve_extensive"]


@dataclass
class ExtensiveForm:
    """The extensive form's arrays, as HiGHS receives them (minimised)."""

    matrix: sp.csc_matrix
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    integrality: np.ndarray


@dataclass
class ExtensiveSolution:
    """Decisions, objective and per-scenario NPV of the extensive form."""

    y: np.ndarray
    objective: float  # the maximised value: (1 - w) E[NPV] + w CVaR
    npv: np.ndarray  # (S,) per-scenario NPV under y
    seconds: float
    n_cols: int
    n_rows: int
    mip_gap: float


def select_matrices(problem: InvestProblem) -> list[sp.csr_matrix]:
    """``M_s`` per scenario: (types x first-stage columns), 1 where a column applies."""
    f = problem.first
    J = len(problem.types)
    out = []
    for s in range(problem.n_scenarios):
        cols = f.path.indices[f.path.indptr[s]:f.path.indptr[s + 1]]
        cols = cols[f.col_type[cols] >= 0]
        out.append(sp.csr_matrix((np.ones(len(cols)), (f.col_type[cols], cols)),
                                 shape=(J, f.n)))
    return out


def build_extensive(problem: InvestProblem, risk_weight: float = 0.0, alpha: float = 0.95,
                    fixed: np.ndarray | None = None) -> ExtensiveForm:
    """The extensive form's matrix and vectors (see the module docstring).

    Written without a sparse operation per scenario (:mod:`oreline.invest.assemble`):
    the vectors are the LP's tiled with each scenario's changes scattered in, and the
    matrix is assembled column-wise directly, a scenario's block columns being the LP
    block's CSC arrays copied with the scenario's row offset.
    """
    lp, f, exp = problem.lp, problem.first, problem.expansion
    S, n = problem.n_scenarios, lp.n_cols
    p = problem.probability
    w = float(risk_weight)
    extra = S + 1 if w > 0 else 0  # eta, then u_s
    col_lower, col_upper, cost = (np.empty(f.n + S * n + extra) for _ in range(3))
    d = problem.deltas
    body = [v[f.n:f.n + S * n] for v in (col_lower, col_upper, cost)]
    for v, base in zip(body, (lp.col_lower, lp.col_upper, lp.cost), strict=True):
        v.reshape(S, n)[:] = base
    scatter(body[0], n, [x.cols for x in d], [x.col_lower for x in d])
    scatter(body[1], n, [x.cols for x in d], [x.col_upper for x in d])
    scatter(body[2], n, [x.cost_cols for x in d], [x.cost for x in d])
    raw = body[2].reshape(S, n).copy() if w > 0 else None
    body[2].reshape(S, n)[:] *= ((1.0 - w) * p)[:, None]
    col_lower[:f.n], col_upper[:f.n] = 0.0, f.upper
    cost[:f.n] = (1.0 - w) * problem.first_cost()
    if fixed is not None:
        col_lower[:f.n] = col_upper[:f.n] = fixed
    if w > 0:  # u_s - eta + NPV_s >= 0 (rows after the blocks)
        col_lower[-extra:], col_upper[-extra:] = np.r_[-np.inf, np.zeros(S)], np.inf
        cost[-extra:] = np.r_[-w, w * p / (1.0 - alpha)]
    diff = np.asarray(abs(exp.link_upper - exp.link_lower).sum(axis=1)).ravel() > 0
    blocks, row_lower, row_upper = scenario_blocks(problem, diff, np.zeros(S if w > 0 else 0),
                                                   np.full(S if w > 0 else 0, np.inf))
    integrality = np.zeros(len(cost), dtype=np.int32)
    integrality[:f.n] = 1
    return ExtensiveForm(scenario_matrix(problem, blocks, raw), cost, col_lower, col_upper,
                         row_lower, row_upper, integrality)


def load_extensive(form: ExtensiveForm, mip_rel_gap: float = 1e-9) -> highspy.Highs:
    """A HiGHS instance holding the extensive form (one ``passModel``).

    The arrays go to HiGHS as they are (float64 / int32, contiguous): no copy on our
    side; HiGHS copies them into its own model.
    """
    a = form.matrix
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", mip_rel_gap)

    def f64(v: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(v, dtype=np.float64)

    def i32(v: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(v, dtype=np.int32)

    h.passModel(a.shape[1], a.shape[0], int(a.nnz), int(highspy.MatrixFormat.kColwise),
                int(highspy.ObjSense.kMinimize), 0.0, f64(form.cost), f64(form.col_lower),
                f64(form.col_upper), f64(form.row_lower), f64(form.row_upper),
                i32(a.indptr), i32(a.indices), f64(a.data), i32(form.integrality))
    return h


def solve_extensive(problem: InvestProblem, risk_weight: float = 0.0, alpha: float = 0.95,
                    fixed: np.ndarray | None = None, mip_rel_gap: float = 1e-9
                    ) -> ExtensiveSolution:
    """Build the extensive form, solve it with HiGHS and read back decisions and NPVs.

    Parameters
    ----------
    risk_weight, alpha
        Weight ``w`` of CVaR in the objective and its level (CVaR over the worst
        ``1 - alpha`` of scenarios).
    fixed
        First-stage decisions to hold (both bounds), e.g. to value a given decision.

    Raises
    ------
    SolverError
        When HiGHS does not reach an optimum.
    """
    t0 = time.perf_counter()
    lp, f, k = problem.lp, problem.first, problem.expansion.cost
    S, n = problem.n_scenarios, lp.n_cols
    M = select_matrices(problem)
    form = build_extensive(problem, risk_weight, alpha, fixed)
    a = form.matrix
    h = load_extensive(form, mip_rel_gap)
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise SolverError(f"the extensive form ended {h.modelStatusToString(status)}")
    x = np.asarray(h.getSolution().col_value)
    y = np.round(x[:f.n]) + 0.0  # no -0.0
    npv = np.array([-(problem.deltas[s].vectors(lp)[2] @ x[f.n + s * n:f.n + (s + 1) * n])
                    - k @ (M[s] @ y) for s in range(S)])
    gap = float(h.getInfo().mip_gap) if f.n else 0.0
    return ExtensiveSolution(y, -float(h.getInfo().objective_function_value), npv,
                             time.perf_counter() - t0, a.shape[1], a.shape[0], gap)
