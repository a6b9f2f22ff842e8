"""Tables, shadow prices, utilisation and element balance of ``tiny``, solved by hand.

The hand calculation is in ``tests/model/test_tiny.py``: c1 gets 6 t of CN metal a
month, c2 4 t of AU metal and is 2 t short; capacity is worth 23,500 per t; admitting
CN metal to c2 would save 1,250 per t.
"""

from __future__ import annotations

import pytest

from oreline.planner import run_plan


@pytest.fixture(scope="module")
def plan():
    return run_plan("tiny")


def test_sales_by_customer_and_origin(plan):
    sales = plan.results.tables["sales"].groupby(["customer", "origin_class"])["quantity_t"].sum()
    assert sales[("c1", "CN>CN>KR")] == pytest.approx(18)
    assert sales[("c2", "AU>MY>KR")] == pytest.approx(12)
    assert set(sales.index) == {("c1", "CN>CN>KR"), ("c2", "AU>MY>KR")}


def test_purchases(plan):
    buy = plan.results.tables["purchases"].groupby("contract")["quantity_t"].sum()
    assert buy["cn"] == pytest.approx(3 * 7.5)
    assert buy["au"] == pytest.approx(3 * 5.0)


def test_shortfall_and_cause(plan):
    short = plan.results.shortfalls
    assert list(short["customer"].unique()) == ["c2"]
    assert short["shortfall_t"].to_numpy() == pytest.approx([2, 2, 2])
    assert set(short["cause"]) == {"provenance+capacity"}


def test_capacity_shadow_price(plan):
    cap = plan.results.shadow["capacity"]
    assert len(cap) == 3
    assert cap["value_per_t"].to_numpy() == pytest.approx([23_500] * 3)


def test_value_of_relaxing_dfars(plan):
    prov = plan.results.shadow["provenance"]
    assert set(prov["origin_class"]) == {"CN>CN>KR"}
    assert prov["value_per_t"].to_numpy() == pytest.approx([1_250] * 3)


def test_node_price_of_au_metal(plan):
    """A tonne of AU metal on hand is worth c2's price plus its avoided penalty."""
    nodes = plan.results.shadow["node_prices"]
    au = nodes[(nodes["commodity"] == "metal") & (nodes["origin_class"] == "AU>MY>KR")]
    assert au["value_per_t"].to_numpy() == pytest.approx([27_000] * 3)


def test_utilisation_full(plan):
    util = plan.results.utilisation.set_index("process")
    assert util.loc["electrolysis", "utilisation"] == pytest.approx(1.0)


def test_element_balance_by_stoichiometry(plan):
    bal = plan.results.balance.set_index("element")
    oxide = 3 * (7.5 + 5.0)
    nd_per_oxide = 2 * 144.242 / (2 * 144.242 + 3 * 15.999)
    assert bal.loc["Nd", "purchased_t"] == pytest.approx(oxide * nd_per_oxide)
    assert bal.loc["Nd", "sold_t"] == pytest.approx(30.0)
    assert bal.loc["Nd", "process_loss_t"] == pytest.approx(oxide * nd_per_oxide - 30.0)
    assert bal["imbalance_t"].abs().max() < 1e-9
