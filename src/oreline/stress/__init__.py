"""Stress testing: events as vector changes on live models; sweeps; summaries."""

from __future__ import annotations

from oreline.stress.files import builtin_stress_names, load_stress
from oreline.stress.runner import SweepResult, draw_samples, named_samples, run_sweep

__all__ = ["SweepResult", "builtin_stress_names", "draw_samples", "load_stress",
           "named_samples", "run_sweep"]
