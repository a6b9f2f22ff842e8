"""Oreline: plan, stress-test and trace mine-to-metal supply chains for critical metals."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
