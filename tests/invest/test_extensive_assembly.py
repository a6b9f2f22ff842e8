"""The extensive form's matrix is its block-angular definition, assembled in one pass.

``build_extensive`` writes every scenario's block column-wise in place; the reference
here stacks the same blocks with scipy's general ``vstack``/``block_diag``/``hstack``
straight from the module docstring's definition (the way the form was first built), on
kmp with three sampled scenarios: two decision stages, supply rows written twice, the
strategic buffer in a node balance, the budget, and CVaR rows.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from oreline.invest import build_problem
from oreline.invest.extensive import build_extensive, select_matrices
from oreline.invest.problem import InvestProblem
from oreline.scenario import load_scenario
from oreline.stress.files import load_stress


def _reference(problem: InvestProblem, w: float) -> sp.csr_matrix:
    """``[[F, 0], [-U M_s | A ...]]`` block by block, plus the CVaR rows when ``w > 0``."""
    lp, f, exp = problem.lp, problem.first, problem.expansion
    S, n = problem.n_scenarios, lp.n_cols
    M = select_matrices(problem)
    diff = np.asarray(abs(exp.link_upper - exp.link_lower).sum(axis=1)).ravel() > 0
    blocks, links, npv = [], [], []
    for s in range(S):
        c, lo = problem.deltas[s].vectors(lp)[2:4]
        twice = np.flatnonzero(diff & np.isfinite(lo))
        blocks.append(sp.vstack([lp.matrix, lp.matrix[twice]]))
        links.append(sp.vstack([-(exp.link_upper @ M[s]), -(exp.link_lower @ M[s])[twice]]))
        row = np.zeros(f.n + S * n)
        row[:f.n] = -(exp.cost @ M[s].toarray())
        row[f.n + s * n:f.n + (s + 1) * n] = -c
        npv.append(row)
    body = sp.hstack([sp.vstack(links), sp.block_diag(blocks)])
    top = sp.hstack([f.rows, sp.csr_matrix((f.rows.shape[0], S * n))])
    out = sp.vstack([top, body]).tocsr()
    if w == 0:
        return out
    aux = sp.hstack([sp.csr_matrix(-np.ones((S, 1))), sp.identity(S)])
    out = sp.hstack([out, sp.csr_matrix((out.shape[0], S + 1))])
    return sp.vstack([out, sp.hstack([sp.csr_matrix(np.array(npv)), aux])]).tocsr()


@pytest.fixture(scope="module")
def kmp3() -> InvestProblem:
    return build_problem(load_scenario("kmp"), load_stress("kmp")[0], 3, None)


@pytest.mark.parametrize("w", [0.0, 0.3])
def test_matrix_is_the_block_angular_definition(kmp3: InvestProblem, w: float) -> None:
    assert len(kmp3.stages) == 2 and kmp3.lp.rows["Invest-supply"].size > 0
    form = build_extensive(kmp3, w)
    ref = _reference(kmp3, w)
    assert form.matrix.shape == ref.shape
    assert (form.matrix.tocsr() != ref).nnz == 0
    assert form.matrix.nnz == ref.count_nonzero()
    assert len(form.cost) == len(form.col_lower) == ref.shape[1]
    assert len(form.row_lower) == len(form.row_upper) == ref.shape[0]
