"""What Benders' evaluators remember between passes: each scenario's basis and answers.

Between two Benders passes a scenario's LP changes only in the right-hand sides that the
decision shifts, so the optimal basis of its last solve stays dual feasible and nearly
optimal: the dual simplex re-solves from it in tens of iterations where it needs several
hundred from the base plan's basis (kmp, 30 scenarios: about 750 simplex iterations per
solve from the base basis, 0-50 from the scenario's own after the second pass; see
docs/benchmarks.md). And a scenario met again at a point it was solved at gives the same
answer, so it is not solved again.

Both live in the parent process (:class:`WarmStore`), never in a worker: a basis (two
int8 arrays, one status per column and per row; 35 kB on kmp, 35 MB at 1,000
scenarios) goes to the worker with its scenario and comes back with the cut. So a
scenario's answer depends only on the points it was solved at, in order, never on which
worker solved it or what that worker solved before: the executors still agree to
rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np

from oreline.solve import Solution

__all__ = ["Answers", "Basis", "Done", "WarmEvaluator", "WarmStore", "read_basis",
           "write_basis"]

#: HiGHS's basis statuses, indexed by their integer value.
_STATUS = np.array(sorted(highspy.HighsBasisStatus.__members__.values(), key=int),
                   dtype=object)
_LOWER, _BASIC, _UPPER, _ZERO = (int(highspy.HighsBasisStatus.kLower),
                                 int(highspy.HighsBasisStatus.kBasic),
                                 int(highspy.HighsBasisStatus.kUpper),
                                 int(highspy.HighsBasisStatus.kZero))


#: Called with the number of scenarios finished since the last call.
Done = Callable[[int], None]


@dataclass(frozen=True)
class Basis:
    """A simplex basis as arrays: the HiGHS status of every column and row."""

    col: np.ndarray  # int8, one per column
    row: np.ndarray  # int8, one per row

    @property
    def nbytes(self) -> int:
        """Bytes held by the two arrays."""
        return int(self.col.nbytes + self.row.nbytes)


#: Values ``(k,)``, subgradients ``(k, types)``, the bases the solves ended at and their
#: simplex iterations ``(k,)``.
Answers = tuple[np.ndarray, np.ndarray, list[Basis], np.ndarray]


def read_basis(h: highspy.Highs, sol: Solution,
               bounds: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> Basis:
    """The basis of the last solve of ``h``, from its basic variables and the solution.

    A nonbasic column or row sits at one of its bounds (``bounds`` are the column lower
    and upper and the row lower and upper bounds the solve had): the nearer one names
    its status, ``kZero`` when it has none; a fixed one is at its upper bound when its
    dual pushes it up, as HiGHS records it. The result equals ``getBasis`` (tested), but
    reads arrays where ``getBasis`` builds a Python list of 35,000 statuses on kmp
    (about 12 ms a solve).

    Examples
    --------
    >>> import highspy, numpy as np
    >>> h = highspy.Highs(); _ = h.setOptionValue("output_flag", False)
    >>> _ = h.passModel(1, 1, 1, 1, 1, 0.0, np.array([1.0]), np.array([0.0]), np.array([9.0]),
    ...                 np.array([2.0]), np.array([5.0]), np.array([0, 1], np.int32),
    ...                 np.array([0], np.int32), np.array([1.0]), np.zeros(1, np.int32))
    >>> _ = h.run()
    >>> from oreline.solve import Solution
    >>> s = h.getSolution()
    >>> sol = Solution("optimal", 2.0, np.array(s.col_value), np.array(s.col_dual),
    ...                np.array(s.row_value), np.array(s.row_dual), 1, 0.0)
    >>> b = read_basis(h, sol, (np.array([0.0]), np.array([9.0]), np.array([2.0]),
    ...                         np.array([5.0])))
    >>> b.col.tolist(), b.row.tolist()  # x = 2 basic, the row at its lower bound 2
    ([1], [0])
    """
    cl, cu, rl, ru = bounds
    _, basic = h.getBasicVariables()  # type: ignore[attr-defined]
    col = _nonbasic(sol.x, -sol.reduced_cost, cl, cu)  # HiGHS's column duals: other sign
    row = _nonbasic(sol.row_value, sol.row_dual, rl, ru)
    basic = np.asarray(basic, dtype=np.int64)
    col[basic[basic >= 0]] = _BASIC
    row[-1 - basic[basic < 0]] = _BASIC
    return Basis(col, row)


def _nonbasic(value: np.ndarray, dual: np.ndarray, lower: np.ndarray, upper: np.ndarray
              ) -> np.ndarray:
    """Status of each entry as a nonbasic one.

    At its nearer finite bound, else zero; a fixed entry at its upper bound when ``dual``
    is positive.
    """
    lo_ok, up_ok = np.isfinite(lower), np.isfinite(upper)
    to_lo = np.where(lo_ok, np.abs(value - np.where(lo_ok, lower, 0.0)), np.inf)
    to_up = np.where(up_ok, np.abs(value - np.where(up_ok, upper, 0.0)), np.inf)
    out = np.full(len(value), _ZERO, dtype=np.int8)
    out[lo_ok & (to_lo <= to_up)] = _LOWER
    out[up_ok & (to_up < to_lo)] = _UPPER
    fixed = lower == upper
    out[fixed] = np.where(dual[fixed] > 0, _UPPER, _LOWER)
    return out


def write_basis(h: highspy.Highs, basis: Basis) -> None:
    """Give ``h`` this basis as the start of its next solve."""
    b = highspy.HighsBasis()  # type: ignore[no-untyped-call]
    b.col_status = _STATUS[basis.col].tolist()
    b.row_status = _STATUS[basis.row].tolist()
    b.valid = True
    h.setBasis(b)


@dataclass
class WarmStore:
    """Per scenario: its last basis, and its answers ``(V_s, g_s)`` per point ``z``."""

    bases: dict[int, Basis] = field(default_factory=dict)
    answers: dict[tuple[int, bytes], tuple[float, np.ndarray]] = field(default_factory=dict)

    @staticmethod
    def _key(s: int, z: np.ndarray) -> tuple[int, bytes]:
        return s, np.ascontiguousarray(z, dtype=np.float64).tobytes()

    def known(self, indices: np.ndarray, Z: np.ndarray) -> np.ndarray:
        """Mask of the ``(indices[i], Z[i])`` already answered."""
        return np.array([self._key(int(s), z) in self.answers for s, z in zip(indices, Z,
                                                                              strict=True)],
                        dtype=bool)

    def recall(self, indices: np.ndarray, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The stored answers of points all known."""
        got = [self.answers[self._key(int(s), z)] for s, z in zip(indices, Z, strict=True)]
        return (np.array([v for v, _ in got], dtype=float),
                np.array([g for _, g in got], dtype=float).reshape(len(got), Z.shape[1]))

    def starts(self, indices: np.ndarray) -> list[Basis | None]:
        """The basis each scenario should start from (``None``: the base plan's)."""
        return [self.bases.get(int(s)) for s in indices]

    def keep(self, indices: np.ndarray, Z: np.ndarray, values: np.ndarray, grads: np.ndarray,
             bases: list[Basis]) -> None:
        """Remember new answers and each scenario's newest basis."""
        for s, z, v, g, b in zip(indices, Z, values, grads, bases, strict=True):
            self.answers[self._key(int(s), z)] = (float(v), np.array(g, dtype=float))
            self.bases[int(s)] = b

    @property
    def nbytes(self) -> int:
        """Bytes held by the stored bases."""
        return sum(b.nbytes for b in self.bases.values())


class WarmEvaluator:
    """Evaluation through a :class:`WarmStore`: known points recalled, the rest solved warm.

    The subclass's ``_solve`` solves each new point from its scenario's last basis. With
    ``warm`` false every point is solved from the base basis and nothing is remembered
    (how Benders ran before; kept to compare).
    """

    workers: int
    warm = True
    source: Any = None  # the SubproblemData it was made for (set by make_evaluator)

    def __init__(self) -> None:
        self.store = WarmStore()
        self.solves = 0
        self.simplex_iterations = 0

    def _solve(self, indices: np.ndarray, Z: np.ndarray, starts: list[Basis | None],
               done: Done | None) -> Answers:
        raise NotImplementedError

    def evaluate(self, indices: np.ndarray, Z: np.ndarray, done: Done | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Values ``(k,)`` and subgradients ``(k, types)`` in the order of ``indices``."""
        values = np.zeros(len(indices))
        grads = np.zeros((len(indices), Z.shape[1]))
        known = self.store.known(indices, Z) if self.warm else np.zeros(len(indices), bool)
        if known.any():
            values[known], grads[known] = self.store.recall(indices[known], Z[known])
            if done is not None:
                done(int(known.sum()))
        new = np.flatnonzero(~known)
        if len(new):
            starts: list[Basis | None] = (self.store.starts(indices[new]) if self.warm
                                          else [None] * len(new))
            v, g, bases, its = self._solve(indices[new], Z[new], starts, done)
            if self.warm:
                self.store.keep(indices[new], Z[new], v, g, bases)
            values[new], grads[new] = v, g
            self.solves += len(new)
            self.simplex_iterations += int(its.sum())
        return values, grads
