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
from oreline.model.matrix import coo_to_csc

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

    The matrix is one list of triplets converted to CSC once
    (:func:`oreline.model.matrix.coo_to_csc`): a scenario's block is the invest LP's
    triplets (plus its rows written twice) moved to the scenario's rows and columns, so
    assembling costs O(nonzeros), without stacking sparse matrices scenario by scenario.
    """
    lp, f, exp = problem.lp, problem.first, problem.expansion
    S, n = problem.n_scenarios, lp.n_cols
    p = problem.probability
    w = float(risk_weight)
    M = select_matrices(problem)
    diff = np.asarray(abs(exp.link_upper - exp.link_lower).sum(axis=1)).ravel() > 0
    top = f.rows.tocoo()
    trip: list[tuple[np.ndarray, ...]] = [(top.row, top.col, top.data)]
    blocks: dict[bytes, tuple[np.ndarray, ...]] = {}
    cvar: list[tuple[np.ndarray, ...]] = []
    cols_l, cols_u, costs, rl, ru = [], [], [], [], []
    off = f.rows.shape[0]
    for s in range(S):
        cl, cu, c, lo, up = problem.deltas[s].vectors(lp)
        twice = np.flatnonzero(diff & np.isfinite(lo))
        br, bc, bv = blocks.get(twice.tobytes()) or blocks.setdefault(
            twice.tobytes(), _block(lp.matrix, twice))
        trip.append((br + off, bc + (f.n + s * n), bv))
        link = sp.vstack([-(exp.link_upper @ M[s]), -(exp.link_lower @ M[s])[twice]],
                         format="coo")
        keep = link.data != 0
        trip.append((link.row[keep] + off, link.col[keep], link.data[keep]))
        if w > 0:  # NPV_s = -c_s x_s - k . M_s y, in row s of the CVaR rows
            ky = np.asarray(M[s].T @ exp.cost).ravel()
            yc, xc = np.flatnonzero(ky), np.flatnonzero(c)
            cvar.append((np.full(len(yc) + len(xc), s),
                         np.concatenate([yc, xc + f.n + s * n]), -np.concatenate([ky[yc], c[xc]])))
        off += lp.n_rows + len(twice)
        cols_l.append(cl)
        cols_u.append(cu)
        costs.append((1.0 - w) * p[s] * c)
        rl.append(np.concatenate([np.where(diff, -np.inf, lo), lo[twice]]))
        ru.append(np.concatenate([up, np.full(len(twice), np.inf)]))
    col_lower = np.concatenate([np.zeros(f.n), *cols_l])
    col_upper = np.concatenate([f.upper, *cols_u])
    cost = np.concatenate([(1.0 - w) * problem.first_cost(), *costs])
    row_lower = np.concatenate([f.row_lower, *rl])
    row_upper = np.concatenate([f.row_upper, *ru])
    if fixed is not None:
        col_lower[:f.n] = col_upper[:f.n] = fixed
    integrality = np.concatenate([np.ones(f.n, dtype=np.int32), np.zeros(S * n, np.int32)])
    n_cols = f.n + S * n
    if w > 0:
        # u_s - eta + NPV_s >= 0: eta is column n_cols, u_s column n_cols + 1 + s
        s_all = np.arange(S)
        trip += [(r + off, col, v) for r, col, v in cvar]
        trip.append((np.concatenate([s_all, s_all]) + off,
                     np.concatenate([np.full(S, n_cols), n_cols + 1 + s_all]),
                     np.concatenate([-np.ones(S), np.ones(S)])))
        col_lower = np.concatenate([col_lower, [-np.inf], np.zeros(S)])
        col_upper = np.concatenate([col_upper, np.full(S + 1, np.inf)])
        cost = np.concatenate([cost, [-w], w * p / (1.0 - alpha)])
        row_lower = np.concatenate([row_lower, np.zeros(S)])
        row_upper = np.concatenate([row_upper, np.full(S, np.inf)])
        integrality = np.concatenate([integrality, np.zeros(S + 1, np.int32)])
        off, n_cols = off + S, n_cols + S + 1
    rows, cols, vals = (np.concatenate([t[i] for t in trip]) for i in range(3))
    return ExtensiveForm(coo_to_csc(rows, cols, vals, (off, n_cols)), cost, col_lower,
                         col_upper, row_lower, row_upper, integrality)


def _block(a: sp.csc_matrix, twice: np.ndarray) -> tuple[np.ndarray, ...]:
    """Triplets (int32 indices) of one scenario's block: ``a`` and its rows ``twice`` again."""
    base, extra = a.tocoo(), sp.csr_matrix(a)[twice].tocoo()
    return (np.concatenate([base.row, extra.row + a.shape[0]]).astype(np.int32),
            np.concatenate([base.col, extra.col]).astype(np.int32),
            np.concatenate([base.data, extra.data]))


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
