"""An exact Benders master by dynamic programming over the scenario tree.

The master of :mod:`oreline.invest.benders` chooses the decisions ``y`` (one column per
decision type and tree node) to maximise ``sum_s p_s (theta_s - k . z_s)``, where
``z_s = M_s y`` are the modules per decision type on scenario ``s``'s path and
``theta_s`` is bounded by the scenario's cuts. Every path is bound by the same rows
(modules, prerequisites, exclusions, budgets), so the decisions a path can carry form
one finite set ``F`` of vectors ``z`` (:class:`DecisionSpace`). When ``F`` is small, as
it is for a handful of options (kmp: 1,800 vectors of ten decision types), the master is
solved exactly without branching:

1. ``theta_s(z)`` for every scenario and every ``z`` in ``F``: the least of the
   scenario's cuts, kept as an ``(S, |F|)`` table and lowered as cuts arrive;
2. backwards over the stages: a node's value of ``z`` is the sum of its children's;
   at stage ``t`` each node keeps, for every choice of the earlier stages' modules, the
   best of its own stage's (non-anticipativity: the scenarios of a node share it);
3. forwards: the root's best ``z``, then each node's best given its parent's choice.

This is the same optimum the MILP master finds (the tests compare them), with no MIP
gap, in time linear in scenarios x ``|F|``: at 1,000 kmp scenarios about a tenth of a
second for a run's masters, where HiGHS's branch and bound over 5,000 integer wait
decisions took minutes. With a CVaR weight the scenarios' choices are coupled only
through the threshold ``eta``; for a fixed ``eta`` the programme above applies, and
``eta`` is found by branch and bound over the values it can take
(:meth:`TreeMaster._solve_cvar`).
Problems whose paths carry different rows, or whose ``F`` is large, stay with the MILP
(:func:`oreline.invest.benders.make_master` chooses).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from oreline.errors import SolverError
from oreline.invest.problem import InvestProblem

__all__ = ["MASTER_LIMIT", "BendersMaster", "DecisionSpace", "TreeMaster"]

#: Largest ``scenarios x |F|`` table the tree master keeps (about 400 MB of float64).
MASTER_LIMIT = 50_000_000
#: Largest number of candidate vectors enumerated to find ``F``.
ENUMERATION_LIMIT = 2_000_000


class BendersMaster(Protocol):
    """What Benders needs of a master: cuts in, decisions and an upper bound out."""

    exact: bool

    def add_cuts(self, s: np.ndarray, const: np.ndarray, slope: np.ndarray) -> None:
        """Rows ``theta_s <= const_i - slope_i . z_s``."""

    def set_gap(self, gap: float) -> None:
        """Relative gap at which the next solves may stop."""

    def solve(self) -> tuple[np.ndarray, float]:
        """Best ``y`` and an upper bound on the master's value."""


@dataclass(frozen=True)
class DecisionSpace:
    """Every vector of modules per decision type that one path's rows allow.

    ``z`` is ``(|F|, types)``, in lexicographic order from building nothing, so that
    among equally good choices the one building least early is taken.
    """

    z: np.ndarray
    stage: np.ndarray  # stage of each decision type

    @classmethod
    def of(cls, problem: InvestProblem, limit: int = ENUMERATION_LIMIT) -> DecisionSpace | None:
        """Enumerate ``F``; ``None`` when the paths differ or there are over ``limit``.

        The paths differ when a column's bound or a row is not the same on every path
        (a row tying several nodes, such as "build this option somewhere", or a column
        held at one node only): then only the MILP master is exact.
        """
        f, J = problem.first, len(problem.types)
        # local index of a column on its path: its type; an indicator: J + its column's type
        local = np.where(f.col_type >= 0, f.col_type, J + f.col_type[np.maximum(f.follows, 0)])
        up = _same_per_local(local, f.upper, 2 * J)
        rows = _path_rows(problem, local)
        if up is None or rows is None:
            return None
        up_z = np.round(up[:J]).astype(np.int64)
        if float(np.prod(up_z + 1.0)) > limit:
            return None
        z = (np.indices(tuple(up_z + 1)).reshape(J, -1).T.astype(float) if J  # lexicographic
             else np.zeros((1, 0)))  # no decision type: the one empty vector
        x = np.hstack([z, (z > 0).astype(float)])  # an indicator is 1 where its type builds
        a, lo, hi = rows
        act = x @ a.T
        # each row's own tolerance: a budget of billions must not loosen a modules row
        tol = 1e-9 * np.maximum(1.0, np.maximum(np.where(np.isfinite(lo), np.abs(lo), 0.0),
                                                np.where(np.isfinite(hi), np.abs(hi), 0.0)))
        ok = np.all((act >= lo - tol) & (act <= hi + tol), axis=1) & np.all(x <= up + 1e-9, 1)
        return cls(z[ok], np.array([t.stage for t in problem.types], dtype=np.int64))


def _same_per_local(local: np.ndarray, upper: np.ndarray, width: int) -> np.ndarray | None:
    """Each local column's upper bound, if every column with that local index has it."""
    lo = np.full(width, np.inf)
    hi = np.full(width, -np.inf)
    np.minimum.at(lo, local, upper)
    np.maximum.at(hi, local, upper)
    seen = hi > -np.inf  # a local index no column has keeps lo = inf: no bound
    return None if np.any(lo[seen] != hi[seen]) else lo


def _path_rows(problem: InvestProblem, local: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """One path's rows in local columns ``(A, lower, upper)``, if every path has the same.

    A row binds a path when all its columns are on it; every row must bind some path.
    """
    f, J = problem.first, len(problem.types)
    rows = f.rows.tocsr()
    pattern = rows.copy()
    pattern.data[:] = 1.0
    width = np.diff(rows.indptr)
    hits = (f.path.tocsr().astype(float) @ pattern.T).tocsr()  # (S, rows) columns on path
    hits.data = (hits.data == width[hits.indices]).astype(float)
    hits.eliminate_zeros()
    if rows.shape[0] and np.any(np.asarray(hits.sum(axis=0)).ravel() == 0):
        return None
    keys = []
    for r in range(rows.shape[0]):
        cols = rows.indices[rows.indptr[r]:rows.indptr[r + 1]]
        vals = rows.data[rows.indptr[r]:rows.indptr[r + 1]]
        keys.append((tuple(sorted(zip(local[cols].tolist(), np.round(vals, 9).tolist(),
                                      strict=True))), float(f.row_lower[r]),
                     float(f.row_upper[r])))
    ids = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    key_id = np.array([ids[k] for k in keys], dtype=np.int64)
    first = None
    for s in range(hits.shape[0]):
        mine = frozenset(key_id[hits.indices[hits.indptr[s]:hits.indptr[s + 1]]].tolist())
        if first is None:
            first = mine
        elif mine != first:
            return None
    uniq = list(ids)
    chosen = sorted(first or ())
    a = np.zeros((len(chosen), 2 * J))
    for row, i in enumerate(chosen):
        for c, v in uniq[i][0]:
            a[row, c] += v
    return (a, np.array([uniq[i][1] for i in chosen]), np.array([uniq[i][2] for i in chosen]))


class TreeMaster:
    """The master solved exactly by dynamic programming (module docstring).

    With a risk weight ``w`` the objective is ``(1 - w) E[v] + w (eta - E[(eta - v)+] /
    (1 - alpha))`` over the decisions and ``eta`` (Rockafellar-Uryasev, as the MILP
    master has it). For a fixed ``eta`` each scenario's term is nondecreasing in its own
    ``v``, so the tree's dynamic programme still applies; ``eta`` is then found by
    branch and bound over the values ``eta`` can take (:meth:`_solve_cvar`).
    """

    exact = True

    def __init__(self, problem: InvestProblem, space: DecisionSpace, w: float = 0.0,
                 alpha: float = 0.95) -> None:
        f = problem.first
        self.problem, self.space, self.w, self.alpha = problem, space, float(w), alpha
        self.S, self.n = problem.n_scenarios, f.n
        self.theta = np.full((self.S, len(space.z)), np.inf)
        self.kz = space.z @ problem.expansion.cost  # first-stage cost of each vector
        build = np.flatnonzero(f.col_type >= 0)
        self.where = {(int(f.col_type[c]), int(f.col_node[c])): int(c) for c in build}
        self.evaluations = 0  # dynamic programmes run (one per eta tried)
        nodes, K = problem.nodes, problem.nodes.shape[1]
        # per stage, last first: the matrix summing children into the stage's nodes, and
        # the groups of vectors that agree on the earlier stages
        self.steps: list[tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray]] = []
        parent = nodes[:, K - 1]
        for t in range(K - 1, -1, -1):
            N = int(nodes[:, t].max()) + 1
            agg = sp.csr_matrix((np.ones(len(parent)), (parent, np.arange(len(parent)))),
                                shape=(N, len(parent)))
            groups = _groups(space.z[:, space.stage < t])
            order = np.argsort(groups, kind="stable")  # group members together, once
            start = np.flatnonzero(np.r_[True, groups[order][1:] != groups[order][:-1]])
            self.steps.append((agg, groups, order, start))
            if t:
                parent = _parents(nodes, t)

    def add_cuts(self, s: np.ndarray, const: np.ndarray, slope: np.ndarray) -> None:
        """Lower each scenario's ``theta_s(z)`` on ``F`` by its new cuts."""
        if not len(s):
            return
        s = np.asarray(s, dtype=np.int64)
        val = np.asarray(const, float)[:, None] - np.asarray(slope, float) @ self.space.z.T
        order = np.argsort(s, kind="stable")
        s_sorted = s[order]
        start = np.flatnonzero(np.r_[True, s_sorted[1:] != s_sorted[:-1]])
        low = np.minimum.reduceat(val[order], start, axis=0)
        rows = s_sorted[start]
        self.theta[rows] = np.minimum(self.theta[rows], low)

    def set_gap(self, gap: float) -> None:
        """Nothing to set: the tree master is always solved exactly."""

    def solve(self) -> tuple[np.ndarray, float]:
        """Best ``y`` and the master's optimum (an upper bound, exact to 1e-10).

        Raises
        ------
        SolverError
            When a scenario has no cut yet (the master is unbounded).
        """
        if not np.isfinite(self.theta).all():
            raise SolverError("the Benders master is unbounded: a scenario has no cut yet")
        v = self.theta - self.kz[None, :]  # (S, F): each scenario's NPV under each vector
        if self.w == 0:
            tables, best = self._dp(self.problem.probability[:, None] * v)
            return self._decisions(tables), best
        return self._solve_cvar(v)

    def _dp(self, contrib: np.ndarray) -> tuple[list[tuple[np.ndarray, np.ndarray]], float]:
        """Backward pass over ``contrib`` (each scenario's term under each vector)."""
        self.evaluations += 1
        value = contrib
        tables: list[tuple[np.ndarray, np.ndarray]] = []  # per stage: node values, groups
        for agg, groups, order, start in self.steps:
            value = agg @ value
            tables.append((value, groups))
            # each node's best within each group, put back on every vector of the group
            value = np.maximum.reduceat(value[:, order], start, axis=1)[:, groups]
        tables.reverse()
        # several first-stage nodes (an event that started before the horizon makes its
        # own history at the first decision month) decide apart: their bests add up
        return tables, float(tables[0][0].max(axis=1).sum())

    def _solve_cvar(self, v: np.ndarray, limit: int = 5_000) -> tuple[np.ndarray, float]:
        """Branch and bound over ``eta`` (the mean-CVaR objective, see the class docstring).

        ``H(eta) = w eta + DP(eta)``, where ``DP(eta)`` is the best sum over the tree of
        ``p_s ((1 - w) v_s - c (eta - v_s)+)``, ``c = w / (1 - alpha)``. Between two
        consecutive values of ``v`` (over every scenario and vector) each decision's
        objective is linear in ``eta``, so ``H``, their maximum, is convex there and its
        maximum is at one of the values: only they are tried. ``DP`` falls as ``eta``
        rises, so over the values from ``a`` to ``b``, ``H <= w b + DP(a)``; ranges whose
        bound does not beat the best ``H`` by 1e-9 (relative) are dropped, the others
        split at their middle value. The bound returned is the greatest left (after
        ``limit`` programmes, if any remain), so it is valid to that 1e-9 (far inside
        Benders' gaps).
        """
        p, w = self.problem.probability[:, None], self.w
        c = w / (1.0 - self.alpha)
        eta = np.unique(v)

        def at(i: int) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
            tables, best = self._dp(p * ((1.0 - w) * v - c * np.maximum(0.0, eta[i] - v)))
            return best, tables

        last = len(eta) - 1
        dp_lo, tab_lo = at(0)
        dp_hi, tab_hi = at(last)
        best, tables = (w * eta[0] + dp_lo, tab_lo)
        if w * eta[last] + dp_hi > best:
            best, tables = w * eta[last] + dp_hi, tab_hi
        heap = [(-(w * eta[last] + dp_lo), 0, last, dp_lo)] if last > 1 else []
        for _ in range(limit):
            tol = 1e-9 * max(1.0, abs(best))
            if not heap or -heap[0][0] <= best + tol:
                break
            _, i, j, dp_i = heapq.heappop(heap)
            m = (i + j) // 2
            dp_m, tab_m = at(m)
            if w * eta[m] + dp_m > best:
                best, tables = w * eta[m] + dp_m, tab_m
            for ub, a, b, d in ((w * eta[m] + dp_i, i, m, dp_i),
                                (w * eta[j] + dp_m, m, j, dp_m)):
                if b - a > 1 and ub > best + tol:  # else no value inside: H convex there
                    heapq.heappush(heap, (-ub, a, b, d))
        left = [-h[0] for h in heap]
        return self._decisions(tables), max([best, *left])

    def _decisions(self, tables: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Forward pass: each node's best vector given its parent's choice, as ``y``."""
        nodes, z, f = self.problem.nodes, self.space.z, self.problem.first
        chosen = np.zeros(1, dtype=np.int64)  # index into F, per node of the stage
        y = np.zeros(self.n)
        for t, (value, groups) in enumerate(tables):
            N = value.shape[0]
            if t == 0:
                pick = np.argmax(value, axis=1)  # each first-stage node's best
            else:
                g = groups[chosen[_parents(nodes, t)]]
                pick = np.array([_first_best(value[i], groups, g[i]) for i in range(N)])
            for j in np.flatnonzero(self.space.stage == t):
                for node in range(N):
                    c = self.where.get((int(j), node))
                    if c is not None:
                        y[c] = z[pick[node], j]
            chosen = pick
        ind = np.flatnonzero(f.col_type < 0)
        y[ind] = (y[f.follows[ind]] > 0).astype(float)
        return y


def _parents(nodes: np.ndarray, t: int) -> np.ndarray:
    """Node at stage ``t - 1`` of every node at stage ``t``."""
    out = np.zeros(int(nodes[:, t].max()) + 1, dtype=np.int64)
    out[nodes[:, t]] = nodes[:, t - 1]
    return out


def _groups(prefix: np.ndarray) -> np.ndarray:
    """Group id of every row of ``prefix`` (the earlier stages' modules)."""
    if prefix.shape[1] == 0:
        return np.zeros(len(prefix), dtype=np.int64)
    _, inverse = np.unique(prefix, axis=0, return_inverse=True)
    return np.asarray(inverse, dtype=np.int64).ravel()


def _first_best(row: np.ndarray, groups: np.ndarray, g: int) -> int:
    """Index of the first vector of group ``g`` with the row's best value in it."""
    members = np.flatnonzero(groups == g)
    return int(members[np.argmax(row[members])])
