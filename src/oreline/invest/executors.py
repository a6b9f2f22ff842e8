"""Where Benders subproblems are solved: in this process, on a process pool, or on Dask.

The executors are those of ``oreline stress`` (:mod:`oreline.stress.runner`): every
worker process holds its own live HiGHS LP of the invest model (built once from a
:class:`SubproblemData` sent once), and per Benders iteration receives only scenario
indices and the modules per decision type that apply to each (``Z``, one short row per
scenario). It answers each with the plan cost ``V_s`` and its subgradient ``g_s``; the
parent turns them into cuts.

A solve sends the live model only the entries that differ from the base LP (the
scenario's events and the rows the decision shifts), starts after ``clearSolver`` from
the scenario's own last basis (the base basis at its first solve) and puts the entries
back. The parent keeps those bases and the answers already given
(:class:`oreline.invest.warm.WarmStore`): a point met again is not solved again. So a
scenario's answer does not depend on which worker solved it or what that worker solved
before: the executors agree to rounding (tested to 1e-9).
"""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import scipy.sparse as sp

from oreline.errors import ConfigError
from oreline.invest.problem import InvestProblem, ScenarioDelta
from oreline.invest.warm import (
    Answers,
    Basis,
    Done,
    WarmEvaluator,
    WarmStore,
    read_basis,
    write_basis,
)
from oreline.model import LinearProgram
from oreline.solve import LiveModel

__all__ = [
    "EXECUTORS",
    "Answer",
    "DaskEvaluator",
    "Evaluator",
    "ExecutorName",
    "InProcessEvaluator",
    "PoolEvaluator",
    "SubproblemData",
    "SubproblemSolver",
    "make_evaluator",
    "solve_chunk",
]

ExecutorName = Literal["in-process", "pool", "dask"]
EXECUTORS: tuple[str, ...] = ("in-process", "pool", "dask")


@dataclass(frozen=True)
class Answer:
    """One subproblem solve: plan cost, subgradient, optimal basis, simplex iterations."""

    value: float
    grad: np.ndarray
    basis: Basis
    iterations: int


@dataclass(frozen=True)
class SubproblemData:
    """What a worker needs to solve any scenario: the base LP, the deltas, the shifts."""

    lp: LinearProgram
    deltas: Sequence[ScenarioDelta]
    link_lower: sp.csc_matrix  # (LP rows, decision types)
    link_upper: sp.csc_matrix
    key: str  # identifies this data on a worker that keeps solvers between tasks

    def serves(self, problem: InvestProblem) -> bool:
        """Whether ``problem``'s subproblems are these (the same LP, scenarios and shifts).

        The analyses bound or re-cost the first stage of the run's problem, which leaves
        its subproblems as they were: they are solved on the run's evaluator, whose
        remembered answers stay valid.
        """
        e = problem.expansion
        return (problem.lp is self.lp and len(problem.deltas) == len(self.deltas)
                and e.link_lower.tocsc() is self.link_lower
                and e.link_upper.tocsc() is self.link_upper
                and all(a is b for a, b in zip(problem.deltas, self.deltas, strict=True)))

    @classmethod
    def of(cls, problem: InvestProblem, deltas: Sequence[ScenarioDelta] | None = None
           ) -> SubproblemData:
        """The subproblem data of ``problem`` (or of other scenario ``deltas`` on its LP)."""
        return cls(problem.lp, list(problem.deltas if deltas is None else deltas),
                   problem.expansion.link_lower.tocsc(), problem.expansion.link_upper.tocsc(),
                   uuid.uuid4().hex)


def _gather(got: list[Answer], types: int) -> Answers:
    return (np.array([a.value for a in got], dtype=float),
            np.array([a.grad for a in got], dtype=float).reshape(len(got), types),
            [a.basis for a in got], np.array([a.iterations for a in got], dtype=np.int64))


class SubproblemSolver:
    """One live LP of the invest model, solving scenarios in turn from a given basis."""

    def __init__(self, data: SubproblemData) -> None:
        self.data = data
        self.lp = data.lp
        self.live = LiveModel(copy.copy(data.lp))
        self.live.solve()
        self.basis = self.live.highs.getBasis()

    def _send(self, cols: np.ndarray, cost_cols: np.ndarray, rows: np.ndarray,
              vectors: tuple[np.ndarray, ...]) -> None:
        cl, cu, c, rl, ru = vectors
        live = self.live
        if len(cols):
            live.set_col_bounds(cols, cl[cols], cu[cols])
        if len(cost_cols):
            live.set_col_costs(cost_cols, c[cost_cols])
        if len(rows):
            live.set_row_bounds(rows, rl[rows], ru[rows])

    def solve(self, s: int, z: np.ndarray, start: Basis | None = None) -> Answer:
        """Plan cost ``V_s`` of scenario ``s`` with modules ``z`` per type, and more.

        The answer holds the subgradient, the optimal basis and the simplex iterations;
        the solve starts from ``start`` (default: the base plan's basis). Only the entries
        that differ from the base LP are sent, and put back afterwards.
        """
        d, lp, data = self.data.deltas[s], self.lp, self.data
        on = np.flatnonzero(z)
        shifted = np.union1d(data.link_lower[:, on].indices, data.link_upper[:, on].indices)
        rows = np.union1d(d.rows, shifted).astype(np.int64)
        rl, ru = lp.row_lower.copy(), lp.row_upper.copy()
        rl[d.rows], ru[d.rows] = d.row_lower, d.row_upper
        rl += data.link_lower @ z
        ru += data.link_upper @ z
        cl, cu, c = lp.col_lower.copy(), lp.col_upper.copy(), lp.cost.copy()
        cl[d.cols], cu[d.cols] = d.col_lower, d.col_upper
        c[d.cost_cols] = d.cost
        self._send(d.cols, d.cost_cols, rows, (cl, cu, c, rl, ru))
        try:
            h = self.live.highs
            h.clearSolver()  # the same start whatever ran here before
            if start is None:
                h.setBasis(self.basis)
            else:
                write_basis(h, start)
            sol = self.live.solve()
            basis = read_basis(h, sol, (cl, cu, rl, ru))
        finally:
            self._send(d.cols, d.cost_cols, rows, (lp.col_lower, lp.col_upper, lp.cost,
                                                  lp.row_lower, lp.row_upper))
        dual = sol.row_dual
        grad = data.link_lower.T @ np.where(dual > 0, dual, 0.0) + \
            data.link_upper.T @ np.where(dual < 0, dual, 0.0)
        return Answer(float(sol.objective), np.asarray(grad, dtype=float), basis,
                      sol.iterations)

    def solve_many(self, indices: np.ndarray, Z: np.ndarray,
                   starts: Sequence[Basis | None] | None = None) -> Answers:
        """``V_s``, subgradients and bases for scenarios ``indices`` with rows of ``Z``."""
        got = [self.solve(int(s), Z[i], None if starts is None else starts[i])
               for i, s in enumerate(indices)]
        return _gather(got, Z.shape[1])


# ------------------------------------------------------------------ worker-side state

_SOLVERS: dict[str, SubproblemSolver] = {}
_KEEP = 2


def _solver_for(data: SubproblemData) -> SubproblemSolver:
    if data.key not in _SOLVERS:
        if len(_SOLVERS) >= _KEEP:
            _SOLVERS.pop(next(iter(_SOLVERS)))
        _SOLVERS[data.key] = SubproblemSolver(data)
    return _SOLVERS[data.key]


_POOL_DATA: list[SubproblemData] = []


def _pool_init(data: SubproblemData) -> None:
    _POOL_DATA[:] = [data]


def _pool_chunk(indices: np.ndarray, Z: np.ndarray, starts: list[Basis | None]) -> Answers:
    return _solver_for(_POOL_DATA[0]).solve_many(indices, Z, starts)


def solve_chunk(data: SubproblemData, indices: np.ndarray, Z: np.ndarray,
                starts: list[Basis | None] | None = None) -> Answers:
    """Solve a chunk on this process's cached solver of ``data`` (the Dask task)."""
    return _solver_for(data).solve_many(indices, Z, starts)


# ------------------------------------------------------------------ evaluators


class Evaluator(Protocol):
    """Solves scenario subproblems somewhere; ``close`` frees its workers."""

    name: str
    workers: int
    store: WarmStore
    source: SubproblemData  # what its workers solve
    solves: int  # subproblems solved so far (points recalled from the store not counted)
    simplex_iterations: int  # their simplex iterations

    def evaluate(self, indices: np.ndarray, Z: np.ndarray, done: Done | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Values ``(k,)`` and subgradients ``(k, types)`` in the order of ``indices``."""
        ...

    def close(self) -> None:
        """Stop the workers this evaluator started."""
        ...


def _chunks(n: int, workers: int) -> list[np.ndarray]:
    size = max(1, min(25, n // (workers * 4) or 1))
    return [np.arange(i, min(n, i + size)) for i in range(0, n, size)]


class InProcessEvaluator(WarmEvaluator):
    """Subproblems solved one after another in this process."""

    name = "in-process"
    workers = 1

    def __init__(self, data: SubproblemData) -> None:
        super().__init__()
        self.solver = SubproblemSolver(data)

    def _solve(self, indices: np.ndarray, Z: np.ndarray, starts: list[Basis | None],
               done: Done | None) -> Answers:
        """Solve in order, reporting every scenario."""
        got = []
        for i, s in enumerate(indices):
            got.append(self.solver.solve(int(s), Z[i], starts[i]))
            if done is not None:
                done(1)
        return _gather(got, Z.shape[1])

    def close(self) -> None:
        """Nothing to stop."""


class _Chunked(WarmEvaluator):
    """Common gathering of chunk results into arrays in the order of the indices."""

    def _submit(self, indices: np.ndarray, Z: np.ndarray, starts: list[Basis | None]) -> Any:
        raise NotImplementedError

    def _completed(self, futures: list[Any]) -> Any:
        raise NotImplementedError

    def _solve(self, indices: np.ndarray, Z: np.ndarray, starts: list[Basis | None],
               done: Done | None) -> Answers:
        """Send chunks, gather their answers as they finish."""
        chunks = _chunks(len(indices), self.workers)
        futures = [self._submit(indices[c], Z[c], [starts[i] for i in c]) for c in chunks]
        where = {id(f): c for f, c in zip(futures, chunks, strict=True)}
        values = np.zeros(len(indices))
        grads = np.zeros((len(indices), Z.shape[1]))
        its = np.zeros(len(indices), dtype=np.int64)
        bases: list[Basis | None] = [None] * len(indices)
        for fut in self._completed(futures):
            pos = where[id(fut)]
            values[pos], grads[pos], got, its[pos] = fut.result()
            for i, b in zip(pos, got, strict=True):
                bases[i] = b
            if done is not None:
                done(len(pos))
        return values, grads, [b for b in bases if b is not None], its


class PoolEvaluator(_Chunked):
    """A local pool of ``workers`` processes, each with its own live LP."""

    name = "pool"

    def __init__(self, data: SubproblemData, workers: int) -> None:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        super().__init__()
        self.workers = workers
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                        initializer=_pool_init, initargs=(data,))

    def _submit(self, indices: np.ndarray, Z: np.ndarray, starts: list[Basis | None]) -> Any:
        return self.pool.submit(_pool_chunk, indices, Z, starts)

    def _completed(self, futures: list[Any]) -> Any:
        from concurrent.futures import as_completed

        return as_completed(futures)

    def close(self) -> None:
        """Shut the pool down."""
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskEvaluator(_Chunked):
    """A Dask ``LocalCluster`` of ``workers`` processes, or the cluster at ``scheduler``."""

    name = "dask"

    def __init__(self, data: SubproblemData, workers: int | None, scheduler: str | None
                 ) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:
            raise ConfigError("--executor dask: dask.distributed is not installed; "
                              "pip install 'oreline[dask]'") from exc
        super().__init__()
        self.cluster = None
        if scheduler is None:
            self.cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1,
                                        threads_per_worker=1, processes=True,
                                        dashboard_address=None)
        try:
            self.client = Client(scheduler or self.cluster, timeout="30s")
        except (OSError, TimeoutError) as exc:
            self._close_cluster()
            raise ConfigError(f"--scheduler {scheduler}: cannot reach the Dask scheduler "
                              f"({exc}); check the address (tcp://host:8786) and that it "
                              "is running") from None
        self.workers = max(1, len(self.client.scheduler_info()["workers"]))
        self.data = self.client.scatter(data, broadcast=True)

    def _submit(self, indices: np.ndarray, Z: np.ndarray, starts: list[Basis | None]) -> Any:
        return self.client.submit(solve_chunk, self.data, indices, Z, starts, pure=False)

    def _completed(self, futures: list[Any]) -> Any:
        from dask.distributed import as_completed

        return as_completed(futures)

    def _close_cluster(self) -> None:
        if self.cluster is not None:
            self.cluster.close()

    def close(self) -> None:
        """Close the client, and the local cluster if this evaluator started it."""
        self.client.close()
        self._close_cluster()


def make_evaluator(data: SubproblemData, executor: str = "in-process",
                   workers: int | None = None, scheduler: str | None = None,
                   warm: bool = True) -> Evaluator:
    """The evaluator of ``executor`` (``in-process``, ``pool`` or ``dask``).

    ``warm=False`` solves every point from the base basis and remembers nothing (to
    compare; the answers agree to rounding).

    Raises
    ------
    ConfigError
        For an unknown executor or fewer than one worker.
    """
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers {workers}: use 1 or more")
    ev: WarmEvaluator
    if executor == "in-process":
        ev = InProcessEvaluator(data)
    elif executor == "pool":
        ev = PoolEvaluator(data, workers or os.cpu_count() or 1)
    elif executor == "dask":
        ev = DaskEvaluator(data, workers, scheduler)
    else:
        raise ConfigError(f"unknown executor {executor!r}; use in-process, pool or dask")
    ev.warm = warm
    ev.source = data
    return ev  # type: ignore[return-value]
