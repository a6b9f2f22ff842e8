"""The plan pipeline: scenario -> network -> model -> solve -> results.

Examples
--------
>>> plan = run_plan("tiny")
>>> round(plan.results.kpis["objective_discounted"])
151500

"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from oreline.errors import ConfigError
from oreline.model import LinearProgram, build_model
from oreline.network import Network, compile_network
from oreline.network.pipeline import DEMAND_MODES, DemandMode
from oreline.results import PlanResults, make_results
from oreline.scenario import Scenario, load_scenario
from oreline.settings import Settings
from oreline.solve import LiveModel, Solution

__all__ = ["Plan", "run_plan"]


@dataclass
class Plan:
    """A solved plan; ``live`` stays loaded in HiGHS for warm re-solves."""

    scenario: Scenario
    network: Network
    lp: LinearProgram
    live: LiveModel
    solution: Solution
    results: PlanResults
    timings: dict[str, float]


def run_plan(
    source: str | Path | Scenario,
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
    demand: DemandMode = "expected",
) -> Plan:
    """Load (if needed), compile, build, solve and read back a plan.

    Parameters
    ----------
    source
        A built-in scenario name, a scenario file or folder, or a :class:`Scenario`.
    settings
        Solver settings; from the environment when omitted.
    progress
        Called with the name of each step as it starts.
    demand
        How much of the sales pipeline to plan for: ``"firm"`` (signed contracts only),
        ``"expected"`` (contracts plus probability-weighted enquiries from their first
        possible delivery) or ``"all"`` (every enquiry as if converted).

    Raises
    ------
    ConfigError
        For an unknown ``demand`` mode.

    """
    if demand not in DEMAND_MODES:
        raise ConfigError(f"unknown demand mode {demand!r}; use one of: "
                          f"{', '.join(DEMAND_MODES)}")
    say = progress or (lambda _: None)
    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = now - t
        t = now

    say("reading scenario")
    scenario = source if isinstance(source, Scenario) else load_scenario(source)
    lap("read")
    say("compiling network")
    net = compile_network(scenario, settings, demand)
    lap("compile")
    say("building model")
    lp = build_model(net)
    lap("build")
    say("solving with HiGHS")
    live = LiveModel(lp, settings)
    sol = live.solve()
    lap("solve")
    say("reading results")
    results = make_results(lp, sol, live)
    lap("results")
    return Plan(scenario, net, lp, live, sol, results, timings)
