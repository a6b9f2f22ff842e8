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


def _fill(lp: LinearProgram, k: Kpis) -> pd.DataFrame:
    """Per customer with demand rows: demand, served, shortfall, unqualified, fill rate."""
    sales = lp.net.sales
    unq = sales.unqualified.sum(axis=1)
    listed = ((sales.demand > TOL) | (sales.unqualified > TOL)).any(axis=1)
    return pd.DataFrame({
        "customer": np.asarray(lp.net.customers, dtype=object), "demand_t": k.demand,
        "served_t": k.demand - k.shortfall, "shortfall_t": k.shortfall,
        "unqualified_demand_t": unq, "fill_rate": k.fill,
    })[listed].reset_index(drop=True)


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
    util_by = util.groupby("process")[["output_t", "capacity_t"]].sum()
    util_by["utilisation"] = util_by["output_t"] / util_by["capacity_t"].where(
        util_by["capacity_t"] > 0)
    kpi = KpiLayout.of(lp).kpis(sol.x, lp.cost, net.sales.demand)
    return PlanResults(
        tables=tables, kpis=kpi.scalars, fill_rate=_fill(lp, kpi),
        utilisation=util_by.reset_index(), shadow=shadow, balance=balance,
        dfars_clean=_dfars_clean(lp, kpi), stages=stage_table(lp, sol),
        meta={"columns": lp.n_cols, "rows": lp.n_rows, "nonzeros": int(lp.matrix.nnz),
              "iterations": sol.iterations, **{f"{k}_seconds": v for k, v in sol.timings.items()}},
    )
