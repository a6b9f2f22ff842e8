"""Results of a solved plan: tables, KPIs, shadow prices, element mass balance."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oreline.model.matrix import LinearProgram
from oreline.origin import policy_allows
from oreline.results.balance import element_balance
from oreline.results.prices import shadow_prices, shortfall_causes
from oreline.results.tables import origin_class_table, plan_tables
from oreline.scenario.schema import Policy
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
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def shortfalls(self) -> pd.DataFrame:
        """Demand rows with a shortfall, with their cause."""
        d = self.tables["demand"]
        return d[d["shortfall_t"] > 1e-6].reset_index(drop=True)


def _fill(demand: pd.DataFrame) -> pd.DataFrame:
    g = demand.groupby("customer", sort=False)[["demand_t", "served_t", "shortfall_t",
                                                "unqualified_demand_t"]].sum()
    g["fill_rate"] = np.where(g["demand_t"] > 0, g["served_t"] / g["demand_t"].where(
        g["demand_t"] > 0, 1.0), np.nan)
    return g.reset_index()


def _utilisation(lp: LinearProgram, production: pd.DataFrame) -> pd.DataFrame:
    net = lp.net
    cap = pd.DataFrame({"process": np.repeat(np.asarray(net.processes), net.n_periods),
                        "period": np.tile(np.asarray(net.periods), len(net.processes)),
                        "capacity_t": net.proc_cap.ravel()})
    out = production.groupby(["process", "period"], as_index=False)["output_t"].sum()
    merged = cap.merge(out, on=["process", "period"], how="left").fillna({"output_t": 0.0})
    return merged


def _dfars_clean(lp: LinearProgram, production: pd.DataFrame) -> pd.DataFrame:
    rule = Policy(rule="dfars-2027")
    labels = {c.label: c for c in lp.net.classes}
    if production.empty:
        return pd.DataFrame(columns=["product", "period", "output_t", "dfars_clean_t"])
    ok = [labels[k].tracked and policy_allows(rule, labels[k], p) for k, p in
          zip(production["origin_class"], production["period"], strict=True)]
    df = production.assign(dfars_clean_t=np.where(ok, production["output_t"], 0.0))
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
        "site": np.asarray(net.sites, dtype=object)[net.node_site],
        "commodity": np.asarray(net.commodities, dtype=object)[net.node_com],
        "origin_class": [net.classes[k].label for k in net.node_cls],
        "quantity_t": net.initial,
    })
    tables["opening_stock"] = opening[opening["quantity_t"] > 0].reset_index(drop=True)
    tables["origin_classes"] = origin_class_table(net)
    rev = float(tables["sales"]["revenue"].sum())
    buy = float(tables["purchases"]["cost"].sum() + tables["take_or_pay"]["cost"].sum())
    proc = float(tables["production"]["cost"].sum())
    ship = float(tables["lane_flows"]["cost"].sum())
    hold = float(tables["inventory"]["holding_cost"].sum())
    pen = float(tables["demand"]["penalty"].sum())
    dem = tables["demand"]
    total_dem = float(dem["demand_t"].sum())
    util_by = util.groupby("process")[["output_t", "capacity_t"]].sum()
    util_by["utilisation"] = util_by["output_t"] / util_by["capacity_t"].where(
        util_by["capacity_t"] > 0)
    kpis = {
        "revenue": rev, "purchase_cost": buy, "processing_cost": proc, "transport_cost": ship,
        "holding_cost": hold, "margin": rev - buy - proc - ship - hold,
        "shortfall_penalty": pen, "objective_discounted": -sol.objective,
        "demand_t": total_dem, "served_t": float(dem["served_t"].sum()),
        "shortfall_t": float(dem["shortfall_t"].sum()),
        "fill_rate": float(dem["served_t"].sum() / total_dem) if total_dem else float("nan"),
    }
    return PlanResults(
        tables=tables, kpis=kpis, fill_rate=_fill(dem), utilisation=util_by.reset_index(),
        shadow=shadow, balance=balance, dfars_clean=_dfars_clean(lp, tables["production"]),
        meta={"columns": lp.n_cols, "rows": lp.n_rows, "nonzeros": int(lp.matrix.nnz),
              "iterations": sol.iterations, **{f"{k}_seconds": v for k, v in sol.timings.items()}},
    )
