"""Solution -> tidy labelled tables (one row per entity, origin class and period)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oreline.model.matrix import LinearProgram
from oreline.network import Network
from oreline.origin import DFARS_ALL_STAGES_FROM, STAGES, policy_allows
from oreline.scenario.schema import Policy
from oreline.solve import Solution

__all__ = ["TOL", "origin_class_table", "plan_tables"]

#: Quantities below this (t) are treated as zero in tables.
TOL = 1e-7


def _frame(values: np.ndarray, index: dict[str, np.ndarray], periods: list[str],
           value_name: str) -> pd.DataFrame:
    """Long table from an (n, T) value array and per-entity label arrays."""
    n, T = values.shape
    e = np.repeat(np.arange(n), T)
    t = np.tile(np.arange(T), n)
    data = {k: np.asarray(v)[e] for k, v in index.items()}
    data["period"] = np.asarray(periods)[t]
    data[value_name] = values.ravel()
    df = pd.DataFrame(data)
    return df[df[value_name].abs() > TOL].reset_index(drop=True)


def plan_tables(lp: LinearProgram, sol: Solution) -> dict[str, pd.DataFrame]:
    """Purchases, production, consumption, lane flows, inventory, sales and demand as tables.

    Every table of material carries the origin class label (``AU>MY>KR``: mined >
    separated > refined ...). Money is undiscounted, in the scenario currency.
    """
    net, v = lp.net, lp.variables
    sc = net.scenario
    P = net.periods

    def values(name: str) -> np.ndarray:
        b = v[name]
        return sol.x[b.offset:b.offset + b.size].reshape(b.n, b.T)

    cls_label = np.array([c.label for c in net.classes], dtype=object)
    site_ids = np.asarray(net.sites, dtype=object)
    com_ids = np.asarray(net.commodities, dtype=object)
    contracts = [c for c in sc.contracts]
    kc = net.buy_contract
    buy = _frame(values("Contract-buy"), {
        "contract": np.array([contracts[i].id for i in kc], dtype=object),
        "supplier": np.array([contracts[i].supplier for i in kc], dtype=object),
        "commodity": com_ids[net.node_com[net.buy_node]],
        "site": site_ids[net.node_site[net.buy_node]],
        "origin_class": cls_label[net.node_cls[net.buy_node]],
        "lead_time": net.buy_lead, "price_per_t": net.buy_price,
    }, P, "quantity_t")
    buy["arrival_period"] = [P[P.index(p) + int(lt)] if P.index(p) + int(lt) < len(P) else "after"
                             for p, lt in zip(buy["period"], buy["lead_time"], strict=True)]
    buy["cost"] = buy["quantity_t"] * buy["price_per_t"]
    deficit = _frame(values("Contract-deficit"), {
        "contract": np.array([contracts[i].id for i in kc], dtype=object),
        "price_per_t": net.buy_price}, P, "unbought_t")
    deficit["cost"] = deficit["unbought_t"] * deficit["price_per_t"]

    procs = sc.processes
    mp = net.mode_process
    prod = _frame(values("Process-run"), {
        "process": np.array([procs[p].id for p in mp], dtype=object),
        "site": np.array([procs[p].site for p in mp], dtype=object),
        "product": np.array([procs[p].main_output for p in mp], dtype=object),
        "origin_class": cls_label[net.mode_out_cls],
        "cost_per_t": net.proc_cost[mp],
    }, P, "output_t")
    prod["cost"] = prod["output_t"] * prod["cost_per_t"]
    mode, node, coef = net.mode_in
    run = values("Process-run")
    use = _frame(run[mode] * coef[:, None], {
        "process": np.array([procs[p].id for p in mp[mode]], dtype=object),
        "input": com_ids[net.node_com[node]],
        "product": np.array([procs[p].main_output for p in mp[mode]], dtype=object),
        "origin_class": cls_label[net.node_cls[node]],
        "output_class": cls_label[net.mode_out_cls[mode]],
    }, P, "quantity_t") if len(mode) else pd.DataFrame(
        columns=["process", "input", "product", "origin_class", "output_class", "period",
                 "quantity_t"])

    lanes = sc.lanes
    la = net.arc_lane
    flows = _frame(values("Lane-flow"), {
        "lane": np.array([lanes[i].id for i in la], dtype=object),
        "origin": site_ids[net.node_site[net.arc_from]] if len(la) else np.array([], object),
        "destination": site_ids[net.node_site[net.arc_to]] if len(la) else np.array([], object),
        "commodity": com_ids[net.node_com[net.arc_from]] if len(la) else np.array([], object),
        "origin_class": cls_label[net.node_cls[net.arc_from]] if len(la) else np.array([], object),
        "lead_time": net.arc_lead, "cost_per_t": net.arc_cost,
    }, P, "quantity_t")
    flows["cost"] = flows["quantity_t"] * flows["cost_per_t"]

    inv = _frame(values("Stock-level"), {
        "site": site_ids[net.node_site], "commodity": com_ids[net.node_com],
        "origin_class": cls_label[net.node_cls], "holding_cost_per_t": net.hold_cost,
    }, P, "stock_t")
    inv["holding_cost"] = inv["stock_t"] * inv["holding_cost_per_t"]

    cust = sc.customers
    sc_idx = net.sale_customer
    sales = _frame(values("Customer-sale"), {
        "customer": np.array([cust[c].id for c in sc_idx], dtype=object),
        "group": np.array([cust[c].group for c in sc_idx], dtype=object),
        "product": np.array([cust[c].product for c in sc_idx], dtype=object),
        "policy": np.array([cust[c].provenance.rule for c in sc_idx], dtype=object),
        "origin_class": cls_label[net.node_cls[net.sale_node]],
        "price_per_t": net.price[sc_idx],
    }, P, "quantity_t")
    sales["revenue"] = sales["quantity_t"] * sales["price_per_t"]

    short_v = values("Customer-shortfall")
    C, T = short_v.shape
    served = net.demand - short_v
    dem = pd.DataFrame({
        "customer": np.repeat(np.array([c.id for c in cust], dtype=object), T),
        "product": np.repeat(np.array([c.product for c in cust], dtype=object), T),
        "period": np.tile(np.asarray(P), C),
        "demand_t": net.demand.ravel(),
        "served_t": served.ravel(),
        "shortfall_t": short_v.ravel(),
        "penalty_per_t": np.repeat(net.penalty, T),
        "unqualified_demand_t": net.unqualified.ravel(),
    })
    dem = dem[(dem["demand_t"] > TOL) | (dem["unqualified_demand_t"] > TOL)].reset_index(drop=True)
    dem["penalty"] = dem["shortfall_t"].clip(lower=0) * dem["penalty_per_t"]
    return {"purchases": buy, "take_or_pay": deficit, "production": prod, "consumption": use,
            "lane_flows": flows,
            "inventory": inv, "sales": sales, "demand": dem}


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
