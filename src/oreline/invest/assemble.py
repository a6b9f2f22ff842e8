"""Vectorised assembly of the extensive form's vectors and column-wise matrix.

:func:`oreline.invest.extensive.build_extensive` defines the form; this module writes it
without a sparse operation per scenario:

* the scenario vectors are the invest LP's vectors tiled ``(S, n)`` with every
  scenario's changed entries scattered in one assignment;
* scenarios are grouped by the LP rows they write twice (their *pattern*; kmp has one);
  a pattern's block (the LP matrix and those rows again) is converted to CSC once, and
  each scenario's block columns are that block's arrays copied with the scenario's row
  offset: no triplets, no sort of the scenario part;
* only the first-stage columns (the first-stage rows, every scenario's link entries and
  the CVaR entries of the decisions) are gathered as triplets and sorted, a few entries
  per scenario.

Within a scenario column the entries keep the LP matrix's order (rows written twice
after, the CVaR row last); first-stage columns are sorted by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from oreline.invest.problem import InvestProblem
from oreline.model.matrix import coo_to_csc

__all__ = ["Blocks", "path_columns", "scatter", "scenario_blocks", "scenario_matrix"]

_INT32_MAX = np.iinfo(np.int32).max


def scatter(flat: np.ndarray, width: int, idx: Sequence[np.ndarray],
            vals: Sequence[np.ndarray]) -> None:
    """Set ``flat[s * width + idx[s]] = vals[s]`` for every ``s``, in one assignment.

    Examples
    --------
    >>> out = np.zeros(6)
    >>> scatter(out, 3, [np.array([2]), np.array([0, 1])], [np.array([5.0]), np.ones(2)])
    >>> out.tolist()
    [0.0, 0.0, 5.0, 1.0, 1.0, 0.0]
    """
    sizes = np.fromiter((len(i) for i in idx), np.int64, len(idx))
    if sizes.sum() == 0:
        return
    at = np.concatenate(idx).astype(np.int64) + np.repeat(np.arange(len(idx)) * width, sizes)
    flat[at] = np.concatenate(vals)


@dataclass
class Blocks:
    """Row layout of the scenario blocks.

    ``twice[pattern[s]]`` are the LP rows scenario ``s`` writes twice; its block's rows
    start at ``row_start[s]`` (``row_start[S]`` is the first row after every block).
    """

    twice: list[np.ndarray]
    pattern: np.ndarray  # (S,)
    row_start: np.ndarray  # (S + 1,) int64


def scenario_blocks(problem: InvestProblem, diff: np.ndarray, row_lower: np.ndarray,
                    row_upper: np.ndarray) -> tuple[Blocks, np.ndarray, np.ndarray]:
    """The blocks' layout and the row vectors of the first-stage rows and every block.

    ``diff`` marks the LP rows whose two decision shifts differ; such a row with a finite
    lower bound is written twice (its upper side in place, its lower side after the
    block's LP rows). ``row_lower``/``row_upper`` are appended after the blocks.
    """
    lp, f = problem.lp, problem.first
    S, m, fm = problem.n_scenarios, lp.n_rows, f.rows.shape[0]
    lo = np.empty((S, m))
    up = np.empty((S, m))
    lo[:] = lp.row_lower
    up[:] = lp.row_upper
    d = problem.deltas
    scatter(lo.reshape(-1), m, [x.rows for x in d], [x.row_lower for x in d])
    scatter(up.reshape(-1), m, [x.rows for x in d], [x.row_upper for x in d])
    at = np.flatnonzero(diff)
    seen, inverse = np.unique(np.isfinite(lo[:, at]), axis=0, return_inverse=True)
    pattern = inverse.ravel()  # numpy 2.0.x gave (S, 1)
    twice = [at[row] for row in seen]
    k = np.array([len(t) for t in twice], dtype=np.int64)[pattern]
    row_start = np.concatenate([[0], np.cumsum(m + k)]) + fm
    total = int(row_start[-1])
    rl = np.empty(total + len(row_lower))
    ru = np.empty(total + len(row_upper))
    rl[:fm], ru[:fm] = f.row_lower, f.row_upper
    rl[total:], ru[total:] = row_lower, row_upper
    for s in range(S):
        o, tw = int(row_start[s]), twice[pattern[s]]
        rl[o:o + m], ru[o:o + m] = lo[s], up[s]
        rl[o + m:o + m + len(tw)], ru[o + m:o + m + len(tw)] = lo[s, tw], np.inf
        rl[o + at] = -np.inf
    return Blocks(twice, pattern, row_start), rl, ru


def path_columns(problem: InvestProblem) -> np.ndarray:
    """``(S, types)``: the first-stage column of each decision type on each path, or -1."""
    f = problem.first
    path = f.path.tocoo()
    build = f.col_type[path.col] >= 0
    out = np.full((problem.n_scenarios, len(problem.types)), -1, dtype=np.int64)
    out[path.row[build], f.col_type[path.col[build]]] = path.col[build]
    return out


def _first_stage(problem: InvestProblem, blocks: Blocks, cvar_costs: bool,
                 cvar_row: int) -> sp.csc_matrix:
    """First-stage columns: their rows, every scenario's link entries, CVaR entries.

    A few entries per scenario (the link matrices' and the decisions' costs, at the
    scenario's path columns), gathered as triplets and sorted by column, then row.
    """
    lp, f, exp = problem.lp, problem.first, problem.expansion
    S = problem.n_scenarios
    on = path_columns(problem)
    starts = blocks.row_start[:S, None]
    top = f.rows.tocoo()
    up = exp.link_upper.tocoo()
    keep = up.data != 0
    parts = [(top.row, top.col, top.data),
             (starts + up.row[keep], on[:, up.col[keep]], np.broadcast_to(-up.data[keep],
                                                                         (S, keep.sum())))]
    low = exp.link_lower.tocsr()
    for p, tw in enumerate(blocks.twice):
        ss = np.flatnonzero(blocks.pattern == p)
        sub = low[tw].tocoo()
        keep = sub.data != 0
        parts.append((starts[ss] + lp.n_rows + sub.row[keep], on[ss][:, sub.col[keep]],
                      np.broadcast_to(-sub.data[keep], (len(ss), keep.sum()))))
    if cvar_costs:  # NPV_s = ... - k . M_s y, in row cvar_row + s
        j = np.flatnonzero(exp.cost)
        parts.append((np.broadcast_to(cvar_row + np.arange(S)[:, None], (S, len(j))),
                      on[:, j], np.broadcast_to(-exp.cost[j], (S, len(j)))))
    rows, cols, vals = (np.concatenate([np.ravel(p[i]) for p in parts]) for i in range(3))
    ok = cols >= 0
    order = np.lexsort((rows[ok], cols[ok]))
    return sp.csc_matrix((vals[ok][order], rows[ok][order].astype(np.int32),
                          np.concatenate([[0], np.cumsum(np.bincount(cols[ok], minlength=f.n))])
                          .astype(np.int32)), shape=(cvar_row + S, f.n), copy=False)


def _block(a: sp.csc_matrix, twice: np.ndarray) -> sp.csc_matrix:
    """One scenario's block in CSC: ``a`` and its rows ``twice`` again, below."""
    base, extra = a.tocoo(), sp.csr_matrix(a)[twice].tocoo()
    return coo_to_csc(np.concatenate([base.row, extra.row + a.shape[0]]),
                      np.concatenate([base.col, extra.col]),
                      np.concatenate([base.data, extra.data]),
                      (a.shape[0] + len(twice), a.shape[1]))


def scenario_matrix(problem: InvestProblem, blocks: Blocks, cost: np.ndarray | None
                    ) -> sp.csc_matrix:
    """The extensive form's matrix in CSC, written column range by column range.

    ``cost`` is the ``(S, n)`` scenario costs when the form has CVaR rows (row
    ``row_start[S] + s`` holds ``u_s - eta + NPV_s``, with ``eta`` and the ``u_s`` the
    last ``S + 1`` columns), else None. Every output array is written once, in place.
    """
    lp, f = problem.lp, problem.first
    S, n = problem.n_scenarios, lp.n_cols
    cvar_row = int(blocks.row_start[S])
    first = _first_stage(problem, blocks, cost is not None, cvar_row)
    mats = [_block(lp.matrix, tw) for tw in blocks.twice]
    nz = cost != 0 if cost is not None else np.zeros((S, 0), dtype=bool)
    per = np.array([b.nnz for b in mats], dtype=np.int64)[blocks.pattern] + nz.sum(axis=1)
    start = np.concatenate([[0], np.cumsum(per)]) + first.nnz
    total = int(start[-1]) + (2 * S if cost is not None else 0)
    if total > _INT32_MAX:
        raise OverflowError(f"the extensive form has {total} nonzeros, over HiGHS's "
                            f"32-bit limit")
    n_cols = f.n + S * n + (S + 1 if cost is not None else 0)
    indptr = np.empty(n_cols + 1, dtype=np.int32)
    indices = np.empty(total, dtype=np.int32)
    data = np.empty(total)
    indptr[:f.n], indices[:first.nnz], data[:first.nnz] = (first.indptr[:-1], first.indices,
                                                          first.data)
    for s in range(S):
        a, b, c = int(start[s]), int(start[s + 1]), f.n + s * n
        blk, off = mats[blocks.pattern[s]], int(blocks.row_start[s])
        if cost is None:
            np.add(blk.indptr[:-1], a, out=indptr[c:c + n])
            np.add(blk.indices, off, out=indices[a:b])
            data[a:b] = blk.data
            continue
        ptr = blk.indptr.copy()  # one more entry in a column of nonzero cost: its last
        ptr[1:] += np.cumsum(nz[s], dtype=np.int32)
        np.add(ptr[:-1], a, out=indptr[c:c + n])
        last = ptr[1:][nz[s]] - 1
        mine = np.ones(b - a, dtype=bool)
        mine[last] = False
        indices[a:b][mine], data[a:b][mine] = blk.indices + off, blk.data
        indices[a:b][last], data[a:b][last] = cvar_row + s, -cost[s][nz[s]]
    tail = int(start[S])
    indptr[f.n + S * n:] = tail + np.r_[0, S + np.arange(len(indptr) - f.n - S * n - 1)]
    if cost is not None:  # eta: -1 in every CVaR row; u_s: +1 in row s
        indices[tail:tail + S] = indices[tail + S:] = cvar_row + np.arange(S)
        data[tail:tail + S], data[tail + S:] = -1.0, 1.0
    return sp.csc_matrix((data, indices, indptr),
                         shape=(cvar_row + (S if cost is not None else 0), n_cols), copy=False)
