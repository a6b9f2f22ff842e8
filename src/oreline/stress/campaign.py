"""A whole stress run: load, sample, sweep, summarise, tornado, named cases, mitigation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from oreline.errors import Issue, StressError
from oreline.scenario import Scenario, load_scenario
from oreline.stress.events import StressFile
from oreline.stress.files import load_stress
from oreline.stress.mitigation import extra_stock_cost
from oreline.stress.references import check_references
from oreline.stress.runner import (
    SweepResult,
    draw_samples,
    named_samples,
    run_sweep,
    worker_for,
)
from oreline.stress.summary import Comparison, compare_sweeps, summarise, tornado

__all__ = ["StressRun", "run_stress"]


@dataclass
class StressRun:
    """Everything a stress run produces."""

    stress: StressFile
    scenario: Scenario
    sweep: SweepResult
    summary: pd.DataFrame
    customers: pd.DataFrame
    tornado: pd.DataFrame
    named: pd.DataFrame
    mitigation: Comparison | None = None
    mitigated_sweep: SweepResult | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table to write."""
        out = {"samples": self.sweep.metrics, "summary": self.summary,
               "customers": self.customers, "tornado": self.tornado, "named": self.named}
        if self.mitigation is not None and self.mitigated_sweep is not None:
            out["mitigation"] = self.mitigation.table
            out["mitigation_samples"] = self.mitigation.per_sample
            if self.mitigation.cost is not None:
                out["mitigation_cost"] = self.mitigation.cost
        return out


def run_stress(
    source: str | Path,
    samples: int | None = None,
    seed: int | None = None,
    executor: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    mitigation: str | Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> StressRun:
    """Run a stress file (or a built-in set such as ``kmp``) end to end.

    ``progress(phase, done, total)`` is called as samples finish.
    """
    stress, base_source = load_stress(source)
    scenario = load_scenario(base_source)
    worker = worker_for(scenario)  # the in-process executor reuses this live model
    check_references(stress, worker.lp, str(source))
    mitigated_scenario = mitigated_worker = None
    mitigation_cost = None
    if mitigation is not None:  # checked before the long sweep, not after it
        mitigated_scenario = load_scenario(mitigation)
        if mitigated_scenario.horizon != scenario.horizon:
            raise StressError([Issue(str(mitigation), "horizon",
                                     "the mitigation scenario has another horizon than "
                                     f"{scenario.name!r}, so the same samples cannot apply",
                                     "extend the base scenario and keep its horizon")])
        mitigated_worker = worker_for(mitigated_scenario)
        check_references(stress, mitigated_worker.lp, str(mitigation))
        mitigation_cost = extra_stock_cost(scenario, mitigated_scenario, mitigated_worker.lp.net)
    if executor not in ("inprocess", "process", "dask"):
        raise StressError([Issue("--executor", "", f"unknown executor {executor!r}",
                                 "use inprocess, process or dask")])
    drawn = draw_samples(stress, worker.ctx, samples, seed)
    say = progress or (lambda *_: None)

    def sweep(sc: Scenario, phase: str, base: dict[str, float]) -> SweepResult:
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            say(phase, done, len(drawn))

        return run_sweep(sc, drawn, executor, workers, scheduler, tick, base)

    result = sweep(scenario, "sweep", worker.base)
    summary, customers = summarise(result)
    named_rows = [worker.run(s) for s in named_samples(stress, worker.ctx)]
    named = pd.DataFrame(named_rows)
    torn = tornado(stress, worker)
    run = StressRun(stress, scenario, result, summary, customers, torn, named)
    if mitigated_scenario is not None and mitigated_worker is not None:
        other = sweep(mitigated_scenario, "mitigation", mitigated_worker.base)
        run.mitigation = compare_sweeps(result, other, mitigation_cost)
        run.mitigated_sweep = other
    return run
