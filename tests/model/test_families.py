"""Each constraint family on a small variant of ``tiny``, checked by hand.

Base case (see test_tiny.py): 50,500 per month, c1 6 t CN metal, c2 4 t AU metal.
"""

from __future__ import annotations

import numpy as np
import pytest

from oreline.planner import run_plan


def objective(scenario) -> float:
    return run_plan(scenario).results.kpis["objective_discounted"]


def test_take_or_pay(tiny_dict, make):
    """TOP 20 t/month at AU: AU oxide is paid anyway, so all 12.5 t come from AU.

    Per month: revenue 108,000 - oxide 20 x 2,000 - processing 10,000 - penalty
    30,000 = 28,000; three months 84,000.
    """
    tiny_dict["contracts"][0]["take_or_pay"] = "20 t/month oxide"
    plan = run_plan(make(tiny_dict))
    assert plan.results.kpis["objective_discounted"] == pytest.approx(84_000)
    buy = plan.results.tables["purchases"].groupby("contract")["quantity_t"].sum()
    assert buy["au"] == pytest.approx(3 * 12.5)
    assert "cn" not in buy.index
    assert plan.results.tables["take_or_pay"]["unbought_t"].sum() == pytest.approx(3 * 7.5)


def test_lane_lead_time(tiny_dict, make):
    """Customers one month away: January is lost, later months pay 100/t freight.

    January penalty 6 x 20,000 + 6 x 15,000 = 210,000; February and March 50,500 -
    10 x 100 = 49,500 each: 2 x 49,500 - 210,000 = -111,000.
    """
    tiny_dict["sites"].append({"id": "us", "country": "US", "role": "customer"})
    tiny_dict["lanes"] = [{"id": "ship", "origin": "plant", "destination": "us",
                           "lead_time": 1, "cost": "100 USD/t"}]
    for c in tiny_dict["customers"]:
        c["site"] = "us"
    plan = run_plan(make(tiny_dict))
    assert plan.results.kpis["objective_discounted"] == pytest.approx(-111_000)
    d = plan.results.tables["demand"]
    jan = d[d["period"] == "2027-01"]
    assert jan["shortfall_t"].sum() == pytest.approx(12)
    assert set(jan["cause"]) == {"lead-time"}
    flows = plan.results.tables["lane_flows"]
    assert set(flows["period"]) == {"2027-01", "2027-02"}


def test_discounting(tiny_dict, make):
    tiny_dict["discount_rate"] = 0.12
    expected = sum(50_500 * 1.12 ** (-t / 12) for t in range(3))
    assert objective(make(tiny_dict)) == pytest.approx(expected)


def test_contract_lead_time_and_start(tiny_dict, make):
    """CN oxide arrives a month late; AU starts in February.

    January has nothing to process: both customers short (210,000 penalty).
    February and March as the base case: 2 x 50,500 - 210,000 = -109,000.
    """
    tiny_dict["contracts"][1]["lead_time"] = 1
    tiny_dict["contracts"][0]["start"] = "2027-02"
    assert objective(make(tiny_dict)) == pytest.approx(-109_000)


def test_initial_stock_is_used(tiny_dict, make):
    """10 t of AU oxide in stock saves 10 t x 2,000 of AU purchases.

    c2 needs 5 t of AU oxide a month, so the stock lasts January and February and
    5 t are held for one month at 1% x 1,500 = 15 /t: 151,500 + 20,000 - 75.
    """
    tiny_dict["initial_stock"] = [{"site": "plant", "commodity": "oxide",
                                   "quantity": "10 t oxide",
                                   "origin": {"mined": "AU", "separated": "MY"}}]
    plan = run_plan(make(tiny_dict))
    assert plan.results.kpis["objective_discounted"] == pytest.approx(151_500 + 20_000 - 75)
    assert plan.results.kpis["holding_cost"] == pytest.approx(75)


def test_crma_share_cap(tiny_dict, make):
    """c2 under crma:0.5 takes at most half its metal touching one country.

    Classes touch AU+MY or CN; so c2's 4 t split 2 AU + 2 CN: oxide 10 x 1,000 (CN
    for 8 t metal) + 2.5 x 2,000 = 15,000; per month 108,000 - 15,000 - 10,000 -
    30,000 = 53,000; 159,000 in all.
    """
    tiny_dict["customers"][1]["provenance"] = "crma:0.5"
    plan = run_plan(make(tiny_dict))
    assert plan.results.kpis["objective_discounted"] == pytest.approx(159_000)
    s = plan.results.tables["sales"]
    c2 = s[s["customer"] == "c2"].groupby("origin_class")["quantity_t"].sum()
    assert c2.to_dict() == pytest.approx({"AU>MY>KR": 6.0, "CN>CN>KR": 6.0})


def test_ex_china_same_as_dfars_here(tiny_dict, make):
    tiny_dict["customers"][1]["provenance"] = "ex-china"
    assert objective(make(tiny_dict)) == pytest.approx(151_500)


def test_dfars_before_2027_covers_only_melting(tiny_dict, make):
    """In 2026 DFARS does not yet cover mining and separation: c2 takes CN metal.

    c2's value from CN metal 12,000 - 2,250 + 15,000 = 24,750 < c1's 27,750, so c1
    still gets 6 t; c2 gets 4 t, all CN: 108,000 - 12.5 x 1,000 - 10,000 - 30,000 =
    55,500 per month.
    """
    tiny_dict["horizon"]["start"] = "2026-10"
    tiny_dict["processes"][0]["capacity"][0]["start"] = "2026-10"
    assert objective(make(tiny_dict)) == pytest.approx(3 * 55_500)


def test_storage_capacity_limits_stock(tiny_dict, make):
    """Cheap oxide now, price shock later: stock builds but never beyond 5 t."""
    tiny_dict["sites"][0]["storage_capacity"] = "5 t oxide"
    tiny_dict["contracts"][1]["end"] = "2027-01"
    plan = run_plan(make(tiny_dict))
    inv = plan.results.tables["inventory"].groupby("period")["stock_t"].sum()
    assert inv.max() == pytest.approx(5.0)
    unlimited = run_plan("tiny")
    assert unlimited.results.tables["inventory"].empty


def test_yield_raises_input(tiny_dict, make):
    """At 80% yield metal needs 1.25 / 0.8 = 1.5625 t oxide."""
    tiny_dict["processes"][0]["yield"] = 0.8
    plan = run_plan(make(tiny_dict))
    use = plan.results.tables["consumption"]["quantity_t"].sum()
    made = plan.results.tables["production"]["output_t"].sum()
    assert use / made == pytest.approx(1.5625)


def test_disabled_contract_is_absent(tiny_dict, make):
    tiny_dict["contracts"][0]["enabled"] = False
    plan = run_plan(make(tiny_dict))
    assert "au" not in set(plan.results.tables["purchases"]["contract"])
    # c2 (DFARS) cannot be served at all
    assert plan.results.fill_rate.set_index("customer").loc["c2", "served_t"] == pytest.approx(0)


def test_minimum_purchase_is_bound(tiny_dict, make):
    tiny_dict["contracts"][0]["min"] = "15 t/month oxide"
    plan = run_plan(make(tiny_dict))
    buy = plan.results.tables["purchases"].groupby("period")["quantity_t"].sum()
    assert (buy >= 15 - 1e-9).all()
    assert np.isfinite(plan.results.kpis["objective_discounted"])
