"""Seeded generator of planning scenarios of growing size for the LP benchmark.

A generated scenario is a set of *regions*, each a metals plant in one country
with its import port, fed by NdPr-oxide and Dy-oxide suppliers with declared
origins (mined and separated countries drawn from a fixed pool that includes
China, Myanmar and undeclared sources) plus iron and ferroboron (reagents,
untracked). Each plant runs three stages:

* electrolysis: NdPr oxide -> NdPr metal (stage ``refined``),
* DyFe reduction: Dy oxide + iron -> DyFe (stage ``refined``),
* strip casting: NdPr metal + DyFe + ferroboron + iron -> NdFeB alloy (stage ``melted``),
  so alloy carries one origin class per (NdPr class, Dy class) pair.

Plants are grouped by three; each group ships metal and alloy over lanes with
lead times to two customer hubs in other countries, where customers with
``any``, ``ex-china``, ``dfars-2027`` and ``crma:0.65`` policies buy alloy (a
few buy metal). Contracts have lead times, start/end dates, minimum purchases
and take-or-pay; processes have capacity phases with ramps (one disabled);
plants and hubs have storage caps, ports none. Horizon: monthly, from 2026-01.

The LP size grows linearly with the number of regions and periods. :data:`SIZES`
maps benchmark size names to (regions, periods);
``python benchmarks/generator.py`` prints the column, row and nonzero counts of
each size.

Examples
--------
>>> sc = make_scenario(2, seed=1)
>>> len(sc.processes)
6
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from oreline.scenario.checks import check_scenario
from oreline.scenario.schema import Scenario

__all__ = ["SIZES", "make_scenario", "scenario_for_size"]

#: Benchmark sizes: name -> (regions, monthly periods), calibrated so the LP has
#: about that many columns (seed 0); ``python benchmarks/generator.py`` prints them.
SIZES: dict[str, tuple[int, int]] = {
    "1k": (1, 4),
    "10k": (1, 36),
    "30k": (5, 36),
    "100k": (17, 36),
    "300k": (53, 36),
    "1M": (175, 36),
}
PERIODS = 36
START = "2026-01"

# country pools -------------------------------------------------------------
PLANT_COUNTRIES = ("KR", "US", "JP", "DE", "FR", "VN", "EE", "MY", "CA", "GB", "IN", "AU")
HUB_COUNTRIES = ("US", "DE", "JP", "KR", "FR", "IT", "MX", "CZ", "CN", "PL", "TH", "SE")
#: (mined, separated) origins of NdPr oxide offers; "unknown" never passes ex-china/DFARS.
NDPR_ORIGINS = (
    ("AU", "MY"), ("AU", "AU"), ("US", "US"), ("CN", "CN"), ("MM", "CN"),
    ("unknown", "CN"), ("BR", "EE"), ("CA", "CA"), ("US", "KR"), ("AU", "US"),
)
DY_ORIGINS = (("AU", "MY"), ("CN", "CN"), ("MM", "CN"), ("US", "US"), ("AU", "FR"))
POLICIES = ("any", "ex-china", "dfars-2027", "crma:0.65")


def _commodities() -> list[dict[str, Any]]:
    return [
        {"id": "ndpr_oxide", "family": "oxide", "compounds": {"Nd2O3": 0.75, "Pr6O11": 0.25},
         "reference_price": "60 USD/kg"},
        {"id": "dy_oxide", "family": "oxide", "compounds": {"Dy2O3": 1.0},
         "reference_price": "250 USD/kg"},
        {"id": "ndpr_metal", "family": "metal", "elements": {"Nd": 0.75, "Pr": 0.25},
         "reference_price": "75 USD/kg"},
        {"id": "dyfe", "family": "metal", "elements": {"Dy": 0.8, "Fe": 0.2},
         "reference_price": "280 USD/kg"},
        {"id": "iron", "family": "reagent", "elements": {"Fe": 1.0},
         "reference_price": "0.6 USD/kg"},
        {"id": "ferroboron", "family": "reagent", "elements": {"Fe": 0.8, "B": 0.2},
         "reference_price": "2 USD/kg"},
        {"id": "ndfeb_alloy", "family": "alloy",
         "elements": {"Nd": 0.225, "Pr": 0.075, "Dy": 0.02, "B": 0.01, "Fe": 0.67},
         "reference_price": "45 USD/kg"},
    ]


def _ym(offset: int) -> str:
    """Year-month ``offset`` months after :data:`START`."""
    y, m = divmod(int(START[:4]) * 12 + int(START[5:7]) - 1 + offset, 12)
    return f"{y:04d}-{m + 1:02d}"


def make_scenario(n_regions: int, *, periods: int = PERIODS, seed: int = 0) -> Scenario:
    """Build and validate a scenario with ``n_regions`` plants (see module docstring).

    Parameters
    ----------
    n_regions
        Number of plants (each with a port and its suppliers); sizes grow linearly.
    periods
        Monthly periods in the horizon.
    seed
        Seed of the random draws; the same arguments give the same scenario.

    Raises
    ------
    ValueError
        When the generated scenario fails the cross-entity checks (a generator bug).
    """
    rng = np.random.default_rng(seed)
    sites: list[dict[str, Any]] = []
    processes: list[dict[str, Any]] = []
    contracts: list[dict[str, Any]] = []
    stock: list[dict[str, Any]] = []
    lanes: list[dict[str, Any]] = []
    customers: list[dict[str, Any]] = []
    n_groups = (n_regions + 2) // 3

    for g in range(n_groups):
        for h in range(2):
            country = HUB_COUNTRIES[(2 * g + h) % len(HUB_COUNTRIES)]
            sites.append({"id": f"hub{g}_{h}", "country": country, "role": "warehouse",
                          "storage_capacity": f"{int(rng.integers(300, 2000))} t alloy",
                          "holding_cost": 0.005})
    for r in range(n_regions):
        g = r // 3
        country = PLANT_COUNTRIES[int(rng.integers(len(PLANT_COUNTRIES)))]
        plant, port = f"plant{r}", f"port{r}"
        sites.append({"id": plant, "country": country, "role": "plant",
                      "storage_capacity": f"{int(rng.integers(500, 3000))} t alloy",
                      "holding_cost": 0.01})
        sites.append({"id": port, "country": country, "role": "port", "holding_cost": 0.008})
        # capacities (t/yr of main output), phase 2 with ramp, a disabled phase 3
        alloy_cap = float(rng.integers(6, 30)) * 50.0
        p2 = int(rng.integers(min(6, periods - 1), periods))

        def phases(cap: float, basis: str, p2: int = p2) -> list[dict[str, Any]]:
            return [
                {"start": START, "capacity": f"{cap:g} t/yr {basis}"},
                {"start": _ym(p2), "capacity": f"{2.5 * cap:g} t/yr {basis}",
                 "ramp_periods": int(rng.integers(0, 6))},
                {"start": _ym(min(p2 + 6, periods - 1)), "capacity": f"{4 * cap:g} t/yr {basis}",
                 "enabled": False},
            ]

        processes += [
            {"id": f"electrolysis{r}", "site": plant, "stage": "refined",
             "main_output": "ndpr_metal", "inputs": {"ndpr_oxide": 1.18}, "yield": 0.97,
             "variable_cost": f"{rng.uniform(6, 10):.2f} USD/kg",
             "capacity": phases(alloy_cap * 0.35, "metal")},
            {"id": f"dyfe{r}", "site": plant, "stage": "refined", "main_output": "dyfe",
             "inputs": {"dy_oxide": 0.92, "iron": 0.2}, "yield": 0.95,
             "variable_cost": f"{rng.uniform(10, 20):.2f} USD/kg",
             "capacity": phases(alloy_cap * 0.04, "metal")},
            {"id": f"casting{r}", "site": plant, "stage": "melted", "main_output": "ndfeb_alloy",
             "inputs": {"ndpr_metal": 0.30, "dyfe": 0.025, "ferroboron": 0.05, "iron": 0.625},
             "yield": 0.98, "variable_cost": f"{rng.uniform(3, 6):.2f} USD/kg",
             "capacity": phases(alloy_cap, "alloy")},
        ]
        # suppliers: NdPr oxide and Dy oxide with declared origins, reagents
        ndpr = rng.choice(len(NDPR_ORIGINS), size=int(rng.integers(3, 6)), replace=False)
        dy = rng.choice(len(DY_ORIGINS), size=int(rng.integers(1, 4)), replace=False)
        offers = [("ndpr_oxide", NDPR_ORIGINS[i], alloy_cap * 0.3 * 1.2, 55.0) for i in ndpr]
        offers += [("dy_oxide", DY_ORIGINS[i], alloy_cap * 0.03, 230.0) for i in dy]
        for k, (com, (mined, sep), cap, base) in enumerate(offers):
            cn = "CN" in (mined, sep)
            start = int(rng.integers(0, max(periods // 2, 1))) if rng.random() < 0.3 else None
            end = int(rng.integers(periods // 2, periods)) if rng.random() < 0.2 else None
            c: dict[str, Any] = {
                "id": f"c{r}_{k}", "supplier": f"{'CN' if cn else mined} supplier {r}.{k}",
                "commodity": com, "site": port if rng.random() < 0.7 else plant,
                "max": f"{cap * rng.uniform(0.4, 1.2):.1f} t/yr oxide",
                "price": f"{base * rng.uniform(0.8 if cn else 1.0, 1.0 if cn else 1.4):.2f} USD/kg",
                "lead_time": int(rng.integers(0, 5)),
                "origin": {"mined": mined, "separated": sep},
            }
            if start is not None:
                c["start"] = _ym(start)
            if end is not None:
                c["end"] = _ym(end)
            roll = rng.random()
            if roll < 0.25:
                c["take_or_pay"] = f"{cap * 0.2:.1f} t/yr oxide"
            elif roll < 0.35:
                c["min"] = f"{cap * 0.05:.1f} t/yr oxide"
            contracts.append(c)
        for com, price in (("iron", "0.7 USD/kg"), ("ferroboron", "2.2 USD/kg")):
            contracts.append({"id": f"c{r}_{com}", "supplier": "steel mill", "commodity": com,
                              "site": plant, "max": f"{alloy_cap * 2:g} t/yr reagent",
                              "price": price, "lead_time": 1})
        mined, sep = NDPR_ORIGINS[int(ndpr[0])]
        stock.append({"site": plant, "commodity": "ndpr_oxide",
                      "quantity": f"{alloy_cap * 0.05:.1f} t oxide",
                      "origin": {"mined": mined, "separated": sep}})
        # lanes: port -> plant (oxides, reagents); plant -> both hubs of its group
        lanes.append({"id": f"l{r}_in", "origin": port, "destination": plant,
                      "commodities": ["ndpr_oxide", "dy_oxide", "iron", "ferroboron"],
                      "lead_time": int(rng.integers(0, 2)), "cost": "80 USD/t"})
        for h in range(2):
            lanes.append({"id": f"l{r}_h{h}", "origin": plant, "destination": f"hub{g}_{h}",
                          "commodities": ["ndfeb_alloy", "ndpr_metal"],
                          "lead_time": int(rng.integers(1, 4)),
                          "cost": f"{int(rng.integers(150, 900))} USD/t",
                          "tariff": float(rng.choice([0.0, 0.0, 0.025, 0.1]))})

    # customers at hubs
    k = 0
    for g in range(n_groups):
        for h in range(2):
            for _ in range(int(rng.integers(2, 5))):
                product = "ndfeb_alloy" if rng.random() < 0.85 else "ndpr_metal"
                basis = "alloy" if product == "ndfeb_alloy" else "metal"
                demand = f"{rng.uniform(50, 600):.1f} t/yr {basis}"
                price = rng.uniform(70, 110) if basis == "alloy" else rng.uniform(85, 120)
                cu: dict[str, Any] = {
                    "id": f"cust{k}", "site": f"hub{g}_{h}", "product": product,
                    "demand": demand, "price": f"{price:.2f} USD/kg",
                    "provenance": str(rng.choice(POLICIES)),
                }
                if rng.random() < 0.5:
                    cu["priority"] = int(rng.integers(1, 10))
                else:
                    cu["shortfall_penalty"] = f"{rng.uniform(100, 200):.2f} USD/kg"
                if rng.random() < 0.3:
                    cu["qualified_from"] = _ym(int(rng.integers(1, max(periods // 2, 2))))
                if rng.random() < 0.3:
                    cu["profile"] = [round(float(x), 3) for x in rng.uniform(0.7, 1.3, 12)]
                customers.append(cu)
                k += 1

    data = {
        "name": f"bench-{n_regions}r-{periods}m-s{seed}",
        "description": "generated for benchmarks/run.py",
        "horizon": {"start": START, "periods": periods, "period": "month"},
        "discount_rate": 0.08,
        "commodities": _commodities(),
        "sites": sites,
        "processes": processes,
        "contracts": contracts,
        "initial_stock": stock,
        "lanes": lanes,
        "customers": customers,
    }
    sc = Scenario.model_validate(data)
    findings = check_scenario(sc)
    if findings:
        raise ValueError(f"generated scenario fails its checks: {findings[:5]}")
    return sc


def scenario_for_size(name: str, *, seed: int = 0) -> Scenario:
    """The scenario of a named benchmark size (a key of :data:`SIZES`)."""
    if name not in SIZES:
        raise KeyError(f"unknown size {name!r}; use one of {', '.join(SIZES)}")
    regions, periods = SIZES[name]
    return make_scenario(regions, periods=periods, seed=seed)


def main() -> None:
    """Print the LP dimensions of every benchmark size."""
    from oreline.model import build_model
    from oreline.network import compile_network

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="*", default=list(SIZES))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print(f"{'size':>6} {'regions':>7} {'columns':>10} {'rows':>10} {'nonzeros':>10} "
          f"{'classes':>7} {'generate s':>10} {'compile s':>9} {'build s':>8}")
    for name in args.sizes:
        t0 = time.perf_counter()
        sc = scenario_for_size(name, seed=args.seed)
        t1 = time.perf_counter()
        net = compile_network(sc)
        t2 = time.perf_counter()
        lp = build_model(net)
        t3 = time.perf_counter()
        print(f"{name:>6} {SIZES[name][0]:>7} {lp.n_cols:>10,} {lp.n_rows:>10,} "
              f"{lp.matrix.nnz:>10,} {len(net.classes):>7} {t1 - t0:>10.2f} {t2 - t1:>9.2f} "
              f"{t3 - t2:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
