"""Sweeps: sample scenarios, apply them to live HiGHS models, collect metrics.

Every sample is drawn in the parent process from ``(seed, sample index)`` and
every solve starts from the base plan's basis, so a sweep gives the same numbers
whichever executor runs it: in-process, a local process pool, or Dask.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from oreline.errors import Issue, SolverError, StressError
from oreline.model import build_model
from oreline.network import compile_network
from oreline.results.kpis import KpiLayout
from oreline.scenario import Scenario
from oreline.solve import LiveModel
from oreline.stress.apply import Occurrence, StressContext, occurrence
from oreline.stress.events import StressFile

__all__ = [
    "Sample",
    "SweepResult",
    "Worker",
    "draw_samples",
    "named_samples",
    "run_chunk",
    "run_sweep",
    "worker_for",
]

#: Relative tolerance between a warm and a cold solve of the same sample.
COLD_RTOL = 1e-6


@dataclass(frozen=True)
class Sample:
    """One scenario of a sweep: its index, name and concrete events."""

    index: int
    name: str
    occurrences: tuple[Occurrence, ...]
    cold_check: bool = False

    @property
    def label(self) -> str:
        """Events of the sample in one line."""
        return "; ".join(o.label for o in self.occurrences) or "(none)"


class Worker:
    """A live model of the base scenario that solves samples from the base basis."""

    def __init__(self, scenario: Scenario) -> None:
        self.lp = build_model(compile_network(scenario))
        self.live = LiveModel(self.lp)
        self.base_solution = self.live.solve()
        self.basis = self.live.highs.getBasis()
        self.ctx = StressContext(self.lp)
        self._prepare_metrics()
        self.base = self.metrics(self.base_solution.x, self.lp.cost, self.lp.row_lower)

    def _prepare_metrics(self) -> None:
        net = self.lp.net
        self.layout = KpiLayout.of(self.lp)
        self.customers = [str(c) for c in net.customers]
        sc = net.scenario
        self.mode_product = np.array([sc.processes[p].main_output for p in net.modes.process],
                                     dtype=object)
        self.products = sorted(set(self.mode_product))

    def metrics(self, x: np.ndarray, cost: np.ndarray, row_lower: np.ndarray
                ) -> dict[str, float]:
        """Margin, revenue, penalty, shortfall and fill per customer, DFARS-clean output.

        Read by :meth:`oreline.results.kpis.KpiLayout.kpis`, the code behind a plan's
        KPIs; the demand is the (possibly stressed) right-hand side of the demand rows.
        """
        lp = self.lp
        demand = row_lower[lp.row_slice("Customer-demand")].reshape(-1, lp.net.n_periods)
        k = self.layout.kpis(x, cost, demand)
        s = k.scalars
        out: dict[str, float] = {
            "objective": s["objective_discounted"], "margin": s["margin"],
            "revenue": s["revenue"], "penalty": s["shortfall_penalty"],
            "demand_t": s["demand_t"], "shortfall_t": s["shortfall_t"],
            "fill_rate": s["fill_rate"],
        }
        for c, short, fill in zip(self.customers, k.shortfall, k.fill, strict=True):
            out[f"shortfall_t:{c}"] = float(short)
            out[f"fill_rate:{c}"] = float(fill)
        clean = k.dfars_clean.sum(axis=1)
        for product in self.products:
            out[f"dfars_clean_t:{product}"] = float(clean[self.mode_product == product].sum())
        return out

    def run(self, sample: Sample) -> dict[str, Any]:
        """Apply a sample, solve it warm from the base basis, read metrics, restore the base."""
        ch = self.ctx.apply(list(sample.occurrences))
        lp, live = self.lp, self.live
        cb = np.flatnonzero((ch.col_lower != lp.col_lower) | (ch.col_upper != lp.col_upper))
        cc = np.flatnonzero(ch.cost != lp.cost)
        rb = np.flatnonzero((ch.row_lower != lp.row_lower) | (ch.row_upper != lp.row_upper))
        t0 = time.perf_counter()
        try:
            self._send(cb, cc, rb, ch.col_lower, ch.col_upper, ch.cost, ch.row_lower,
                       ch.row_upper)
            live.highs.clearSolver()  # same starting state whatever ran before here
            live.highs.setBasis(self.basis)
            try:
                sol = live.solve()
            except SolverError as exc:
                raise StressError([Issue(f"sample {sample.index}", "", str(exc),
                                         f"events of the sample: {sample.label}")]) from None
            row: dict[str, Any] = {"sample": sample.index, "name": sample.name,
                                   "events": sample.label, "changed": len(cb) + len(cc) + len(rb),
                                   "iterations": sol.iterations}
            row.update(self.metrics(sol.x, ch.cost, ch.row_lower))
            row["seconds"] = time.perf_counter() - t0
            if sample.cold_check:
                live.clear_basis()
                cold = live.solve()
                row["cold_objective"] = -cold.objective
        finally:
            self._send(cb, cc, rb, lp.col_lower, lp.col_upper, lp.cost, lp.row_lower,
                       lp.row_upper)
        return row

    def _send(self, cb: np.ndarray, cc: np.ndarray, rb: np.ndarray, col_lower: np.ndarray,
              col_upper: np.ndarray, cost: np.ndarray, row_lower: np.ndarray,
              row_upper: np.ndarray) -> None:
        """Send the entries ``cb``/``cc``/``rb`` of these vectors to the live model."""
        if len(cb):
            self.live.set_col_bounds(cb, col_lower[cb], col_upper[cb])
        if len(cc):
            self.live.set_col_costs(cc, cost[cc])
        if len(rb):
            self.live.set_row_bounds(rb, row_lower[rb], row_upper[rb])


# ---------------------------------------------------------------------------- samples


def draw_samples(stress: StressFile, ctx: StressContext, n: int | None = None,
                 seed: int | None = None) -> list[Sample]:
    """Monte Carlo samples; sample ``i`` depends only on ``(seed, i)``."""
    n = stress.samples if n is None else n
    seed = stress.seed if seed is None else seed
    checks = set(np.linspace(0, n - 1, min(stress.cold_check, n)).round().astype(int).tolist()) \
        if stress.cold_check else set()
    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        occs = [o for ev in stress.events if (o := occurrence(ev, ctx, rng)) is not None]
        out.append(Sample(i, f"mc-{i}", tuple(occs), i in checks))
    return out


def named_samples(stress: StressFile, ctx: StressContext) -> list[Sample]:
    """The file's named deterministic scenarios, each event at its median."""
    by_id = {e.id: e for e in stress.events}
    out = []
    for i, sc in enumerate(stress.scenarios):
        occs = [o for e in sc.events if (o := occurrence(by_id[e], ctx, None, 0.5)) is not None]
        out.append(Sample(i, sc.name, tuple(occs), cold_check=True))
    return out


# ---------------------------------------------------------------------------- executors

_WORKERS: dict[int, Worker] = {}
#: Live models kept per process: a base scenario and its mitigation.
_KEEP = 2


def worker_for(scenario: Scenario) -> Worker:
    """Live model of ``scenario`` in this process, built once and reused."""
    key = hash(scenario.model_dump_json())
    if key not in _WORKERS:
        if len(_WORKERS) >= _KEEP:
            _WORKERS.pop(next(iter(_WORKERS)))
        _WORKERS[key] = Worker(scenario)
    return _WORKERS[key]


def run_chunk(scenario: Scenario, samples: list[Sample]) -> list[dict[str, Any]]:
    """Solve a chunk of samples on this process's cached live model (pool and Dask task)."""
    worker = worker_for(scenario)
    return [worker.run(s) for s in samples]


def _chunks(samples: list[Sample], size: int) -> list[list[Sample]]:
    return [samples[i:i + size] for i in range(0, len(samples), size)]


def _in_process(scenario: Scenario, samples: list[Sample]) -> Iterator[list[dict[str, Any]]]:
    worker = worker_for(scenario)
    for s in samples:
        yield [worker.run(s)]


def _pool(scenario: Scenario, samples: list[Sample], workers: int
          ) -> Iterator[list[dict[str, Any]]]:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    size = max(1, min(25, len(samples) // (workers * 4) or 1))
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        futures = [pool.submit(run_chunk, scenario, chunk) for chunk in _chunks(samples, size)]
        for fut in as_completed(futures):
            yield fut.result()


def _dask(scenario: Scenario, samples: list[Sample], local: int | None, scheduler: str | None
          ) -> Iterator[list[dict[str, Any]]]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise StressError([Issue("dask", "", "dask.distributed is not installed",
                                 "pip install 'oreline[dask]'")]) from exc
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=local or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, dashboard_address=None)
    try:
        client = Client(scheduler or cluster, timeout="30s")
    except (OSError, TimeoutError) as exc:
        raise StressError([Issue(str(scheduler), "", f"cannot reach the Dask scheduler: {exc}",
                                 "check the address (tcp://host:8786) and that it is running")]
                          ) from None
    try:
        n = max(1, len(client.scheduler_info()["workers"]))
        size = max(1, min(25, len(samples) // (n * 4) or 1))
        scen = client.scatter(scenario, broadcast=True)
        futures = client.map(run_chunk, [scen] * len(_chunks(samples, size)),
                             _chunks(samples, size), pure=False)
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@dataclass
class SweepResult:
    """Per-sample metrics of a sweep and the base plan's metrics."""

    metrics: pd.DataFrame
    base: dict[str, float]
    seconds: float
    executor: str
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Samples solved per second of wall time."""
        return len(self.metrics) / self.seconds if self.seconds > 0 else float("nan")


def _stream(scenario: Scenario, samples: list[Sample], executor: str, workers: int,
            scheduler: str | None) -> Iterable[list[dict[str, Any]]]:
    """Chunks of sample rows as the chosen executor finishes them."""
    if executor == "inprocess":
        return _in_process(scenario, samples)
    if executor == "process":
        return _pool(scenario, samples, workers)
    if executor == "dask":
        return _dask(scenario, samples, workers, scheduler)
    raise StressError([Issue("--executor", "", f"unknown executor {executor!r}",
                             "use inprocess, process or dask")])


def _check_cold(metrics: pd.DataFrame) -> None:
    """Raise when a cold re-solve disagrees with its warm solve beyond :data:`COLD_RTOL`."""
    if "cold_objective" not in metrics:
        return
    checked = metrics.dropna(subset=["cold_objective"])
    gap = (checked["objective"] - checked["cold_objective"]).abs()
    bad = checked[gap > COLD_RTOL * checked["objective"].abs().clip(lower=1.0)]
    if len(bad):
        first = bad.iloc[0]
        raise StressError([Issue(
            f"sample {first['sample']}", "", f"warm objective {first['objective']:.9g} "
            f"differs from cold {first['cold_objective']:.9g} ({first['events']})",
            "HiGHS warm start gave a different optimum; rerun with --executor inprocess "
            "and report the sample")])


def run_sweep(
    scenario: Scenario,
    samples: list[Sample],
    executor: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
    base: dict[str, float] | None = None,
) -> SweepResult:
    """Solve every sample and collect metrics.

    Parameters
    ----------
    executor
        ``inprocess``, ``process`` (a local pool of ``workers`` processes, default all
        cores) or ``dask`` (a ``LocalCluster`` of ``workers`` processes, or the
        cluster at ``scheduler``).
    progress
        Called with the number of samples finished after each chunk.
    base
        Metrics of the unstressed plan, if the caller has them already.

    Raises
    ------
    StressError
        When a cold re-solve disagrees with its warm solve (a solver warm-start bug).
    """
    if not samples:
        raise StressError([Issue("--samples", "", "no samples to run", "ask for at least one")])
    if workers is not None and workers < 1:
        raise StressError([Issue("--workers", "", f"{workers} workers", "use 1 or more")])
    t0 = time.perf_counter()
    workers = workers or os.cpu_count() or 1
    rows: list[dict[str, Any]] = []
    for chunk in _stream(scenario, samples, executor, workers, scheduler):
        rows.extend(chunk)
        if progress is not None:
            progress(len(chunk))
    seconds = time.perf_counter() - t0
    metrics = pd.DataFrame(rows).sort_values("sample", ignore_index=True)
    _check_cold(metrics)
    if base is None:
        base = worker_for(scenario).base if executor == "inprocess" else Worker(scenario).base
    return SweepResult(metrics, base, seconds, executor,
                       {"workers": workers if executor != "inprocess" else 1,
                        "cold_checked": int(metrics.get("cold_objective",
                                                        pd.Series(dtype=float)).notna().sum())})
