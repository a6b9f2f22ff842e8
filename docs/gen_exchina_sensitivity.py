"""Regenerate the ⚑ sensitivity table of the built-in ``exchina`` plan in ``docs/plan.md``.

Each row changes one flagged (⚑) number of ``src/oreline/scenario/library/exchina.yaml``,
re-plans, and reports the answers an analyst asks: DFARS-clean alloy and magnets per
year (mean of 2029-2030, when every dated phase is in), the bottleneck stage and the
value of one more t/yr of capacity there and at separation. Only the text between the
``exchina-sensitivity`` markers changes.

Usage::

    .venv/bin/python docs/gen_exchina_sensitivity.py          # rewrite the block
    .venv/bin/python docs/gen_exchina_sensitivity.py --check  # exit 1 if out of date

``tests/test_exchina.py`` runs the check (marked slow: it solves seven plans).
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from oreline.planner import run_plan
from oreline.results.capacity import bottleneck_stage, dfars_by_year
from oreline.scenario import builtin_path
from oreline.scenario.load import parse_scenario
from oreline.scenario.readers import Raw

DOC = Path(__file__).resolve().parent / "plan.md"
START, END = "<!-- exchina-sensitivity:start -->", "<!-- exchina-sensitivity:end -->"
Data = dict[str, Any]


def _entry(data: Data, kind: str, key: str) -> Data:
    return next(e for e in data[kind] if e["id"] == key)


def _scale_capacity(process: str, factor: float) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        for phase in _entry(data, "processes", process)["capacity"]:
            number, rest = phase["capacity"].split(" ", 1)
            phase["capacity"] = f"{float(number) * factor:g} {rest}"
    return change


def _dy_share(share: float) -> Callable[[Data], None]:
    """Alloy (and magnet) with ``share`` Dy, RE 30.5 % total, B 1.0 %, Fe balance."""
    def change(data: Data) -> None:
        ndpr = 0.305 - share
        elements = {"Nd": round(0.7565 * ndpr, 5), "Pr": round(0.2435 * ndpr, 5), "Dy": share,
                    "B": 0.010, "Fe": 0.685}
        for com in ("ndfeb_alloy", "ndfeb_magnet"):
            _entry(data, "commodities", com)["elements"] = elements
        dyfe = share / 0.8
        for proc in ("kmp_casting", "mp_casting"):
            _entry(data, "processes", proc)["inputs"] = {
                "ndpr_metal": round(ndpr, 5), "dyfe": round(dyfe, 6), "ferroboron": 0.05556,
                "iron": round(0.685 - 0.2 * dyfe - 0.82 * 0.05556, 5)}
    return change


def _demand(customer: str, factor: float) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        cu = _entry(data, "customers", customer)
        number, rest = cu["demand"].split(" ", 1)
        cu["demand"] = f"{float(number) * factor:g} {rest}"
    return change


def _off(process: str) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        for phase in _entry(data, "processes", process)["capacity"]:
            phase["enabled"] = False
    return change


#: (what changes, ⚑ number it tests, change)
VARIANTS: list[tuple[str, Callable[[Data], None]]] = [
    ("as built in", lambda data: None),
    ("MP metal at half the ⚑ 1,060 t/yr", _scale_capacity("mp_metal", 0.5)),
    ("MP metal at twice the ⚑ 1,060 t/yr", _scale_capacity("mp_metal", 2.0)),
    ("KMP DyFe at half its 90 t/yr design [1] ⚑", _scale_capacity("kmp_dyfe", 0.5)),
    ("Dy 1.2 % of alloy (top of [22]) instead of ⚑ 0.9 %", _dy_share(0.012)),
    ("Japanese oxide demand ×3 (⚑ 6,770 t/yr)", _demand("jp_makers", 3.0)),
    ("Eneabba not commissioned in 2027-30 (⚑ date)", _off("eneabba_refinery")),
]


def _answers(data: Data) -> tuple[float, float, str, float, float]:
    plan = run_plan(parse_scenario(Raw(data, {}, "exchina")))
    years = dfars_by_year(plan.results.dfars_clean)
    late = years[years["year"].isin(["2029", "2030"])]
    per = late.groupby("product")["dfars_clean_t"].sum() / 2
    st = plan.results.stages.set_index("stage")
    neck = bottleneck_stage(plan.results.stages) or "none"
    where = f"{neck} ({st.loc[neck, 'at_process']})" if neck != "none" else neck
    sep = float(st.loc["separated", "value_per_t_yr"]) if "separated" in st.index else 0.0
    top = float(st.loc[neck, "value_per_t_yr"]) if neck != "none" else 0.0
    return (float(per.get("ndfeb_alloy", 0.0)), float(per.get("ndfeb_magnet", 0.0)), where,
            top, sep)


def block() -> str:
    """The sensitivity table, as markdown between the markers."""
    base = YAML(typ="safe").load(builtin_path("exchina").read_text(encoding="utf-8"))
    lines = [START,
             "| change | DFARS-clean alloy t/yr | DFARS-clean magnets t/yr | bottleneck "
             "(best added at) | its value per t/yr | separation value per t/yr |",
             "|---|---:|---:|---|---:|---:|"]
    for label, change in VARIANTS:
        data = copy.deepcopy(base)
        change(data)
        alloy, magnet, where, top, sep = _answers(data)
        lines.append(f"| {label} | {alloy:,.0f} | {magnet:,.0f} | {where} | {top:,.0f} | "
                     f"{sep:,.0f} |")
    lines.append(END)
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Rewrite the block, or with ``--check`` report whether it is up to date."""
    text = DOC.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), flags=re.S)
    if not pattern.search(text):
        print(f"{DOC}: markers {START} ... {END} not found", file=sys.stderr)
        return 1
    fresh = pattern.sub(lambda _: block(), text)
    if "--check" in argv:
        if fresh != text:
            print(f"{DOC} is out of date: run python docs/gen_exchina_sensitivity.py",
                  file=sys.stderr)
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
