"""Solution -> tidy labelled tables (one row per entity, origin class and period)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from oreline.model.families import VariableFamily
from oreline.model.matrix import LinearProgram
from oreline.network import Network
from oreline.origin import DFARS_ALL_STAGES_FROM, STAGES, policy_allows
from oreline.scenario.schema import Policy
from oreline.solve import Solution

__all__ = [
    "TABLES",
    "TOL",
    "consumption_table",
    "demand_table",
    "inventory_table",
    "lane_flows_table",
    "origin_class_table",
    "plan_tables",
    "production_table",
    "purchases_table",
    "sales_table",
    "take_or_pay_table",
]

#: Quantities below this (t) are treated as zero in tables.
TOL = 1e-7


def _frame(values: np.ndarray, index: dict[str, np.ndarray], periods: list[str],
           value_name: str) -> pd.DataFrame:
    """Long table from an (n, T) value array and per-entity (or (n, T)) label arrays."""
    n, T = values.shape
    e = np.repeat(np.arange(n), T)
    t = np.tile(np.arange(T), n)
    data = {k: np.asarray(v).ravel() if np.ndim(v) == 2 else np.asarray(v)[e]
            for k, v in index.items()}
    data["period"] = np.asarray(periods)[t]
    data[value_name] = values.ravel()
    df = pd.DataFrame(data)
    return df[df[value_name].abs() > TOL].reset_index(drop=True)


@dataclass(frozen=True)
class _Solved:
    """A solution with the label arrays every table builder reads."""

    lp: LinearProgram
    x: np.ndarray
    cls_label: np.ndarray  # per class
    site_ids: np.ndarray  # per site
    com_ids: np.ndarray  # per commodity

    @property
    def net(self) -> Network:
        return self.lp.net

    def values(self, name: VariableFamily) -> np.ndarray:
        """``(n, T)`` solution values of one variable family."""
        return self.lp.variables[name].values(self.x)

    def node_labels(self, n: np.ndarray) -> dict[str, np.ndarray]:
        """Site, commodity and origin class labels of nodes ``n``."""
        nodes = self.net.nodes
        return {"site": self.site_ids[nodes.site[n]],
                "commodity": self.com_ids[nodes.commodity[n]],
                "origin_class": self.cls_label[nodes.cls[n]]}


def _ids(items: list[Any], index: np.ndarray, attr: str) -> np.ndarray:
    """``attr`` of ``items[i]`` for each ``i`` in ``index``, as an object array."""
    return np.array([getattr(items[i], attr) for i in index], dtype=object)


def purchases_table(s: _Solved) -> pd.DataFrame:
    """Purchases per contract and period, with arrival period and cost."""
    net, P = s.net, s.net.periods
    buy, contracts = net.purchases, s.net.scenario.contracts
    node = s.node_labels(buy.node)
    df = _frame(s.values("Contract-buy"), {
        "contract": _ids(contracts, buy.contract, "id"),
        "supplier": _ids(contracts, buy.contract, "supplier"),
        "commodity": node["commodity"], "site": node["site"],
        "origin_class": node["origin_class"], "lead_time": buy.lead, "price_per_t": buy.price,
    }, P, "quantity_t")
    df["arrival_period"] = [P[P.index(p) + int(lt)] if P.index(p) + int(lt) < len(P) else "after"
                            for p, lt in zip(df["period"], df["lead_time"], strict=True)]
    df["cost"] = df["quantity_t"] * df["price_per_t"]
    return df


def take_or_pay_table(s: _Solved) -> pd.DataFrame:
    """Take-or-pay quantity paid but not bought, per contract and period."""
    buy = s.net.purchases
    df = _frame(s.values("Contract-deficit"), {
        "contract": _ids(s.net.scenario.contracts, buy.contract, "id"),
        "price_per_t": buy.price}, s.net.periods, "unbought_t")
    df["cost"] = df["unbought_t"] * df["price_per_t"]
    return df


def production_table(s: _Solved) -> pd.DataFrame:
    """Main output per process mode (output class) and period, with its cost."""
    net = s.net
    procs, mp = net.scenario.processes, net.modes.process
    df = _frame(s.values("Process-run"), {
        "process": _ids(procs, mp, "id"), "site": _ids(procs, mp, "site"),
        "product": _ids(procs, mp, "main_output"),
        "origin_class": s.cls_label[net.modes.out_cls], "cost_per_t": net.modes.cost[mp],
    }, net.periods, "output_t")
    df["cost"] = df["output_t"] * df["cost_per_t"]
    return df


def consumption_table(s: _Solved) -> pd.DataFrame:
    """Inputs consumed per process mode, input class and period."""
    net = s.net
    mode, node, coef = net.modes.inputs
    if not len(mode):
        return pd.DataFrame(columns=["process", "input", "product", "origin_class",
                                     "output_class", "period", "quantity_t"])
    procs, mp = net.scenario.processes, net.modes.process
    return _frame(s.values("Process-run")[mode] * coef[:, None], {
        "process": _ids(procs, mp[mode], "id"), "input": s.com_ids[net.nodes.commodity[node]],
        "product": _ids(procs, mp[mode], "main_output"),
        "origin_class": s.cls_label[net.nodes.cls[node]],
        "output_class": s.cls_label[net.modes.out_cls[mode]],
    }, net.periods, "quantity_t")


def lane_flows_table(s: _Solved) -> pd.DataFrame:
    """Flows per lane arc (commodity and class) and period of departure, with cost."""
    net = s.net
    arcs = net.arcs
    none = np.array([], object)
    frm, to = s.node_labels(arcs.source), s.node_labels(arcs.target)
    df = _frame(s.values("Lane-flow"), {
        "lane": _ids(net.scenario.lanes, arcs.lane, "id"),
        "origin": frm["site"] if len(arcs) else none,
        "destination": to["site"] if len(arcs) else none,
        "commodity": frm["commodity"] if len(arcs) else none,
        "origin_class": frm["origin_class"] if len(arcs) else none,
        "lead_time": arcs.lead, "cost_per_t": arcs.cost,
    }, net.periods, "quantity_t")
    df["cost"] = df["quantity_t"] * df["cost_per_t"]
    return df


def inventory_table(s: _Solved) -> pd.DataFrame:
    """Closing stock per node and period, with its holding cost."""
    net = s.net
    df = _frame(s.values("Stock-level"), {
        **s.node_labels(np.arange(net.n_nodes)), "holding_cost_per_t": net.nodes.hold_cost,
    }, net.periods, "stock_t")
    df["holding_cost"] = df["stock_t"] * df["holding_cost_per_t"]
    return df


def sales_table(s: _Solved) -> pd.DataFrame:
    """Sales per customer, origin class and period, with revenue."""
    net = s.net
    cust, sc_idx = list(net.demand_lines), net.sales.customer
    df = _frame(s.values("Customer-sale"), {
        "customer": _ids(cust, sc_idx, "id"), "group": _ids(cust, sc_idx, "group"),
        "product": _ids(cust, sc_idx, "product"),
        "policy": np.array([cust[c].provenance.rule for c in sc_idx], dtype=object),
        "origin_class": s.cls_label[net.nodes.cls[net.sales.node]],
        "price_per_t": net.sales.price[sc_idx],
    }, net.periods, "quantity_t")
    df["revenue"] = df["quantity_t"] * df["price_per_t"]
    return df


def demand_table(s: _Solved) -> pd.DataFrame:
    """Demand, served, shortfall and penalty per demand line and period (demand rows only).

    ``kind`` is ``contract`` or ``enquiry``; ``demand_t`` (what the plan must serve) is
    ``firm_t + expected_t``; ``unqualified_demand_t`` and ``excluded_t`` are volumes the
    plan leaves out (before qualification; enquiry volume the demand mode does not
    count), see :mod:`oreline.network.pipeline`.
    """
    net = s.net
    cust = net.demand_lines
    short_v = s.values("Customer-shortfall")
    C, T = short_v.shape
    sold = np.zeros((C, T))
    np.add.at(sold, net.sales.customer, s.values("Customer-sale"))
    pipe = net.sales.pipeline
    zeros = np.zeros((C, T))
    dem = pd.DataFrame({
        "customer": np.repeat(np.array([c.id for c in cust], dtype=object), T),
        "kind": np.repeat(np.array(["enquiry" if hasattr(c, "probability") else "contract"
                                    for c in cust], dtype=object), T),
        "product": np.repeat(np.array([c.product for c in cust], dtype=object), T),
        "period": np.tile(np.asarray(net.periods), C),
        "demand_t": net.sales.demand.ravel(),
        "firm_t": (pipe.firm if pipe else net.sales.demand).ravel(),
        "expected_t": (pipe.expected if pipe else zeros).ravel(),
        "served_t": sold.ravel(),
        "shortfall_t": short_v.ravel(),
        "penalty_per_t": np.repeat(net.sales.penalty, T),
        "unqualified_demand_t": net.sales.unqualified.ravel(),
        "excluded_t": (pipe.excluded if pipe else zeros).ravel(),
    })
    keep = (dem["demand_t"] > TOL) | (dem["unqualified_demand_t"] > TOL) | (
        dem["excluded_t"] > TOL)
    dem = dem[keep].reset_index(drop=True)
    dem["penalty"] = dem["shortfall_t"].clip(lower=0) * dem["penalty_per_t"]
    return dem


#: Table builders of :func:`plan_tables`, by table name.
TABLES: dict[str, Callable[[_Solved], pd.DataFrame]] = {
    "purchases": purchases_table, "take_or_pay": take_or_pay_table,
    "production": production_table, "consumption": consumption_table,
    "lane_flows": lane_flows_table, "inventory": inventory_table, "sales": sales_table,
    "demand": demand_table,
}


def plan_tables(lp: LinearProgram, sol: Solution) -> dict[str, pd.DataFrame]:
    """Purchases, production, consumption, lane flows, inventory, sales and demand as tables.

    Every table of material carries the origin class label (``AU>MY>KR``: mined >
    separated > refined ...). Money is undiscounted, in the scenario currency. One
    builder per table (:data:`TABLES`).

    Examples
    --------
    >>> from oreline.planner import run_plan
    >>> plan = run_plan("tiny")
    >>> list(plan_tables(plan.lp, plan.solution))[:3]
    ['purchases', 'take_or_pay', 'production']

    """
    net = lp.net
    solved = _Solved(lp, sol.x, np.array([c.label for c in net.classes], dtype=object),
                     np.asarray(net.sites, dtype=object), np.asarray(net.commodities, dtype=object))
    return {name: build(solved) for name, build in TABLES.items()}


def origin_class_table(net: Network) -> pd.DataFrame:
    """One row per origin class of the network: its label decoded, and its policy verdicts.

    Columns: ``origin_class`` (the label every other table carries), one column per
    stage (``mined`` ... ``produced``: its countries joined by ``+``, empty when the
    stage has not happened), and whether ``ex-china`` and ``dfars-2027`` admit the class
    (``dfars_before_2027`` for periods starting before 2027-01, ``dfars_from_2027`` from
    then on). ``crma`` admits every class (its cap is a share, not a verdict).

    Examples
    --------
    >>> from oreline.network import compile_network
    >>> from oreline.scenario import load_scenario
    >>> t = origin_class_table(compile_network(load_scenario("kmp"))).set_index("origin_class")
    >>> t.loc["??+CN>CN+US>KR>KR", ["mined", "separated", "refined", "melted", "produced"]].tolist()
    ['??+CN', 'CN+US', 'KR', 'KR', '']
    >>> t.loc["??+CN>CN+US>KR>KR", ["dfars_before_2027", "dfars_from_2027"]].tolist()
    [True, False]

    """
    rules = {"ex_china": (Policy(rule="ex-china"), DFARS_ALL_STAGES_FROM),
             "dfars_before_2027": (Policy(rule="dfars-2027"), "0000-00"),
             "dfars_from_2027": (Policy(rule="dfars-2027"), DFARS_ALL_STAGES_FROM)}
    rows = []
    for cls in net.classes:
        row: dict[str, object] = {"origin_class": cls.label}
        row.update({s: cls.stage_label(s) for s in STAGES})
        row.update({k: policy_allows(rule, cls, start) for k, (rule, start) in rules.items()})
        rows.append(row)
    return pd.DataFrame(rows, columns=["origin_class", *STAGES, *rules])
