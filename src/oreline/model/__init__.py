"""LP assembly: variable families, constraint families, objective, CSC matrix."""

from __future__ import annotations

from oreline.model.matrix import LinearProgram, build_model

__all__ = ["LinearProgram", "build_model"]
