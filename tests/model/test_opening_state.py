"""The opening state solved by hand: a shipment in transit, an open order, a stock target.

One plant (KR) sells metal for 4 months from 2027-01 to c1: 6 t a month (14 t in
2027-03) at 10,000 USD/t, shortfall 20,000 USD/t. Metal comes from contract ``au`` (at
most 10 t a month, 2,000 USD/t, lead time 2 months: an order in 2027-01 arrives in
2027-03; the last two months' orders would arrive after the horizon), from a shipment in
transit ``ship1`` (6 t arriving 2027-02, refined in Japan, so its class AU>MY>JP is its
own) and from an open order ``po1`` under ``au`` (4 t arriving 2027-03, ordered in
2027-01). No holding cost, no discounting.

* 2027-01: nothing can arrive: 6 t short.
* 2027-02: the 6 t in transit serve c1, none of it earlier.
* 2027-03: the open order's 4 t, plus at most 10 - 4 = 6 t bought in 2027-01 (the order
  counts inside the contract's max): 10 of 14 t served, 4 t short.
* 2027-04: 6 t bought in 2027-02.

Sold 6 + 10 + 6 = 22 t: revenue 220,000. Paid: 12 t bought + the order's 4 t, 16 x
2,000 = 32,000. Margin 188,000; shortfall penalty 10 x 20,000 = 200,000; objective
-12,000.

Stock target ``reserve``: 3 t of metal at the plant in 2027-04. Holding it means buying
3 t more in 2027-02 that are never sold (3 x 2,000 = 6,000); the penalty for a t-month
below the target is P. With P = 500 the gap is 3 t, the penalty 1,500 and the row's
shadow cost 500 per t (one more t of target costs one more t of gap). With P = 2,500
the stock is held (6,000 < 7,500): gap 0, objective down by 6,000, and one more t of
target costs the 2,000 of buying it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oreline.planner import Plan, run_plan
from oreline.scenario import load_scenario

BASE = """\
name: opening
horizon: {start: 2027-01, periods: 4}
commodities:
  - {id: metal, family: metal, elements: {Nd: 1.0}}
sites:
  - {id: plant, country: KR, role: plant}
contracts:
  - id: au
    supplier: AU refiner
    commodity: metal
    site: plant
    max: 10 t/month metal
    price: 2000 USD/t
    lead_time: 2
    origin: {mined: AU, separated: MY, refined: KR}
customers:
  - id: c1
    site: plant
    product: metal
    demand: 6 t/month metal
    demand_by_period: {2027-03: 14 t/month metal}
    price: 10000 USD/t
    shortfall_penalty: 20000 USD/t
in_transit:
  - id: ship1
    site: plant
    commodity: metal
    quantity: 6 t metal
    arrival: 2027-02
    origin: {mined: AU, separated: MY, refined: JP}
    price_paid: 1900 USD/t
open_orders:
  - {id: po1, contract: au, quantity: 4 t metal, arrival: 2027-03}
"""
TARGET = """\
stock_targets:
  - {id: reserve, site: plant, commodity: metal, kind: strategic, quantity: 3 t metal,
     start: 2027-04, end: 2027-04, penalty: PENALTY USD/t}
"""


def _plan(tmp_path: Path, text: str) -> Plan:
    path = tmp_path / "opening.yaml"
    path.write_text(text, encoding="utf-8")
    return run_plan(load_scenario(path))


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    return _plan(tmp_path, BASE)


def test_hand_solved_objective_and_money(plan: Plan) -> None:
    k = plan.results.kpis
    assert k["revenue"] == pytest.approx(220_000)
    assert k["purchase_cost"] == pytest.approx(32_000)
    assert k["margin"] == pytest.approx(188_000)
    assert k["shortfall_penalty"] == pytest.approx(200_000)
    assert k["objective_discounted"] == pytest.approx(-12_000)


def test_in_transit_feeds_demand_in_its_month_and_not_before(plan: Plan) -> None:
    demand = plan.results.tables["demand"].set_index("period")
    assert demand["shortfall_t"].to_dict() == pytest.approx(
        {"2027-01": 6.0, "2027-02": 0.0, "2027-03": 4.0, "2027-04": 0.0})
    sales = plan.results.tables["sales"]
    from_ship = sales[sales["origin_class"] == "AU>MY>JP"]
    assert from_ship[["period", "quantity_t"]].values.tolist() == [["2027-02", 6.0]]


def test_open_order_is_paid_and_counted_against_the_contract_max(plan: Plan) -> None:
    buy = plan.lp.variables["Contract-buy"]
    assert plan.lp.col_upper[buy.offset:buy.offset + 4].tolist() == [6.0, 10.0, 0.0, 0.0]
    bought = plan.results.tables["purchases"].set_index("period")["quantity_t"].to_dict()
    assert bought == pytest.approx({"2027-01": 6.0, "2027-02": 6.0})
    arrivals = plan.results.tables["arrivals"].set_index("id")
    assert arrivals.loc["po1", ["period", "cost", "paid_in_plan"]].tolist() == [
        "2027-03", 8000.0, True]
    assert arrivals.loc["ship1", ["period", "origin_class", "cost", "paid_in_plan"]].tolist() \
        == ["2027-02", "AU>MY>JP", 11400.0, False]
    assert plan.results.balance["imbalance_t"].abs().max() < 1e-9
    assert plan.results.balance.set_index("element").loc["Nd", "arriving_t"] == 6.0


def test_open_order_on_the_contract_window_edge_is_reserved_in_its_order_period(
        tmp_path: Path) -> None:
    """Two orders placed in one month fill the max; the contract buys nothing more then."""
    text = BASE.replace("open_orders:\n  - {id: po1, contract: au, quantity: 4 t metal, "
                        "arrival: 2027-03}",
                        "open_orders:\n  - {id: po1, contract: au, quantity: 4 t metal, "
                        "arrival: 2027-03}\n  - {id: po2, contract: au, quantity: 6 t metal, "
                        "arrival: 2027-03}")
    plan = _plan(tmp_path, text)
    buy = plan.lp.variables["Contract-buy"]
    assert plan.lp.col_upper[buy.offset] == 0.0
    assert plan.results.kpis["purchase_cost"] == pytest.approx((4 + 6 + 6) * 2000)


@pytest.mark.parametrize(("penalty", "gap", "paid", "shadow", "objective"), [
    (500, 3.0, 1_500.0, 500.0, -13_500.0),
    (2500, 0.0, 0.0, 2_000.0, -18_000.0),
])
def test_stock_target_binds_with_the_hand_computed_penalty_and_shadow_cost(
        tmp_path: Path, penalty: int, gap: float, paid: float, shadow: float,
        objective: float) -> None:
    plan = _plan(tmp_path, BASE + TARGET.replace("PENALTY", str(penalty)))
    table = plan.results.tables["stock_targets"]
    assert table[["target", "kind", "period", "target_t"]].values.tolist() == [
        ["reserve", "strategic", "2027-04", 3.0]]
    row = table.iloc[0]
    assert row["gap_t"] == pytest.approx(gap)
    assert row["stock_t"] == pytest.approx(3.0 - gap)
    assert row["penalty"] == pytest.approx(paid)
    assert row["shadow_cost_per_t"] == pytest.approx(shadow)
    assert plan.results.kpis["target_penalty"] == pytest.approx(paid)
    assert plan.results.kpis["objective_discounted"] == pytest.approx(objective)


def test_a_quarterly_target_penalty_counts_three_months(tmp_path: Path) -> None:
    text = (BASE + TARGET.replace("PENALTY", "500")).replace(
        "periods: 4}", "periods: 2, period: quarter}").replace(
        "    demand_by_period: {2027-03: 14 t/month metal}\n", "")
    plan = _plan(tmp_path, text)
    assert np.allclose(plan.network.opening.target_penalty, [1500.0])


def test_open_order_under_a_disabled_contract_is_still_delivered(tmp_path: Path) -> None:
    disabled = BASE.replace("    lead_time: 2\n", "    lead_time: 2\n    enabled: false\n")
    plan = _plan(tmp_path, disabled)
    assert plan.results.tables["purchases"].empty
    sold = plan.results.tables["sales"].groupby("period")["quantity_t"].sum().to_dict()
    assert sold == pytest.approx({"2027-02": 6.0, "2027-03": 4.0})
    assert plan.results.kpis["purchase_cost"] == pytest.approx(8_000)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(month=st.integers(1, 6), tonnes=st.floats(0.5, 30.0))
def test_a_shipment_in_transit_never_lowers_the_optimum(tmp_path: Path, month: int,
                                                        tonnes: float) -> None:
    """Free material arriving at any month (in or after the horizon) cannot hurt."""
    base = _plan(tmp_path, BASE).results.kpis["objective_discounted"]
    extra = BASE.replace("in_transit:\n", f"in_transit:\n  - {{id: extra, site: plant, "
                         f"commodity: metal, quantity: {tonnes!r} t metal, arrival: "
                         f"2027-{month:02d}, origin: {{mined: AU, separated: MY, refined: "
                         f"KR}}}}\n")
    more = _plan(tmp_path, extra).results.kpis["objective_discounted"]
    assert more >= base - 1e-6
    if month <= 4:  # arriving within the horizon, it can always serve a shortfall later on
        assert more > base


def test_extends_merges_the_opening_state_by_id(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(BASE + TARGET.replace("PENALTY", "500"),
                                        encoding="utf-8")
    (tmp_path / "child.yaml").write_text("""\
name: child
extends: base.yaml
in_transit:
  - {id: ship1, arrival: 2027-03}
open_orders:
  - {id: po1, remove: true}
stock_targets:
  - {id: reserve, quantity: 4 t metal}
""", encoding="utf-8")
    sc = load_scenario(tmp_path / "child.yaml")
    assert [(x.id, x.arrival, x.quantity.tonnes) for x in sc.in_transit] == [
        ("ship1", "2027-03", 6.0)]
    assert sc.open_orders == []
    assert [x.quantity.tonnes for x in sc.stock_targets] == [4.0]
