"""Results of a solved plan: tables, KPIs, shadow prices, element mass balance."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oreline.model.matrix import LinearProgram
from oreline.results.balance import element_balance
from oreline.results.capacity import stage_table
from oreline.results.kpis import KpiLayout, Kpis
from oreline.results.opening import arrivals_table, stock_targets_table
from oreline.results.prices import shadow_prices, shortfall_causes
from oreline.results.sources import supply_by_country
from oreline.results.tables import TOL, origin_class_table, plan_tables
from oreline.solve import LiveModel, Solution

__all__ = ["PlanResults", "element_balance", "make_results", "shadow_prices"]


@dataclass
class PlanResults:
    """Everything a planner reads from one solve."""

    tables: dict[str, pd.DataFrame]
    kpis: dict[str, float]
    fill_rate: pd.DataFrame
    utilisation: pd.DataFrame
    shadow: dict[str, pd.DataFrame]
    balance: pd.DataFrame
    dfars_clean: pd.DataFrame
    stages: pd.DataFrame = field(default_factory=pd.DataFrame)
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def shortfalls(self) -> pd.DataFrame:
        """Demand rows with a shortfall, with their cause."""
        d = self.tables["demand"]
        return d[d["shortfall_t"] > 1e-6].reset_index(drop=True)


def _fill(lp: LinearProgram, k: Kpis, x: np.ndarray) -> pd.DataFrame:
    """Per demand line with any volume: its demand split, what was served, the fill rate.

    The split is firm, expected, unqualified and excluded demand; the fill rate is of the
    plannable (firm + expected) demand.

    ``served_t`` is what was sold, which exceeds the demand when a contract's ``max``
    lets the buyer take more than its firm volume.
    """
    sales = lp.net.sales
    sold = np.bincount(sales.customer, weights=lp.variables["Customer-sale"].values(x).sum(
        axis=1), minlength=len(lp.net.customers))
    pipe = sales.pipeline
    zeros = np.zeros_like(sales.demand)
    firm = (pipe.firm if pipe else sales.demand).sum(axis=1)
    expected = (pipe.expected if pipe else zeros).sum(axis=1)
    excluded = (pipe.excluded if pipe else zeros).sum(axis=1)
    unq = sales.unqualified.sum(axis=1)
    listed = (k.demand > TOL) | (unq > TOL) | (excluded > TOL)
    kind = ["enquiry" if hasattr(c, "probability") else "contract" for c in lp.net.demand_lines]
    return pd.DataFrame({
        "customer": np.asarray(lp.net.customers, dtype=object),
        "kind": np.array(kind, dtype=object), "firm_t": firm, "expected_t": expected,
        "demand_t": k.demand, "served_t": sold, "shortfall_t": k.shortfall,
        "unqualified_demand_t": unq, "excluded_t": excluded, "fill_rate": k.fill,
    })[listed].reset_index(drop=True)


def _pipeline_kpis(lp: LinearProgram) -> dict[str, float]:
    """Plan-wide firm, expected, unqualified and excluded demand, t."""
    sales = lp.net.sales
    pipe = sales.pipeline
    if pipe is None:
        return {}
    return {"firm_demand_t": float(pipe.firm.sum()),
            "expected_demand_t": float(pipe.expected.sum()),
            "unqualified_demand_t": float(sales.unqualified.sum()),
            "excluded_demand_t": float(pipe.excluded.sum())}


def _utilisation(lp: LinearProgram, production: pd.DataFrame) -> pd.DataFrame:
    net = lp.net
    cap = pd.DataFrame({"process": np.repeat(np.asarray(net.processes), net.n_periods),
                        "period": np.tile(np.asarray(net.periods), len(net.processes)),
                        "capacity_t": net.modes.capacity.ravel()})
    out = production.groupby(["process", "period"], as_index=False)["output_t"].sum()
    merged = cap.merge(out, on=["process", "period"], how="left").fillna({"output_t": 0.0})
    return merged


def _dfars_clean(lp: LinearProgram, k: Kpis) -> pd.DataFrame:
    """DFARS-clean share of each product's output per period (periods it was made in).

    Only products that carry an origin are listed: an untracked product (titanium
    sponge, a chloride...) has no stages to be clean or not.
    """
    net = lp.net
    product = np.array([net.scenario.processes[p].main_output for p in net.modes.process],
                       dtype=object)
    tracked = np.array([net.classes[c].tracked for c in net.modes.out_cls], dtype=bool)
    made = (np.abs(k.run) > TOL) & tracked.reshape(-1, 1)
    if not made.any():
        return pd.DataFrame(columns=["product", "period", "output_t", "dfars_clean_t"])
    e, t = np.nonzero(made)
    df = pd.DataFrame({"product": product[e], "period": np.asarray(net.periods)[t],
                       "output_t": k.run[e, t], "dfars_clean_t": k.dfars_clean[e, t]})
    return df.groupby(["product", "period"], as_index=False)[["output_t", "dfars_clean_t"]].sum()


def make_results(lp: LinearProgram, sol: Solution,
                 live: LiveModel | None = None) -> PlanResults:
    """Tables, KPIs, shadow prices and the element balance of a solved LP.

    ``live``, the model loaded in HiGHS, lets shadow prices that a degenerate dual
    leaves unsure be checked by re-solving (see :func:`shadow_prices`).

    Raises
    ------
    MassBalanceError
        When the solution creates or loses element mass (checked after every solve).

    """
    tables = plan_tables(lp, sol)
    balance = element_balance(lp, sol)
    shadow = shadow_prices(lp, sol, live)
    tables["demand"] = shortfall_causes(lp, sol, shadow, tables["demand"])
    util = _utilisation(lp, tables["production"])
    tables["capacity"] = util
    net = lp.net
    opening = pd.DataFrame({
        "site": np.asarray(net.sites, dtype=object)[net.nodes.site],
        "commodity": np.asarray(net.commodities, dtype=object)[net.nodes.commodity],
        "origin_class": [net.classes[k].label for k in net.nodes.cls],
        "quantity_t": net.nodes.initial,
    })
    tables["opening_stock"] = opening[opening["quantity_t"] > 0].reset_index(drop=True)
    tables["origin_classes"] = origin_class_table(net)
    tables["arrivals"] = arrivals_table(lp)
    tables["stock_targets"] = stock_targets_table(lp, sol)
    tables["supply_by_country"] = supply_by_country(
        [tables["opening_stock"], tables["arrivals"], tables["purchases"]])
    util_by = util.groupby("process")[["output_t", "capacity_t"]].sum()
    util_by["utilisation"] = util_by["output_t"] / util_by["capacity_t"].where(
        util_by["capacity_t"] > 0)
    kpi = KpiLayout.of(lp).kpis(sol.x, lp.cost, net.sales.demand)
    return PlanResults(
        tables=tables, kpis={**kpi.scalars, **_pipeline_kpis(lp)}, fill_rate=_fill(lp, kpi, sol.x),
        utilisation=util_by.reset_index(), shadow=shadow, balance=balance,
        dfars_clean=_dfars_clean(lp, kpi), stages=stage_table(lp, sol),
        meta={"demand_mode": net.demand_mode, "columns": lp.n_cols, "rows": lp.n_rows,
              "nonzeros": int(lp.matrix.nnz),
              "iterations": sol.iterations, **{f"{k}_seconds": v for k, v in sol.timings.items()}},
    )
