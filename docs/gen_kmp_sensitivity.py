"""Regenerate the headline and the ⚑ sensitivity table of the built-in ``kmp`` plan.

Each row of the table changes one flagged (⚑) number of
``src/oreline/scenario/library/kmp.yaml`` (or switches Dubbo on), re-plans, and reports
the headline: margin, fill rate (firm + expected demand), DFARS-clean share of the
alloy made in 2027-28 and alloy (strip-casting) utilisation over the horizon. The
headline block gives the as-built figures by year. Only the text between the
``kmp-headline`` and ``kmp-sensitivity`` markers of ``docs/plan.md`` changes.

Usage::

    .venv/bin/python docs/gen_kmp_sensitivity.py          # rewrite the blocks
    .venv/bin/python docs/gen_kmp_sensitivity.py --check  # exit 1 if out of date

``tests/test_kmp.py`` runs the check (marked slow: it solves a dozen plans).
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from oreline.planner import Plan, run_plan
from oreline.scenario import builtin_path
from oreline.scenario.load import parse_scenario
from oreline.scenario.readers import Raw

DOC = Path(__file__).resolve().parent / "plan.md"
MARKS = {"headline": ("<!-- kmp-headline:start -->", "<!-- kmp-headline:end -->"),
         "sensitivity": ("<!-- kmp-sensitivity:start -->", "<!-- kmp-sensitivity:end -->")}
Data = dict[str, Any]


def _entry(data: Data, kind: str, key: str) -> Data:
    return next(e for e in data[kind] if e["id"] == key)


def _set(kind: str, key: str, field: str, value: Any) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        _entry(data, kind, key)[field] = value
    return change


def _premium(premium: float) -> Callable[[Data], None]:
    """Every indexed alloy price with its ⚑ conversion premium set to ``premium``."""
    def change(data: Data) -> None:
        for kind in ("customers", "enquiries"):
            for e in data[kind]:
                if e["product"] == "ndfeb_alloy":
                    extra = 10 if e["id"] == "usar_defence" else 0
                    e["price"] = re.sub(r"\+ \d+ USD/kg$", f"+ {premium + extra:g} USD/kg",
                                        e["price"])
    return change


def _probability(factor: float) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        for e in data["enquiries"]:
            e["probability"] = min(1.0, e["probability"] * factor)
    return change


def _dy_share(share: float) -> Callable[[Data], None]:
    """Alloy with ``share`` Dy, RE 30.5 % total, B 1.0 %, Fe balance; recipe to match."""
    def change(data: Data) -> None:
        ndpr = 0.305 - share
        _entry(data, "commodities", "ndfeb_alloy")["elements"] = {
            "Nd": round(0.7565 * ndpr, 5), "Pr": round(0.2435 * ndpr, 5), "Dy": share,
            "B": 0.010, "Fe": 0.685}
        dyfe = share / 0.8
        for process in ("strip_casting", "us_strip_casting"):  # the US plant's is the same
            _entry(data, "processes", process)["inputs"] = {
                "ndpr_metal": round(ndpr, 5), "dyfe": round(dyfe, 6), "ferroboron": 0.05556,
                "iron": round(0.685 - 0.2 * dyfe - 0.82 * 0.05556, 5)}
    return change


def _dubbo(data: Data) -> None:
    # kmp prices Dubbo's oxide at 0 at the gate, as its `dubbo` option pays the mine's capex
    # and opex; this row buys it at the study's break-even prices [12] instead, no option
    # (an option may only enable contracts that are off, so the option goes)
    data["options"] = [o for o in data.get("options", []) if o["id"] != "dubbo"]
    for key, price in (("dubbo_ndpr", 87), ("dubbo_dy", 258), ("dubbo_tb", 1160)):
        _entry(data, "contracts", key)["enabled"] = True
        _entry(data, "contracts", key)["price"] = f"{price} USD/kg"


#: (what changes, change)
VARIANTS: list[tuple[str, Callable[[Data], None]]] = [
    ("as built in", lambda data: None),
    ("Chinese Dy: KMP's share of Korea's imports 50 % instead of ⚑ 25 %",
     _set("contracts", "china_dy", "max", "0.8 t/month oxide")),
    ("Chinese Dy: every licence granted (⚑ 0.6 -> 1.0)",
     _set("contracts", "china_dy", "max", "0.675 t/month oxide")),
    ("Chinese Dy at China's domestic 235 USD/kg [90] (not an export price)",
     _set("contracts", "china_dy", "price", "235 USD/kg")),
    ("Lynas Dy 2 t/month instead of ⚑ 1", _set("contracts", "lynas_dy", "max",
                                               "2 t/month oxide")),
    ("Dy 0.6 % of alloy (bottom of [22]) instead of ⚑ 0.9 %", _dy_share(0.006)),
    ("Dy 1.2 % of alloy (top of [22]) instead of ⚑ 0.9 %", _dy_share(0.012)),
    ("alloy conversion premium 15 USD/kg instead of ⚑ 25", _premium(15)),
    ("alloy conversion premium 35 USD/kg instead of ⚑ 25", _premium(35)),
    ("enquiry probabilities halved (⚑)", _probability(0.5)),
    ("enquiry probabilities doubled (⚑, at most 1)", _probability(2.0)),
    ("Dubbo on from 2028-07 (⚑ date; [12] volumes and break-even prices)", _dubbo),
]


def _figures(plan: Plan) -> dict[str, Any]:
    """Margin, fill rate, DFARS-clean alloy 2027-28 and alloy utilisation of a plan."""
    k = plan.results.kpis
    cap = plan.results.tables["capacity"]
    cast = cap[cap["process"] == "strip_casting"].assign(year=lambda d: d["period"].str[:4])
    by_year = cast.groupby("year")[["output_t", "capacity_t"]].sum()
    clean = plan.results.dfars_clean
    alloy = clean[(clean["product"] == "ndfeb_alloy") & (clean["period"] < "2029-01")]
    made = float(alloy["output_t"].sum())
    buys = plan.results.tables["purchases"]
    dy = buys[buys["commodity"] == "dy_oxide"]
    dy_country = dy.assign(country=dy["origin_class"].str.split(">").str[0]).groupby(
        "country")["quantity_t"].sum()
    return {"margin": k["margin"] / 1e6, "fill": k["fill_rate"],
            "clean_t": float(alloy["dfars_clean_t"].sum()),
            "clean_share": float(alloy["dfars_clean_t"].sum()) / made if made else 0.0,
            "util": float(by_year["output_t"].sum() / by_year["capacity_t"].sum()),
            "util_by_year": (by_year["output_t"] / by_year["capacity_t"]).to_dict(),
            "output_by_year": by_year["output_t"].to_dict(),
            "firm": k["firm_demand_t"], "expected": k["expected_demand_t"],
            "unqualified": k["unqualified_demand_t"], "dy": dy_country.to_dict()}


def _plan(data: Data) -> Plan:
    return run_plan(parse_scenario(Raw(data, {}, "kmp")))


def headline(f: dict[str, Any]) -> str:
    """The as-built headline, as markdown lines."""
    years = ", ".join(f"{y} {f['util_by_year'][y]:.0%} ({f['output_by_year'][y]:,.0f} t)"
                      for y in sorted(f["util_by_year"]))
    dy = ", ".join(f"{c} {t:,.1f} t" for c, t in sorted(f["dy"].items(), key=lambda x: -x[1]))
    return "\n".join([
        f"- Margin {f['margin']:,.1f} M USD; fill rate {f['fill']:.1%} of firm + expected "
        "demand.",
        f"- Demand {f['firm']:,.0f} t firm + {f['expected']:,.0f} t expected from enquiries; "
        f"{f['unqualified']:,.0f} t unqualified (before an enquiry's qualification ends).",
        f"- Alloy utilisation (strip casting) by year: {years}.",
        f"- Dy oxide bought by mine country: {dy}.",
        f"- DFARS-clean alloy 2027-28: {f['clean_t']:,.0f} t, {f['clean_share']:.0%} of the "
        "alloy made (the 2027 rule covers every year of the horizon)."])


def blocks() -> dict[str, str]:
    """The headline and the sensitivity table, each as markdown between its markers."""
    base = YAML(typ="safe").load(builtin_path("kmp").read_text(encoding="utf-8"))
    rows = ["| change | margin M USD | fill rate | DFARS-clean alloy 2027-28 t (share) | "
            "alloy utilisation |", "|---|---:|---:|---:|---:|"]
    first: dict[str, Any] = {}
    for label, change in VARIANTS:
        data = copy.deepcopy(base)
        change(data)
        f = _figures(_plan(data))
        first = first or f
        rows.append(f"| {label} | {f['margin']:,.1f} | {f['fill']:.1%} | "
                    f"{f['clean_t']:,.0f} ({f['clean_share']:.0%}) | {f['util']:.0%} |")
    return {"headline": headline(first), "sensitivity": "\n".join(rows)}


def main(argv: list[str]) -> int:
    """Rewrite the blocks, or with ``--check`` report whether they are up to date."""
    text = DOC.read_text(encoding="utf-8")
    fresh = text
    new = blocks()
    for key, (start, end) in MARKS.items():
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), flags=re.S)
        if not pattern.search(fresh):
            print(f"{DOC}: markers {start} ... {end} not found", file=sys.stderr)
            return 1
        fresh = pattern.sub(lambda _, k=key, s=start, e=end: f"{s}\n{new[k]}\n{e}", fresh)
    if "--check" in argv:
        if fresh != text:
            print(f"{DOC} is out of date: run python docs/gen_kmp_sensitivity.py",
                  file=sys.stderr)
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
