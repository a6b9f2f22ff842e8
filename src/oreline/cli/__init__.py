"""The ``oreline`` command line: one typer app with a group per command."""

from __future__ import annotations

from oreline.cli.app import app, main

__all__ = ["app", "main"]
