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
    """The extensive form's matrix and vectors (see the module docstring)."""
    lp, f, exp = problem.lp, problem.first, problem.expansion
    S, n = problem.n_scenarios, lp.n_cols
    p = problem.probability
    w = float(risk_weight)
    M = select_matrices(problem)
    diff = np.asarray(abs(exp.link_upper - exp.link_lower).sum(axis=1)).ravel() > 0
    blocks_a, cols_l, cols_u, costs, rl, ru, link = [], [], [], [], [], [], []
    for s in range(S):
        cl, cu, c, lo, up = problem.deltas[s].vectors(lp)
        twice = np.flatnonzero(diff & np.isfinite(lo))
        a_s = sp.vstack([lp.matrix, lp.matrix[twice]], format="csr")
        upper_link = -(exp.link_upper @ M[s])
        lower_link = -(exp.link_lower @ M[s])
        row_lo = np.concatenate([np.where(diff, -np.inf, lo), lo[twice]])
        row_up = np.concatenate([up, np.full(len(twice), np.inf)])
        link.append(sp.vstack([upper_link, lower_link[twice]], format="csr"))
        blocks_a.append(a_s)
        cols_l.append(cl)
        cols_u.append(cu)
        costs.append((1.0 - w) * p[s] * c)
        rl.append(row_lo)
        ru.append(row_up)
    k = exp.cost
    y_cost = (1.0 - w) * problem.first_cost()
    big = sp.block_diag(blocks_a, format="csr")
    linkm = sp.vstack(link, format="csr")
    top = sp.hstack([f.rows, sp.csr_matrix((f.rows.shape[0], S * n))], format="csr")
    body = sp.hstack([linkm, big], format="csr")
    parts = [top, body]
    col_lower = np.concatenate([np.zeros(f.n), *cols_l])
    col_upper = np.concatenate([f.upper, *cols_u])
    cost = np.concatenate([y_cost, *costs])
    row_lower = np.concatenate([f.row_lower, *rl])
    row_upper = np.concatenate([f.row_upper, *ru])
    if fixed is not None:
        col_lower[:f.n] = col_upper[:f.n] = fixed
    integrality = np.concatenate([np.ones(f.n, dtype=np.int32), np.zeros(S * n, np.int32)])
    if w > 0:
        # u_s - eta + NPV_s >= 0, NPV_s = -c_s x_s - k . M_s y
        rows_c = []
        for s in range(S):
            c_s = problem.deltas[s].vectors(lp)[2]
            row = np.zeros(f.n + S * n)
            row[:f.n] = -(k @ M[s].toarray())
            row[f.n + s * n:f.n + (s + 1) * n] = -c_s
            rows_c.append(row)
        dense = sp.csr_matrix(np.array(rows_c))
        aux = sp.hstack([sp.csr_matrix(-np.ones((S, 1))), sp.identity(S, format="csr")])
        for i, prt in enumerate(parts):
            parts[i] = sp.hstack([prt, sp.csr_matrix((prt.shape[0], S + 1))], format="csr")
        parts.append(sp.hstack([dense, aux], format="csr"))
        col_lower = np.concatenate([col_lower, [-np.inf], np.zeros(S)])
        col_upper = np.concatenate([col_upper, np.full(S + 1, np.inf)])
        cost = np.concatenate([cost, [-w], w * p / (1.0 - alpha)])
        row_lower = np.concatenate([row_lower, np.zeros(S)])
        row_upper = np.concatenate([row_upper, np.full(S, np.inf)])
        integrality = np.concatenate([integrality, np.zeros(S + 1, np.int32)])
    return ExtensiveForm(sp.vstack(parts, format="csc"), cost, col_lower, col_upper, row_lower,
                         row_upper, integrality)


def load_extensive(form: ExtensiveForm, mip_rel_gap: float = 1e-9) -> highspy.Highs:
    """A HiGHS instance holding the extensive form (one ``passModel``)."""
    a = form.matrix
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", mip_rel_gap)
    inf = highspy.kHighsInf

    def fin(v: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.clip(v, -inf, inf).astype(np.float64)
        return out

    h.passModel(a.shape[1], a.shape[0], int(a.nnz), int(highspy.MatrixFormat.kColwise),
                int(highspy.ObjSense.kMinimize), 0.0, fin(form.cost), fin(form.col_lower),
                fin(form.col_upper), fin(form.row_lower), fin(form.row_upper),
                a.indptr.astype(np.int32), a.indices.astype(np.int32),
                a.data.astype(np.float64), form.integrality)
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
