"""Plots, the HTML report and table exports of a plan."""

from __future__ import annotations

from oreline.report.export import write_outputs
from oreline.report.html import render_report

__all__ = ["render_report", "write_outputs"]
