"""The vectorised assembly writes exactly the form the per-scenario triplet builder wrote.

``_triplet_form`` below is ``build_extensive`` as it was before the assembly was
vectorised (a loop over scenarios: full vector copies, rows written twice, sparse link
products, one list of triplets converted to CSC). The new form must equal it entry by
entry, vectors bit for bit, on kmp with three sampled scenarios, with and without CVaR,
with ``fixed`` decisions, and with scenarios whose events change which rows are written
twice (kmp's own samples share one pattern, so two scenarios are edited to differ).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from oreline.invest import build_problem
from oreline.invest.assemble import scatter
from oreline.invest.extensive import ExtensiveForm, build_extensive, select_matrices
from oreline.invest.problem import InvestProblem, ScenarioDelta
from oreline.model.matrix import coo_to_csc
from oreline.scenario import load_scenario
from oreline.stress.files import load_stress


def _triplet_form(problem: InvestProblem, w: float, alpha: float,
                  fixed: np.ndarray | None) -> ExtensiveForm:
    """The reference: every scenario's block as shifted triplets, one conversion to CSC."""
    lp, f, exp = problem.lp, problem.first, problem.expansion
    S, n, p = problem.n_scenarios, lp.n_cols, problem.probability
    M = select_matrices(problem)
    diff = np.asarray(abs(exp.link_upper - exp.link_lower).sum(axis=1)).ravel() > 0
    top = f.rows.tocoo()
    trip: list[tuple[np.ndarray, ...]] = [(top.row, top.col, top.data)]
    vec: list[list[np.ndarray]] = [[np.zeros(f.n)], [f.upper], [(1.0 - w) * problem.first_cost()],
                                   [f.row_lower], [f.row_upper]]
    off = f.rows.shape[0]
    for s in range(S):
        cl, cu, c, lo, up = problem.deltas[s].vectors(lp)
        twice = np.flatnonzero(diff & np.isfinite(lo))
        base, extra = lp.matrix.tocoo(), sp.csr_matrix(lp.matrix)[twice].tocoo()
        trip.append((np.concatenate([base.row, extra.row + lp.n_rows]) + off,
                     np.concatenate([base.col, extra.col]) + f.n + s * n,
                     np.concatenate([base.data, extra.data])))
        link = sp.vstack([-(exp.link_upper @ M[s]), -(exp.link_lower @ M[s])[twice]],
                         format="coo")
        keep = link.data != 0
        trip.append((link.row[keep] + off, link.col[keep], link.data[keep]))
        off += lp.n_rows + len(twice)
        for out, v in zip(vec, (cl, cu, (1.0 - w) * p[s] * c,
                                np.concatenate([np.where(diff, -np.inf, lo), lo[twice]]),
                                np.concatenate([up, np.full(len(twice), np.inf)])), strict=True):
            out.append(v)
    cl, cu, cost, rl, ru = (np.concatenate(v) for v in vec)
    if fixed is not None:
        cl[:f.n] = cu[:f.n] = fixed
    n_cols = f.n + S * n
    if w > 0:
        for s in range(S):
            c = problem.deltas[s].vectors(lp)[2]
            ky = np.asarray(M[s].T @ exp.cost).ravel()
            yc, xc = np.flatnonzero(ky), np.flatnonzero(c)
            trip.append((np.full(len(yc) + len(xc), s) + off,
                         np.concatenate([yc, xc + f.n + s * n]),
                         -np.concatenate([ky[yc], c[xc]])))
        s_all = np.arange(S)
        trip.append((np.concatenate([s_all, s_all]) + off,
                     np.concatenate([np.full(S, n_cols), n_cols + 1 + s_all]),
                     np.concatenate([-np.ones(S), np.ones(S)])))
        cl = np.concatenate([cl, [-np.inf], np.zeros(S)])
        cu = np.concatenate([cu, np.full(S + 1, np.inf)])
        cost = np.concatenate([cost, [-w], w * p / (1.0 - alpha)])
        rl, ru = np.concatenate([rl, np.zeros(S)]), np.concatenate([ru, np.full(S, np.inf)])
        off, n_cols = off + S, n_cols + S + 1
    rows, cols, vals = (np.concatenate([t[i] for t in trip]) for i in range(3))
    integrality = np.zeros(n_cols, dtype=np.int32)
    integrality[:f.n] = 1
    return ExtensiveForm(coo_to_csc(rows, cols, vals, (off, n_cols)), cost, cl, cu, rl, ru,
                         integrality)


@pytest.fixture(scope="module")
def kmp3() -> InvestProblem:
    return build_problem(load_scenario("kmp"), load_stress("kmp")[0], 3, None)


def _mixed(problem: InvestProblem) -> InvestProblem:
    """Scenario 1 drops a row written twice (lower bound -inf); scenario 2 adds none but
    keeps kmp's pattern; scenario 0 drops two: three patterns of different lengths."""
    exp, lp = problem.expansion, problem.lp
    diff = np.asarray(abs(exp.link_upper - exp.link_lower).sum(axis=1)).ravel() > 0
    finite = np.flatnonzero(diff & np.isfinite(lp.row_lower))
    deltas = list(problem.deltas)
    for s, drop in ((1, finite[:1]), (0, finite[-2:])):
        d = deltas[s]
        new = np.setdiff1d(drop, d.rows)
        assert len(new) == len(drop)
        rows = np.concatenate([d.rows, new])
        deltas[s] = ScenarioDelta(d.cols, d.col_lower, d.col_upper, d.cost_cols, d.cost, rows,
                                  np.concatenate([d.row_lower, np.full(len(new), -np.inf)]),
                                  np.concatenate([d.row_upper, lp.row_upper[new]]))
    return replace(problem, deltas=deltas)


def _lower_links(problem: InvestProblem) -> InvestProblem:
    """Half of every upper shift on kmp's rows written twice also shifts their lower bound
    (kmp's lower shifts sit on rows whose two shifts agree, never written twice)."""
    exp = problem.expansion
    up = exp.link_upper.tocoo()
    on = np.isfinite(problem.lp.row_lower[up.row])
    low = sp.csc_matrix((0.5 * up.data[on], (up.row[on], up.col[on])), shape=up.shape)
    return replace(problem, expansion=replace(exp, link_lower=exp.link_lower + low))


EDITS = {"kmp": lambda p: p, "mixed": _mixed, "lower": lambda p: _mixed(_lower_links(p))}


@pytest.mark.parametrize(("w", "fixed", "edit"), [(0.0, False, "kmp"), (0.3, False, "kmp"),
                                                  (0.3, True, "kmp"), (0.0, True, "mixed"),
                                                  (0.3, False, "mixed"), (0.0, False, "lower"),
                                                  (0.3, True, "lower")])
def test_form_equals_the_triplet_builder(kmp3: InvestProblem, w: float, fixed: bool,
                                         edit: str) -> None:
    problem = EDITS[edit](kmp3)
    y = np.arange(problem.first.n) % 2 + 0.0 if fixed else None
    new, ref = build_extensive(problem, w, 0.9, y), _triplet_form(problem, w, 0.9, y)
    for name in ("cost", "col_lower", "col_upper", "row_lower", "row_upper", "integrality"):
        a, b = getattr(new, name), getattr(ref, name)
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name
    a, b = new.matrix, ref.matrix
    assert a.shape == b.shape and a.indices.dtype == a.indptr.dtype == np.int32
    assert np.array_equal(a.indptr, b.indptr)
    first = a.indptr[problem.first.n]  # scenario and CVaR columns: same entries, same order
    assert np.array_equal(a.indices[first:], b.indices[first:])
    assert a.data[first:].tobytes() == b.data[first:].tobytes()
    for col in range(problem.first.n):  # first-stage columns: sorted by row, same entries
        sl = slice(a.indptr[col], a.indptr[col + 1])
        assert np.all(np.diff(a.indices[sl]) > 0)
        order = np.argsort(b.indices[sl])
        assert np.array_equal(a.indices[sl], b.indices[sl][order])
        assert a.data[sl].tobytes() == b.data[sl][order].tobytes()


def test_mixed_patterns_write_their_own_rows_twice(kmp3: InvestProblem) -> None:
    """kmp writes 73 rows twice; the edited scenarios 0 and 1 write 71 and 72."""
    f, m = kmp3.first, kmp3.lp.n_rows
    assert build_extensive(kmp3).matrix.shape[0] == f.rows.shape[0] + 3 * (m + 73)
    assert build_extensive(_mixed(kmp3)).matrix.shape[0] == f.rows.shape[0] + 3 * m + 71 + 72 + 73


def test_scatter_sets_each_row_entries() -> None:
    out = np.zeros((3, 4))
    scatter(out.reshape(-1), 4, [np.array([3, 0]), np.array([], dtype=np.int64),
                                 np.array([1])], [np.array([1.0, 2.0]), np.array([]),
                                                  np.array([7.0])])
    assert out.tolist() == [[2.0, 0, 0, 1.0], [0, 0, 0, 0], [0, 7.0, 0, 0]]
    scatter(out.reshape(-1), 4, [np.array([], dtype=np.int64)] * 3, [np.array([])] * 3)
    assert out.sum() == 10.0
