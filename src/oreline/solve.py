"""HiGHS adapter: one ``passModel``, status mapping, live model for warm re-solves.

A :class:`LiveModel` keeps the HiGHS instance and its basis after a solve, so a
scenario change is a vector update (``set_col_bounds``, ``set_col_costs``,
``set_row_bounds``) followed by a warm :meth:`LiveModel.solve`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np

from oreline.errors import SolverError
from oreline.model.matrix import LinearProgram
from oreline.settings import Settings

__all__ = ["LiveModel", "Solution", "solve"]

_INF = highspy.kHighsInf


@dataclass
class Solution:
    """Primal and dual values of one solve (minimisation form)."""

    status: str
    objective: float
    x: np.ndarray
    reduced_cost: np.ndarray
    row_value: np.ndarray
    row_dual: np.ndarray
    iterations: int
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def _finite(a: np.ndarray) -> np.ndarray:
    """Float64 array with infinities as HiGHS's infinity (no copy when nothing changes)."""
    out = np.ascontiguousarray(a, dtype=np.float64)
    if np.isinf(_INF):
        return out
    return np.clip(out, -_INF, _INF)  # pragma: no cover - HiGHS builds with a finite infinity


class LiveModel:
    """A compiled LP loaded into HiGHS, kept alive for warm re-solves.

    Examples
    --------
    >>> from oreline.scenario import load_scenario
    >>> from oreline.network import compile_network
    >>> from oreline.model import build_model
    >>> live = LiveModel(build_model(compile_network(load_scenario("tiny"))))
    >>> round(-live.solve().objective)
    151500

    """

    def __init__(self, lp: LinearProgram, settings: Settings | None = None) -> None:
        self.lp = lp
        self.settings = settings or Settings.from_env()
        self.highs = highspy.Highs()  # type: ignore[no-untyped-call]
        h = self.highs
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", int(self.settings.solver_threads))
        if self.settings.solver_time_limit is not None:
            h.setOptionValue("time_limit", float(self.settings.solver_time_limit))
        for key, value in self.settings.highs_options.items():
            h.setOptionValue(key, value)  # type: ignore[arg-type]
        t0 = time.perf_counter()
        a = lp.matrix
        status = h.passModel(
            lp.n_cols, lp.n_rows, int(a.nnz), int(highspy.MatrixFormat.kColwise),
            int(highspy.ObjSense.kMinimize), 0.0,
            _finite(lp.cost), _finite(lp.col_lower), _finite(lp.col_upper),
            _finite(lp.row_lower), _finite(lp.row_upper),
            a.indptr.astype(np.int32, copy=False), a.indices.astype(np.int32, copy=False),
            a.data.astype(np.float64, copy=False),
            np.zeros(lp.n_cols, dtype=np.int32),
        )
        self.load_seconds = time.perf_counter() - t0
        if status == highspy.HighsStatus.kError:
            raise SolverError("HiGHS rejected the model (passModel returned an error); "
                              "report this as a bug with the scenario attached")

    # ---- vector updates (no rebuild)
    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change bounds of some columns."""
        cols = np.asarray(cols, dtype=np.int32)
        self.highs.changeColsBounds(len(cols), cols, _finite(lower), _finite(upper))

    def set_col_costs(self, cols: np.ndarray, cost: np.ndarray) -> None:
        """Change objective coefficients of some columns."""
        cols = np.asarray(cols, dtype=np.int32)
        self.highs.changeColsCost(len(cols), cols, _finite(cost))

    def set_row_bounds(self, rows: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change bounds (right-hand sides) of some rows."""
        rows = np.asarray(rows, dtype=np.int32)
        self.highs.changeRowsBounds(  # type: ignore[attr-defined]
            len(rows), rows, _finite(lower), _finite(upper)
        )

    def clear_basis(self) -> None:
        """Forget the basis so that the next solve starts cold."""
        self.highs.clearSolver()

    def solve(self) -> Solution:
        """Run HiGHS (warm from the current basis if there is one) and read the solution.

        Raises
        ------
        SolverError
            When HiGHS ends without an optimal solution; the message says why.

        """
        h = self.highs
        t0 = time.perf_counter()
        h.run()
        t1 = time.perf_counter()
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverError(self._diagnose(status))
        sol = h.getSolution()
        info = h.getInfo()
        out = Solution(
            status="optimal",
            objective=float(info.objective_function_value),
            x=np.asarray(sol.col_value),
            reduced_cost=np.asarray(sol.col_dual),
            row_value=np.asarray(sol.row_value),
            row_dual=np.asarray(sol.row_dual),
            iterations=int(info.simplex_iteration_count),
            seconds=t1 - t0,
        )
        out.timings = {"load": self.load_seconds, "solve": t1 - t0,
                       "read": time.perf_counter() - t1}
        return out

    def _diagnose(self, status: highspy.HighsModelStatus) -> str:
        text = self.highs.modelStatusToString(status)
        if status == highspy.HighsModelStatus.kInfeasible:
            return (f"the plan is infeasible ({text}). Unmet demand is always allowed, so hard "
                    "limits contradict each other: check contract 'min' purchases against "
                    "storage capacity, lanes and process capacity. " + self._conflict())
        if status == highspy.HighsModelStatus.kTimeLimit:
            return (f"HiGHS stopped at the time limit ({text}); raise ORELINE_SOLVER_TIME_LIMIT "
                    "or shorten the horizon")
        return f"HiGHS ended with status {text!r}; no usable plan"


    def _conflict(self, most: int = 12) -> str:
        """Name the limits of an irreducible infeasible subsystem (HiGHS IIS)."""
        h = self.highs
        try:
            h.setOptionValue("iis_strategy", 4)
            status, iis = h.getIis()
        except Exception:  # pragma: no cover - older HiGHS without IIS
            return ""
        if status != highspy.HighsStatus.kOk or not iis.valid_:
            return ""
        lp = self.lp
        rows = [lp.row_label(int(i)) for i in iis.row_index_]
        cols = [lp.col_label(int(j)) for j in iis.col_index_
                if lp.col_lower[int(j)] > 0 or np.isfinite(lp.col_upper[int(j)])]
        items = rows + [f"bounds of {c}" for c in cols]
        more = f" and {len(items) - most} more" if len(items) > most else ""
        return "These limits conflict: " + "; ".join(items[:most]) + more + "."


def solve(lp: LinearProgram, settings: Settings | None = None) -> tuple[LiveModel, Solution]:
    """Load ``lp`` into HiGHS and solve it; return the live model and the solution."""
    live = LiveModel(lp, settings)
    return live, live.solve()
