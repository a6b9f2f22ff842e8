"""Atomic output of scenario exports: a file or a folder appears whole or not at all.

Each is written at a hidden temporary path beside the target and renamed into place;
a failure removes the temporary path and leaves any previous export as it was.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from oreline.errors import ConfigError
from oreline.scenario.readers import TABLES

__all__ = ["atomic_file", "atomic_folder"]


def _sibling(path: Path, suffix: str) -> Path:
    """Return a fresh hidden name beside ``path`` (created later with the user's umask)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}{suffix}")


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary file path beside ``path``; rename it onto ``path`` on success."""
    if path.is_dir():
        raise ConfigError(f"{path} is a folder; give a file name for this format")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(path, ".tmp")
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _is_table_folder(path: Path) -> bool:
    return all(p.is_file() and p.suffix == ".csv" and p.stem in TABLES for p in path.iterdir())


@contextlib.contextmanager
def atomic_folder(path: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; swap it in for ``path`` on success.

    An existing ``path`` is replaced only when it holds nothing but scenario tables
    (a previous export); anything else is refused rather than deleted.
    """
    if path.exists() and not (path.is_dir() and _is_table_folder(path)):
        raise ConfigError(
            f"{path} exists and is not a scenario CSV folder; choose a new or empty path"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(path, ".tmp")
    tmp.mkdir()
    old: Path | None = None
    try:
        yield tmp
        if path.exists():
            old = _sibling(path, ".old")
            path.rename(old)
        tmp.rename(path)
    except BaseException:
        if old is not None and not path.exists():
            old.rename(path)  # put the previous export back
            old = None
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
