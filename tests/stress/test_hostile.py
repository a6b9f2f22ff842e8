"""Hostile and odd stress files: a clear StressError naming the file, never a hang.

The stress reader shares the scenario reader's guards (:mod:`oreline.scenario.guards`);
these cases check that every refusal arrives as a :class:`StressError` (exit 7) with
the file and a fix. The time bound only guards against hangs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from oreline.errors import StressError
from oreline.scenario.guards import ALIAS_BUDGET, MAX_DEPTH
from oreline.stress.files import load_stress

BOUND = 5.0
HEAD = "name: bad\nscenario: tiny\n"

Case = Callable[[Path], tuple[Path, str]]


def _write(tmp: Path, name: str, data: bytes | str) -> Path:
    path = tmp / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def latin1(tmp: Path) -> tuple[Path, str]:
    return _write(tmp, "s.yaml", HEAD.encode() + b"description: d\xe9j\xe0 vu\n"), "not UTF-8"


def binary(tmp: Path) -> tuple[Path, str]:
    return _write(tmp, "s.yaml", bytes(range(256)) * 8), "not UTF-8"


def deep(tmp: Path) -> tuple[Path, str]:
    return _write(tmp, "s.yaml", HEAD + "events: " + "[" * 5_000 + "]" * 5_000 + "\n"), (
        f"deeper than {MAX_DEPTH}")


def laughs(tmp: Path) -> tuple[Path, str]:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return _write(tmp, "s.yaml", HEAD + "\n".join(lines) + "\n"), f"{ALIAS_BUDGET:,} nodes"


def too_large(tmp: Path) -> tuple[Path, str]:
    return _write(tmp, "s.yaml", HEAD + "# padding\n" * 600_000), "above the limit"


def empty(tmp: Path) -> tuple[Path, str]:
    return _write(tmp, "s.yaml", ""), "not a YAML mapping"


def link_loop(tmp: Path) -> tuple[Path, str]:
    link = tmp / "s.yaml"
    link.symlink_to(link)
    return link, "loops back on itself"


def folder(tmp: Path) -> tuple[Path, str]:
    path = tmp / "s.yaml"
    path.mkdir()
    return path, "is a folder"


CASES: list[Case] = [latin1, binary, deep, laughs, too_large, empty, link_loop, folder]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_hostile_stress_file_gives_a_clear_error_quickly(tmp_path: Path, case: Case) -> None:
    path, phrase = case(tmp_path)
    start = time.perf_counter()
    with pytest.raises(StressError) as info:
        load_stress(path)
    assert time.perf_counter() - start < BOUND  # a guard against hangs, not a speed claim
    issue, = info.value.issues
    assert issue.where.startswith(str(path)), issue
    assert phrase in issue.message, issue
    assert issue.fix, issue
