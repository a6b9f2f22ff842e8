"""One typed settings object, overridable by environment variables.

Environment variables (all optional):

``ORELINE_DB``
    Ledger database: a file path (SQLite) or a SQLAlchemy URL such as
    ``postgresql+psycopg://user:pw@host/db``. Default ``oreline-ledger.sqlite``.
``ORELINE_SOLVER_THREADS``
    Threads HiGHS may use (default 1: sweeps parallelise across scenarios instead).
``ORELINE_SOLVER_TIME_LIMIT``
    Seconds per solve (default: no limit).
``ORELINE_MAX_ORIGIN_CLASSES``
    Most origin classes one commodity at one site may carry before the model refuses (default 256).
``ORELINE_MAX_INPUT_MB``
    Largest input file (scenario or stress YAML, each CSV of a folder, a workbook) in MB
    that the readers accept (default 5).

Examples
--------
>>> s = Settings.from_env({"ORELINE_SOLVER_THREADS": "2"})
>>> s.solver_threads
2

"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from oreline.errors import ConfigError

__all__ = ["Settings", "get_settings"]


@dataclass(frozen=True)
class Settings:
    """Typed settings for solver, paths and storage."""

    db: str = "oreline-ledger.sqlite"
    solver_threads: int = 1
    solver_time_limit: float | None = None
    max_origin_classes: int = 256
    max_input_mb: float = 5.0
    highs_options: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from environment variables (or a given mapping)."""
        source = os.environ if env is None else env
        base = cls()
        changes: dict[str, object] = {}
        spec: dict[str, tuple[str, type]] = {
            "ORELINE_DB": ("db", str),
            "ORELINE_SOLVER_THREADS": ("solver_threads", int),
            "ORELINE_SOLVER_TIME_LIMIT": ("solver_time_limit", float),
            "ORELINE_MAX_ORIGIN_CLASSES": ("max_origin_classes", int),
            "ORELINE_MAX_INPUT_MB": ("max_input_mb", float),
        }
        for var, (name, kind) in spec.items():
            if var in source and source[var] != "":
                try:
                    changes[name] = kind(source[var])
                except ValueError as exc:
                    raise ConfigError(
                        f"environment variable {var}={source[var]!r} is not a valid "
                        f"{kind.__name__}; set it to e.g. {getattr(base, name) or 1!r} or unset it"
                    ) from exc
        return replace(base, **changes)  # type: ignore[arg-type]

    @property
    def db_url(self) -> str:
        """The ledger database as a SQLAlchemy URL."""
        if "://" in self.db:
            return self.db
        return f"sqlite:///{self.db}"


def get_settings() -> Settings:
    """Settings from the current environment."""
    return Settings.from_env()
