"""Where our build + load time goes, and measured alternatives (nothing in src/ is changed).

``python benchmarks/profile_build.py [--sizes 300k 1M] [--repeat 7]`` prints the
best (minimum) time of every step of ``build_model`` and ``LiveModel``, of HiGHS's bare
``passModel``, of ``compile_network`` (cProfile top entries) and of drop-in
alternatives for the slow steps, each checked to give the identical matrix:

* ``define_crma_share`` with the per-pair work vectorised (entries per
  (pair, sale) built once, broadcast over periods once);
* the COO -> CSC assembly with int32 indices and one canonicalisation
  (``coo_array(...).tocsc()``) instead of ``csc_matrix`` + ``sum_duplicates``;
* the ``LiveModel`` argument conversions with ``copy=False``;
* the whole matrix emitted column by column (:func:`colwise_matrix`), which makes
  the COO -> CSC conversion unnecessary.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generator import scenario_for_size

from oreline.model import build_model
from oreline.model.constraints import CONSTRAINT_FAMILIES, RowBlock
from oreline.model.objective import define_objective
from oreline.model.variables import Variables, define_variables
from oreline.network import Network, compile_network
from oreline.settings import Settings
from oreline.solve import LiveModel


def timed(f: Callable[[], Any], repeat: int) -> tuple[Any, float]:
    """Result of ``f`` and its best time over ``repeat`` calls (the machine is shared:
    the minimum is the figure least disturbed by other work)."""
    out, ts = None, []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        ts.append(time.perf_counter() - t0)
    return out, min(ts)


def crma_vectorised(net: Network, v: Variables) -> RowBlock:
    """``define_crma_share`` with one broadcast over periods for all (customer, country) pairs.

    Sales of one customer are contiguous in ``net.sale_*`` (compile_network emits
    them customer by customer), so each pair's entries are a range of sales.
    """
    T = net.n_periods
    counts = np.bincount(net.sales.customer, minlength=len(net.customers))
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pair_c = np.array([ci for ci, _, by in net.sales.crma for _ in by], dtype=np.int64)
    pair_share = np.array([s for _, s, by in net.sales.crma for _ in by], dtype=float)
    names = [f"{net.customers[ci]}:{c}" for ci, _, by in net.sales.crma for c in by]
    n = len(pair_c)
    size = counts[pair_c]
    first = np.concatenate([[0], np.cumsum(size)[:-1]])
    e_pair = np.repeat(np.arange(n), size)
    e_sale = np.arange(size.sum()) - np.repeat(first, size) + np.repeat(start[pair_c], size)
    coef = -pair_share[e_pair]
    members = [sales for _, _, by in net.sales.crma for sales in by.values()]
    if members:
        lens = np.array([len(m) for m in members])
        hit = np.concatenate(members) - np.repeat(start[pair_c], lens) + np.repeat(first, lens)
        coef[hit] += 1.0
    t = np.arange(T)[None, :]
    rows = (e_pair[:, None] * T + t).ravel()
    cols = v["Customer-sale"].cols(e_sale[:, None], t).ravel()
    vals = np.broadcast_to(coef[:, None], (len(coef), T)).ravel()
    return RowBlock("Customer-crma", n, T, rows, cols, vals, np.full(n * T, -np.inf),
                    np.zeros(n * T), names)


def colwise_matrix(net: Network, v: Variables) -> sp.csc_matrix:
    """The constraint matrix emitted column by column, with no COO -> CSC conversion.

    Columns are family-contiguous and entity-major (``offset + e * T + t``), so an
    ``(entities, T, k)`` array of each column's ``k`` candidate entries, compressed
    with its validity mask in C order, *is* CSC order. Row numbering is
    ``build_model``'s (families stacked in ``CONSTRAINT_FAMILIES`` order); rows
    within a column are not sorted (HiGHS does not need them sorted).
    """
    T = net.n_periods
    N, P, C, K, S = (net.n_nodes, len(net.processes), len(net.customers), len(net.purchases.node),
                     len(net.sites))
    pairs = [(ci, share, sales) for ci, share, by in net.sales.crma for sales in by.values()]
    o_cap = N * T
    o_dem = o_cap + P * T
    o_top = o_dem + C * T
    o_sto = o_top + K * T
    o_crma = o_sto + S * T
    t = np.arange(T)[None, :, None]
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (rows, vals, mask) per family

    def fam(rows: list[np.ndarray], vals: list[np.ndarray], ok: list[np.ndarray]) -> None:
        shape = np.broadcast_shapes(*(r.shape for r in rows))
        def cat(arrays: list[np.ndarray]) -> np.ndarray:
            return np.concatenate([np.broadcast_to(x, (*shape[:2], x.shape[2])) for x in arrays],
                                  axis=2)

        parts.append((cat(rows), cat(vals), cat(ok)))

    one = np.ones((1, 1, 1))
    yes = np.ones((1, 1, 1), bool)
    e = np.arange(K)[:, None, None]
    arrive = t + net.purchases.lead[:, None, None]
    fam([net.purchases.node[:, None, None] * T + arrive, o_top + e * T + t], [one, one],
        [arrive < T, yes])                                                  # Contract-buy
    fam([o_top + e * T + t], [one], [yes])                                  # Contract-deficit
    mode = np.concatenate([net.modes.inputs[0], net.modes.outputs[0]])
    node = np.concatenate([net.modes.inputs[1], net.modes.outputs[1]])
    coef = np.concatenate([-net.modes.inputs[2], net.modes.outputs[2]])
    order = np.argsort(mode, kind="stable")
    mode, node, coef = mode[order], node[order], coef[order]
    J = len(net.modes.process)
    cnt = np.bincount(mode, minlength=J)
    slot = np.arange(len(mode)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    width = int(cnt.max()) if J else 0
    tab_n = np.zeros((J, width), np.int64)
    tab_c = np.zeros((J, width))
    tab_ok = np.zeros((J, width), bool)
    tab_n[mode, slot], tab_c[mode, slot], tab_ok[mode, slot] = node, coef, True
    fam([tab_n[:, None, :] * T + t, o_cap + net.modes.process[:, None, None] * T + t],
        [tab_c[:, None, :], one], [tab_ok[:, None, :], yes])               # Process-run
    arrive = t + net.arcs.lead[:, None, None]
    fam([net.arcs.source[:, None, None] * T + t, net.arcs.target[:, None, None] * T + arrive],
        [-one, one], [yes, arrive < T])                                     # Lane-flow
    n = np.arange(N)[:, None, None]
    fam([n * T + t, n * T + t + 1, o_sto + net.nodes.site[:, None, None] * T + t],
        [-one, one, one], [yes, t < T - 1, yes])                            # Stock-level
    L = len(net.sales.node)
    per_c = np.bincount([ci for ci, _, _ in pairs], minlength=C) if pairs else np.zeros(C, int)
    kp = int(per_c.max()) if pairs else 0
    tab_p = np.zeros((L, kp), np.int64)
    tab_v = np.zeros((L, kp))
    tab_pok = np.zeros((L, kp), bool)
    used = np.zeros(C, np.int64)
    mine_of = {ci: np.flatnonzero(net.sales.customer == ci) for ci, _, _ in net.sales.crma}
    for r, (ci, share, sales) in enumerate(pairs):  # one step per (customer, country) pair
        mine, k = mine_of[ci], used[ci]
        tab_p[mine, k], tab_pok[mine, k] = r, True
        tab_v[mine, k] = -share
        tab_v[sales, k] += 1.0
        used[ci] += 1
    fam([net.sales.node[:, None, None] * T + t, o_dem + net.sales.customer[:, None, None] * T + t,
         o_crma + tab_p[:, None, :] * T + t], [-one, one, tab_v[:, None, :]],
        [yes, yes, tab_pok[:, None, :]])                                    # Customer-sale
    c = np.arange(C)[:, None, None]
    fam([o_dem + c * T + t], [one], [yes])                                  # Customer-shortfall
    counts = np.concatenate([m.sum(axis=2).ravel() for _, _, m in parts])
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    indices = np.concatenate([r[m] for r, _, m in parts]).astype(np.int32)
    data = np.concatenate([x[m] for _, x, m in parts])
    return sp.csc_matrix((data, indices, indptr), shape=(o_crma + len(pairs) * T, v.n_cols))


def row_bounds(net: Network) -> tuple[np.ndarray, np.ndarray]:
    """Row lower and upper bounds in ``build_model``'s row order, without the row blocks."""
    T = net.n_periods
    n_pairs = sum(len(by) for _, _, by in net.sales.crma)
    bal = np.zeros((net.n_nodes, T))
    bal[:, 0] = -net.nodes.initial
    inf = np.inf
    lower = [bal.ravel(), np.full(net.modes.capacity.size, -inf), net.sales.demand.ravel(),
             net.purchases.take_or_pay.ravel(), np.full(len(net.sites) * T, -inf),
             np.full(n_pairs * T, -inf)]
    upper = [bal.ravel(), net.modes.capacity.ravel(), net.sales.demand.ravel(),
             np.full(net.purchases.take_or_pay.size, inf), np.repeat(net.nodes.storage, T),
             np.zeros(n_pairs * T)]
    return np.concatenate(lower), np.concatenate(upper)


def build_alternative(net: Network) -> tuple[Variables, np.ndarray, sp.csc_matrix, np.ndarray,
                                              np.ndarray]:
    """What ``build_model`` computes, with column-wise emission of the matrix."""
    v = define_variables(net)
    lo, up = row_bounds(net)
    return v, define_objective(net, v), colwise_matrix(net, v), lo, up


def assemble_current(blocks: list[RowBlock], n_cols: int) -> sp.csc_matrix:
    """As ``build_model`` does it: csc_matrix from COO, then sum_duplicates."""
    offs = np.cumsum([0] + [b.size for b in blocks])
    rows = np.concatenate([b.rows + o for b, o in zip(blocks, offs[:-1], strict=True)])
    cols = np.concatenate([b.cols for b in blocks])
    vals = np.concatenate([b.vals for b in blocks])
    m = sp.csc_matrix((vals, (rows, cols)), shape=(int(offs[-1]), n_cols))
    m.sum_duplicates()
    return m


def assemble_int32(blocks: list[RowBlock], n_cols: int) -> sp.csc_array:
    """int32 indices from the start, one ``coo_array.tocsc()`` (sums duplicates once)."""
    offs = np.cumsum([0] + [b.size for b in blocks]).astype(np.int32)
    rows = np.concatenate([b.rows.astype(np.int32) + o for b, o in zip(blocks, offs[:-1],
                                                                        strict=True)])
    cols = np.concatenate([b.cols.astype(np.int32) for b in blocks])
    vals = np.concatenate([b.vals for b in blocks])
    return sp.coo_array((vals, (rows, cols)), shape=(int(offs[-1]), n_cols)).tocsc()


def live_args_nocopy(lp: Any) -> tuple[Any, ...]:
    """``LiveModel``'s conversions, without copies when the dtype already fits."""
    inf = highspy.kHighsInf
    a = lp.matrix

    def fin(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return np.clip(x, -inf, inf) if np.isinf(x).any() else x

    return (fin(lp.cost), fin(lp.col_lower), fin(lp.col_upper), fin(lp.row_lower),
            fin(lp.row_upper), a.indptr.astype(np.int32, copy=False),
            a.indices.astype(np.int32, copy=False), a.data.astype(np.float64, copy=False))


def same(a: sp.spmatrix, b: sp.spmatrix) -> bool:
    """Whether two sparse matrices are equal entry by entry."""
    d = (sp.csc_matrix(a) - sp.csc_matrix(b))
    return a.shape == b.shape and (d.nnz == 0 or np.abs(d.data).max() == 0.0)


def profile(size: str, repeat: int) -> None:
    """Print the step timings and alternatives for one size."""
    sc = scenario_for_size(size)
    net, t_compile = timed(lambda: compile_network(sc), max(1, repeat // 3))
    lp, t_build = timed(lambda: build_model(net), repeat)
    print(f"\n=== {size}: {lp.n_cols:,} columns, {lp.n_rows:,} rows, {lp.matrix.nnz:,} nonzeros")
    print(f"compile_network                 {t_compile * 1e3:9.1f} ms")
    print(f"build_model                     {t_build * 1e3:9.1f} ms")
    v, t = timed(lambda: define_variables(net), repeat)
    print(f"  define_variables              {t * 1e3:9.1f} ms")
    blocks = []
    for fam in CONSTRAINT_FAMILIES:
        b, t = timed(lambda fam=fam: fam(net, v), repeat)
        blocks.append(b)
        print(f"  {fam.__name__:<28}{t * 1e3:9.1f} ms  ({b.size:,} rows, {len(b.vals):,} nz)")
    _, t = timed(lambda: define_objective(net, v), repeat)
    print(f"  define_objective              {t * 1e3:9.1f} ms")
    m_cur, t_cur = timed(lambda: assemble_current(blocks, v.n_cols), repeat)
    print(f"  concat + csc_matrix + sum_duplicates {t_cur * 1e3:6.1f} ms")
    offs = np.cumsum([0] + [b.size for b in blocks])
    rows = np.concatenate([b.rows + o for b, o in zip(blocks, offs[:-1], strict=True)])
    cols = np.concatenate([b.cols for b in blocks])
    vals = np.concatenate([b.vals for b in blocks])
    _, t = timed(lambda: np.concatenate([b.rows + o for b, o in zip(blocks, offs[:-1],
                                                                    strict=True)]), repeat)
    print(f"    concatenate rows (+cols, vals similar) {t * 1e3:5.1f} ms")
    _, t = timed(lambda: sp.csc_matrix((vals, (rows, cols)), shape=(int(offs[-1]), v.n_cols)),
                 repeat)
    print(f"    csc_matrix((vals, (rows, cols)))       {t * 1e3:5.1f} ms")

    def dup() -> None:
        m = sp.csc_matrix((vals, (rows, cols)), shape=(int(offs[-1]), v.n_cols))
        m.sum_duplicates()

    _, t2 = timed(dup, repeat)
    print(f"    ... + sum_duplicates()                 {t2 * 1e3:5.1f} ms")

    # alternatives
    print("alternatives (identical matrix checked):")
    crma_cur = next(b for b in blocks if b.name == "Customer-crma")
    crma_new, t_new = timed(lambda: crma_vectorised(net, v), repeat)
    _, t_old = timed(lambda: CONSTRAINT_FAMILIES[-1](net, v), repeat)
    shape = (crma_cur.size, v.n_cols)
    ok = same(sp.coo_matrix((crma_cur.vals, (crma_cur.rows, crma_cur.cols)), shape),
              sp.coo_matrix((crma_new.vals, (crma_new.rows, crma_new.cols)), shape))
    print(f"  define_crma_share vectorised  {t_new * 1e3:9.1f} ms  (now {t_old * 1e3:.1f} ms; "
          f"same rows: {ok})")
    blocks_new = [crma_new if b.name == "Customer-crma" else b for b in blocks]
    m_new, t_asm = timed(lambda: assemble_int32(blocks_new, v.n_cols), repeat)
    print(f"  int32 coo_array.tocsc()       {t_asm * 1e3:9.1f} ms  (now {t_cur * 1e3:.1f} ms; "
          f"same matrix: {same(m_cur, m_new)})")

    m_col, t_col = timed(lambda: colwise_matrix(net, v), repeat)
    t_rows = sum(timed(lambda fam=fam: fam(net, v), repeat)[1] for fam in CONSTRAINT_FAMILIES)
    print(f"  column-wise emission          {t_col * 1e3:9.1f} ms  (now families + assembly "
          f"{(t_rows + t_cur) * 1e3:.1f} ms; same matrix: {same(m_cur, m_col)})")

    alt, t_alt = timed(lambda: build_alternative(net), repeat)
    ok = (same(alt[2], lp.matrix) and np.array_equal(alt[3], lp.row_lower)
          and np.array_equal(alt[4], lp.row_upper) and np.array_equal(alt[1], lp.cost))
    print(f"  whole build, column-wise      {t_alt * 1e3:9.1f} ms  (now {t_build * 1e3:.1f} ms; "
          f"same LP: {ok})")

    # load
    settings = Settings(solver_threads=1)
    _, t_live = timed(lambda: LiveModel(lp, settings), repeat)
    a = lp.matrix
    inf = highspy.kHighsInf
    conv, t_conv = timed(lambda: (
        np.clip(lp.cost, -inf, inf), np.clip(lp.col_lower, -inf, inf),
        np.clip(lp.col_upper, -inf, inf), np.clip(lp.row_lower, -inf, inf),
        np.clip(lp.row_upper, -inf, inf), a.indptr.astype(np.int32),
        a.indices.astype(np.int32), a.data.astype(np.float64)), repeat)
    _, t_conv2 = timed(lambda: live_args_nocopy(lp), repeat)
    integ = np.zeros(lp.n_cols, dtype=np.int32)

    def bare() -> float:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        t0 = time.perf_counter()
        h.passModel(lp.n_cols, lp.n_rows, int(a.nnz), int(highspy.MatrixFormat.kColwise),
                    int(highspy.ObjSense.kMinimize), 0.0, *conv, integ)
        return time.perf_counter() - t0

    t_bare = min(bare() for _ in range(repeat))
    print(f"LiveModel (load)                {t_live * 1e3:9.1f} ms")
    print(f"  argument conversions          {t_conv * 1e3:9.1f} ms  (copy=False: "
          f"{t_conv2 * 1e3:.1f} ms)")
    print(f"  bare passModel (floor)        {t_bare * 1e3:9.1f} ms")
    print(f"build+load / passModel          {(t_build + t_live) / t_bare:9.2f}  "
          f"({(t_build + t_live) * 1e3:.1f} ms)")
    saved = (t_old - t_new) + (t_conv - t_conv2)
    print(f"with vectorised CRMA, copy=False {(t_build + t_live - saved) / t_bare:8.2f}  "
          f"({(t_build + t_live - saved) * 1e3:.1f} ms)")
    alt_total = t_alt + t_live - (t_conv - t_conv2)
    print(f"with column-wise build, copy=False {alt_total / t_bare:6.2f}  "
          f"({alt_total * 1e3:.1f} ms)")

    prof = cProfile.Profile()
    prof.enable()
    compile_network(sc)
    prof.disable()
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(8)
    print("compile_network, top entries by own time:")
    print("\n".join(ln for ln in s.getvalue().splitlines()[6:22] if ln.strip()))


def main() -> None:
    """Profile the requested sizes."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="+", default=["300k", "1M"])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    for size in args.sizes:
        profile(size, args.repeat)


if __name__ == "__main__":
    main()
