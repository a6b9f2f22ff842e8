"""The stress page's data: a sweep run as a job, its risk summary, histogram and tornado."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oreline.api.jobs import Progress
from oreline.api.plans import figure_data, frame
from oreline.errors import ConfigError
from oreline.report.stress import histogram_figure, tornado_figure
from oreline.stress import builtin_stress_names
from oreline.stress.campaign import run_stress

__all__ = ["MAX_SAMPLES", "run_stress_job", "stress_params"]

#: Most samples one web request may ask for (the command line has no such cap).
MAX_SAMPLES = 2000


def stress_params(body: Mapping[str, Any]) -> dict[str, Any]:
    """The checked parameters of a stress job: set, samples, seed.

    Raises
    ------
    ConfigError
        For an unknown set or a sample count outside 1..MAX_SAMPLES.
    """
    name = str(body.get("set", "kmp"))
    if name not in builtin_stress_names():
        raise ConfigError(f"unknown stress set {name!r}; use one of: "
                          f"{', '.join(builtin_stress_names())}")
    try:
        samples = int(body.get("samples", 50))
        seed = int(body.get("seed", 2026))
    except (TypeError, ValueError) as exc:
        raise ConfigError("samples and seed must be whole numbers") from exc
    if not 1 <= samples <= MAX_SAMPLES:
        raise ConfigError(f"samples {samples} is outside 1..{MAX_SAMPLES}")
    return {"set": name, "samples": samples, "seed": seed}


def run_stress_job(params: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Run a stress set in this process and return the stress page's data."""
    run = run_stress(params["set"], params["samples"], params["seed"], "inprocess",
                     progress=progress)
    base = run.sweep.base["margin"]
    return {
        "set": params["set"], "name": run.stress.name, "description": run.stress.description,
        "settings": {"samples": params["samples"], "seed": params["seed"],
                     "executor": "inprocess", "scenario": run.scenario.name,
                     "seconds": run.sweep.seconds},
        "currency": run.scenario.currency,
        "summary": frame(run.summary), "customers": frame(run.customers),
        "tornado": frame(run.tornado), "named": frame(run.named),
        "figures": {
            "histogram": figure_data(histogram_figure(run.sweep.metrics, base)),
            "tornado": figure_data(tornado_figure(run.tornado)),
        },
    }
