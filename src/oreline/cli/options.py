"""Option checks shared by commands that write an output folder (``plan``, ``stress``)."""

from __future__ import annotations

from pathlib import Path

from oreline.errors import ConfigError

__all__ = ["check_out"]


def check_out(out: Path | None) -> None:
    """Refuse an ``--out`` that is an existing file before any long work starts.

    Raises
    ------
    ConfigError
        ``out`` is a file, or a folder Oreline may not write into.

    """
    if out is not None and out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; name a folder (it is created if missing)")
    if out is not None:
        from oreline.report.export import check_out_folder

        check_out_folder(out)
