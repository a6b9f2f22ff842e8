"""Each network table builder on ``tiny`` (one plant in KR, AU and CN oxide, c1 any, c2 DFARS).

Classes sort as untracked, AU>MY, AU>MY>KR, CN>CN, CN>CN>KR; commodities as oxide,
metal; so the four nodes are oxide AU>MY (0), oxide CN>CN (1), metal AU>MY>KR (2)
and metal CN>CN>KR (3).
"""

from __future__ import annotations

import numpy as np
import pytest

from oreline.network.sales import build_sales, customer_demand, penalty
from oreline.network.sets import build_sets
from oreline.network.tables import build_arcs, build_modes, build_nodes, build_purchases
from oreline.scenario import load_scenario


@pytest.fixture(scope="module")
def sets():
    return build_sets(load_scenario("tiny"), 64)


@pytest.fixture(scope="module")
def nodes(sets):
    return build_nodes(sets)


def test_sets_discount_periods_and_classes(tiny_dict, make, sets):
    assert [c.label for c in sets.classes] == ["untracked", "AU>MY", "AU>MY>KR", "CN>CN",
                                               "CN>CN>KR"]
    assert sets.discount.tolist() == [1.0, 1.0, 1.0]
    tiny_dict["discount_rate"] = 0.12
    s = build_sets(make(tiny_dict), 64)
    assert s.discount == pytest.approx([1.12 ** (-t / 12) for t in range(3)])


def test_nodes_keys_and_holding_cost(sets, nodes):
    """Holding 1 % a month of the reference price: oxide 15, metal 100 per t."""
    assert list(zip(nodes.commodity.tolist(), nodes.cls.tolist(), strict=True)) == [
        (0, 1), (0, 3), (1, 2), (1, 4)]
    assert nodes.of == {(0, 0, 1): 0, (0, 0, 3): 1, (0, 1, 2): 2, (0, 1, 4): 3}
    assert nodes.hold_cost.tolist() == [15.0, 15.0, 100.0, 100.0]
    assert nodes.initial.tolist() == [0.0] * 4
    assert nodes.storage.tolist() == [np.inf]


def test_purchases_land_on_their_origin_node(sets, nodes):
    buy = build_purchases(sets, nodes)
    assert buy.contract.tolist() == [0, 1] and buy.node.tolist() == [0, 1]
    assert buy.upper.tolist() == [[20.0] * 3, [100.0] * 3]
    assert not buy.lower.any() and not buy.take_or_pay.any()


def test_modes_one_per_input_class(sets, nodes):
    """1.25 t oxide per t metal; the AU mode makes AU>MY>KR metal, the CN mode CN>CN>KR."""
    modes = build_modes(sets, nodes)
    assert modes.process.tolist() == [0, 0] and modes.out_cls.tolist() == [2, 4]
    mode, node, coef = modes.inputs
    assert (mode.tolist(), node.tolist(), coef.tolist()) == ([0, 1], [0, 1], [1.25, 1.25])
    mode, node, coef = modes.outputs
    assert (mode.tolist(), node.tolist(), coef.tolist()) == ([0, 1], [2, 3], [1.0, 1.0])
    assert modes.capacity.tolist() == [[10.0] * 3] and modes.cost.tolist() == [1000.0]


def test_a_process_of_untracked_inputs_makes_an_untracked_output(tiny_dict, make):
    """Kroll-like: 3.96 t chloride + 1.02 t Mg -> 1 t sponge, all without origin. Its one
    mode makes the untracked class (class 0), and a plan sells the sponge: 2 t/month
    needs 2 x 3.96 = 7.92 t chloride and 2 x 1.02 = 2.04 t Mg a month."""
    from oreline.planner import run_plan

    tiny_dict["commodities"] += [
        {"id": "cl4", "family": "reagent", "compounds": {"TiCl4": 1.0}},
        {"id": "mg", "family": "reagent", "elements": {"Mg": 1.0}},
        {"id": "sponge", "family": "metal", "controlled": False, "elements": {"Ti": 1.0}}]
    tiny_dict["processes"].append({
        "id": "kroll", "site": "plant", "main_output": "sponge",
        "inputs": {"cl4": 3.96, "mg": 1.02}, "variable_cost": "1 USD/kg",
        "capacity": [{"start": "2027-01", "capacity": "5 t/month metal"}]})
    tiny_dict["contracts"] += [
        {"id": "c_cl4", "supplier": "s", "commodity": "cl4", "site": "plant",
         "max": "50 t/month reagent", "price": "1 USD/kg"},
        {"id": "c_mg", "supplier": "s", "commodity": "mg", "site": "plant",
         "max": "50 t/month reagent", "price": "3 USD/kg"}]
    tiny_dict["customers"].append({
        "id": "c3", "site": "plant", "product": "sponge", "demand": "2 t/month metal",
        "price": "20 USD/kg"})
    sc = make(tiny_dict)
    s = build_sets(sc, 64)
    modes = build_modes(s, build_nodes(s))
    assert modes.out_cls[modes.process == 1].tolist() == [0]
    plan = run_plan(sc)
    buys = plan.results.tables["purchases"].groupby("contract")["quantity_t"].sum()
    assert buys["c_cl4"] == pytest.approx(3 * 7.92) and buys["c_mg"] == pytest.approx(3 * 2.04)
    assert "sponge" not in set(plan.results.dfars_clean["product"])  # no stages to be clean


def test_arcs_carry_every_node_with_freight_and_tariff(tiny_dict, make, sets, nodes):
    """Freight 100 /t plus a 10 % tariff on the reference price: oxide 250, metal 1,100."""
    assert len(build_arcs(sets, nodes)) == 0
    tiny_dict["sites"].append({"id": "us", "country": "US", "role": "customer"})
    tiny_dict["lanes"] = [{"id": "ship", "origin": "plant", "destination": "us",
                           "lead_time": 2, "cost": "100 USD/t", "tariff": 0.1}]
    s = build_sets(make(tiny_dict), 64)
    n = build_nodes(s)
    arcs = build_arcs(s, n)
    assert arcs.source.tolist() == [0, 1, 2, 3] and arcs.lead.tolist() == [2] * 4
    assert arcs.cost == pytest.approx([250, 250, 1100, 1100])
    for a, b in zip(arcs.source, arcs.target, strict=True):
        assert n.commodity[a] == n.commodity[b] and n.cls[a] == n.cls[b]
        assert s.sites[n.site[b]] == "us"


def test_sales_admit_by_policy(sets, nodes):
    """c2 (DFARS from 2027) may take AU>MY>KR metal only."""
    sales = build_sales(sets, nodes)
    assert sales.customer.tolist() == [0, 0, 1, 1] and sales.node.tolist() == [2, 3, 2, 3]
    assert sales.allowed.tolist() == [[True] * 3, [True] * 3, [True] * 3, [False] * 3]
    assert sales.demand.tolist() == [[6.0] * 3] * 2
    assert sales.penalty.tolist() == [20_000.0, 15_000.0] and sales.crma == []


def test_crma_groups_name_the_third_countries(tiny_dict, make):
    """c2 under crma:0.5: its AU>MY>KR sale touches AU and MY, its CN one CN."""
    tiny_dict["customers"][1]["provenance"] = "crma:0.5"
    s = build_sets(make(tiny_dict), 64)
    (ci, share, by_country), = build_sales(s, build_nodes(s)).crma
    assert (ci, share) == (1, 0.5)
    assert {c: v.tolist() for c, v in by_country.items()} == {"AU": [2], "CN": [3], "MY": [2]}


def test_customer_demand_window_and_default_penalty(tiny_dict, make):
    tiny_dict["customers"][0]["start"] = "2027-02"
    tiny_dict["customers"][0]["qualified_from"] = "2027-03"
    s = build_sets(make(tiny_dict), 64)
    plannable, unqualified = customer_demand(s, s.scenario.customers[0])
    assert plannable.tolist() == [0.0, 0.0, 6.0] and unqualified.tolist() == [0.0, 6.0, 0.0]
    assert penalty(1000.0, None, 3) == pytest.approx(2500.0)
