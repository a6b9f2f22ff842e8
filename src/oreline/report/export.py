"""Write a plan's tables (CSV, Parquet, one Excel workbook) and report, atomically."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from oreline.errors import ConfigError
from oreline.planner import Plan

__all__ = ["write_folder", "write_outputs", "write_tables"]


def _all_tables(plan: Plan) -> dict[str, pd.DataFrame]:
    r = plan.results
    tables = dict(r.tables)
    tables["kpis"] = pd.DataFrame({"kpi": list(r.kpis), "value": list(r.kpis.values())})
    tables["fill_rate"] = r.fill_rate
    tables["utilisation"] = r.utilisation
    tables["dfars_clean"] = r.dfars_clean
    tables["element_balance"] = r.balance
    for key, df in r.shadow.items():
        tables[f"shadow_{key}"] = df
    return tables


def write_folder(out: Path, fill: Callable[[Path], None]) -> list[Path]:
    """Let ``fill`` write files into a temporary folder, then move them into ``out``.

    The temporary folder sits beside ``out``, so the moves are renames on one file
    system; a failure inside ``fill`` leaves ``out`` untouched.

    Raises
    ------
    ConfigError
        When the parent of ``out`` cannot be created or written.
    """
    out = Path(out)
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
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
