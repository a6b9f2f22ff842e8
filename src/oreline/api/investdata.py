"""The invest pages' data: ``oreline invest`` run as a job, and what its run page shows.

:func:`run_invest_job` runs :func:`~oreline.invest.runner.run_invest` and
:func:`~oreline.invest.analysis.analyse` in the server process, exactly as the command
does, and :func:`invest_data` lays the result out for the run page and its JSON twin:
the tables of :func:`~oreline.invest.analysis.analysis_tables` (raw numbers, formatted by
the page), the figures of :mod:`oreline.invest.report` and the settings recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oreline.api.jobs import Progress
from oreline.api.plans import figure_data, frame
from oreline.api.scenarios import ScenarioLibrary
from oreline.errors import OrelineError
from oreline.invest.analysis import Analysis, AnalysisSettings, analyse, analysis_tables
from oreline.invest.report import flagged_numbers, npv_figure, timeline_figure
from oreline.invest.runner import run_invest
from oreline.stress.files import load_stress

__all__ = ["MAX_MRP", "MAX_OOS", "MAX_SAMPLES", "STAGES", "invest_data", "invest_scenarios",
           "run_invest_job"]

#: Most scenarios one web request may sample (the command line has no such cap).
MAX_SAMPLES = 200
#: Most fresh scenarios of the out-of-sample check, and most MRP replications.
MAX_OOS, MAX_MRP = 1000, 20
#: The phases a job reports, by the start of the library's progress messages.
STAGES = ("reading scenario", "building the invest problem", "solving", "valuing",
          "alternatives", "break-even capex", "budget shadow value", "out of sample",
          "optimality gap", "risk figures")


def invest_scenarios(library: ScenarioLibrary) -> list[str]:
    """The scenarios of ``library`` that have investment options (what /invest offers)."""
    out = []
    for item in library.names():
        try:
            if library.load(item["name"]).options:
                out.append(item["name"])
        except OrelineError:  # a saved copy that no longer loads is not offered
            continue
    return out


def _stage_progress(progress: Progress) -> Any:
    """The library's ``say(text)`` as the job's ``progress(phase, done, total)``."""
    total = len(STAGES)

    def say(text: str) -> None:
        done = next((i for i, s in enumerate(STAGES) if text.startswith(s)), 0)
        progress(text, done, total)

    return say


def run_invest_job(params: Mapping[str, Any], progress: Progress,
                   library: ScenarioLibrary) -> dict[str, Any]:
    """Run ``oreline invest`` with ``params`` (as the invest form checks them).

    Raises
    ------
    StressError
        When the stress set names a contract, process or customer group the scenario
        lacks (a set made for another scenario).
    """
    say = _stage_progress(progress)
    scenario = library.load(params["scenario"])
    stress = load_stress(params["stress"])[0] if params["stress"] else None
    settings = AnalysisSettings(
        alternatives=params["alternatives"], breakeven=params["breakeven"],
        budget=params["budget_step"] > 0, budget_step=params["budget_step"] or 0.1,
        oos=params["oos"], mrp=params["mrp"], mrp_samples=params["mrp_samples"])
    # a stress set made for another scenario is refused by the library (StressError,
    # naming each entity the scenario lacks), and the job fails with that message
    run = run_invest(scenario, stress=params["stress"], samples=params["samples"],
                     seed=params["seed"], risk_weight=params["risk_weight"],
                     alpha=params["alpha"], progress=say, keep_evaluator=True)
    try:
        analysis = analyse(run, scenario, stress, params["seed"], params["risk_weight"],
                           params["alpha"], settings, progress=say)
    finally:
        run.close()
    progress("done", len(STAGES), len(STAGES))
    seed = params["seed"] if params["seed"] is not None else (stress.seed if stress else None)
    return invest_data(analysis, {**params, "seed": seed})


def invest_data(a: Analysis, params: Mapping[str, Any]) -> dict[str, Any]:
    """The run page's data of analysis ``a`` made with ``params``.

    ``values`` is :func:`~oreline.invest.analysis.analysis_tables`' values table (every
    figure with its unit and note) and ``summary`` the same figures by name; the
    figures are :func:`~oreline.invest.report.timeline_figure` and
    :func:`~oreline.invest.report.npv_figure`.
    """
    run = a.run
    p = run.problem
    sc = p.scenario
    tables = analysis_tables(a)
    values = tables["values"]
    alternatives = [
        {"key": alt.key, "label": alt.label, "expected_npv": alt.distribution.mean,
         "p5": alt.distribution.p5, "p50": alt.distribution.p50, "p95": alt.distribution.p95,
         "cvar": alt.distribution.cvar, "regret_mean": float(alt.regret.mean()),
         "regret_max": float(alt.regret.max()), "within_limits": alt.within_limits}
        for alt in a.alternatives]
    return {
        "scenario": params["scenario"], "name": sc.name, "description": sc.description,
        "currency": sc.currency, "scenarios": p.n_scenarios, "method": run.method,
        "stages": len(p.stages),
        "settings": {**dict(params), "samples": p.n_scenarios, "method": run.method,
                     "seconds": run.seconds, "analysis_seconds": a.seconds,
                     "timings": dict(a.timings)},
        "decisions": frame(tables["decisions"]),
        "summary": {str(f): (None if v is None or v != v else float(v))
                    for f, v in zip(values["figure"], values["value"], strict=True)},
        "values": frame(values),
        "alternatives": alternatives,
        "flexibility": None if a.flexibility is None else {
            "wait": a.flexibility.wait, "now": a.flexibility.now,
            "value": a.flexibility.value},
        "break_even": [{"option": b.option, "chosen": b.chosen, "capex": b.capex,
                        "break_even": b.break_even, "currency": b.currency,
                        "reading": b.describe()} for b in a.break_evens],
        "budgets": [{"budget": b.budget, "limit": b.limit, "step": b.step,
                     "currency": b.currency, "binding": b.binding,
                     "per_million": b.per_million if b.binding else None}
                    for b in a.budgets],
        "oos": None if a.oos is None else {
            "n": a.oos.n, "seed": a.oos.seed, "mean": a.oos.mean,
            "low": a.oos.mean - a.oos.half_width, "high": a.oos.mean + a.oos.half_width},
        "gap": None if a.gap is None else {
            "replications": len(a.gap.gaps), "samples": a.gap.samples, "mean": a.gap.mean,
            "upper": a.gap.upper},
        "npv": frame(tables["npv"]),
        "flags": frame(flagged_numbers(sc)),
        "figures": {"timeline": figure_data(timeline_figure(a)),
                    "npv": figure_data(npv_figure(a))},
    }
