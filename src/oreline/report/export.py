"""Write a plan's tables (CSV, Parquet, one Excel workbook) and report, atomically."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from oreline.errors import ConfigError
from oreline.planner import Plan

__all__ = ["check_out_folder", "write_folder", "write_outputs", "write_tables"]


def _all_tables(plan: Plan) -> dict[str, pd.DataFrame]:
    r = plan.results
    tables = dict(r.tables)
    tables["kpis"] = pd.DataFrame({"kpi": list(r.kpis), "value": list(r.kpis.values())})
    tables["fill_rate"] = r.fill_rate
    tables["utilisation"] = r.utilisation
    tables["dfars_clean"] = r.dfars_clean
    tables["stages"] = r.stages
    tables["element_balance"] = r.balance
    for key, df in r.shadow.items():
        tables[f"shadow_{key}"] = df
    return tables


#: Each output folder lists what the last run of each kind wrote into it (JSON).
_MARKER = ".oreline-{kind}.json"


def write_folder(out: Path, fill: Callable[[Path], None], kind: str = "plan") -> list[Path]:
    """Let ``fill`` write files into a temporary folder, then move them into ``out``.

    The temporary folder sits beside ``out``, so the moves are renames on one file
    system; a failure inside ``fill`` leaves ``out`` untouched. ``out`` must be new,
    empty or a folder Oreline wrote before (it keeps a list of what each kind of run,
    ``plan`` or ``stress``, wrote): files the previous run of the same kind wrote and
    this one does not (a report left from a run with one) are removed, so the folder
    never mixes two runs.

    Raises
    ------
    ConfigError
        When the parent of ``out`` cannot be created or written, or ``out`` holds files
        Oreline did not write (``--out .`` in a project folder, say).
    """
    out = Path(out)
    previous = _claim(out, kind)
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=parent))
    except OSError as exc:
        raise ConfigError(
            f"cannot write to {parent}: {exc.strerror}; choose another --out"
        ) from None
    try:
        fill(tmp)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create {out}: {exc.strerror}; choose another --out"
                              ) from None
        written = []
        for f in sorted(tmp.iterdir()):
            f.replace(out / f.name)
            written.append(out / f.name)
        names = sorted(p.name for p in written)
        for stale in sorted(set(previous) - set(names)):
            (out / stale).unlink(missing_ok=True)
        (out / _MARKER.format(kind=kind)).write_text(json.dumps(names), encoding="utf-8")
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_out_folder(out: Path) -> None:
    """Refuse, before any long work, an ``--out`` folder of files Oreline did not write.

    Raises
    ------
    ConfigError
        Naming the folder and what would fix it.
    """
    _claim(Path(out), "plan")


def _claim(out: Path, kind: str) -> list[str]:
    """What the last ``kind`` run wrote into ``out``; refuse a folder of other files."""
    if not out.is_dir():
        return []
    markers = sorted(out.glob(".oreline-*.json"))
    entries = [p for p in out.iterdir() if not p.name.startswith(".oreline-")]
    if entries and not markers:
        raise ConfigError(f"--out {out} already holds {len(entries)} file(s) Oreline did "
                          "not write; name a new or empty folder (it is created if missing)")
    marker = out / _MARKER.format(kind=kind)
    try:
        names = json.loads(marker.read_text(encoding="utf-8")) if marker.exists() else []
    except (OSError, ValueError):
        return []
    return [n for n in names if isinstance(n, str) and "/" not in n and n not in ("", ".", "..")]


def write_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Each table as ``<name>.csv`` and ``<name>.parquet`` in ``folder``."""
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)
        df.to_parquet(folder / f"{name}.parquet", index=False)


def write_outputs(plan: Plan, out: Path, report: bool = True,
                  progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write every table as CSV and Parquet, one ``plan.xlsx`` and ``report.html``.

    Files are written into a temporary folder beside ``out`` and moved into place
    only when all are written, so a failure never leaves a half-written output.
    """
    say = progress or (lambda _: None)

    def fill(tmp: Path) -> None:
        tables = _all_tables(plan)
        say("writing tables")
        write_tables(tmp, tables)
        with pd.ExcelWriter(tmp / "plan.xlsx", engine="openpyxl") as xl:
            for name, df in tables.items():
                df.to_excel(xl, sheet_name=name[:31], index=False)
        if report:
            say("writing report")
            from oreline.report.html import render_report

            (tmp / "report.html").write_text(render_report(plan), encoding="utf-8")

    return write_folder(out, fill)
