"""The sales pipeline on the ``market`` scenario, checked by hand.

e1: 5 t/month metal, probability 0.4, decided 2027-02, 3 months of qualification,
earliest start 2027-04, so first delivery max(2027-04, 2027-05) = 2027-05: 8 months of
volume in 2027. e2: 2 t/month, probability 0.5, start 2027-09: 4 months. c1: demand 6,
firm 4, max 8 t/month.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oreline.network import compile_network
from oreline.network.pipeline import first_delivery
from oreline.planner import run_plan
from oreline.scenario.schema import Enquiry
from tests.conftest import scenario_from
from tests.network.market import market, market_dict


def test_first_delivery_is_the_later_of_start_and_qualification():
    e1, e2 = market().enquiries
    assert first_delivery(e1, "2027-01") == "2027-05"  # decision 2027-02 + 3 > start 2027-04
    assert first_delivery(e2, "2027-01") == "2027-09"  # no decision: qualified at once
    late = e1.model_copy(update={"start": "2027-08"})
    assert first_delivery(late, "2027-01") == "2027-08"


@pytest.mark.parametrize(("mode", "e1", "e2"), [("firm", 0.0, 0.0), ("expected", 16.0, 4.0),
                                                ("all", 40.0, 8.0)])
def test_enquiry_volume_planned_per_mode(mode, e1, e2):
    """expected = p x volume after qualification: 0.4 x 5 x 8 = 16, 0.5 x 2 x 4 = 4."""
    sales = compile_network(market(), demand=mode).sales
    assert sales.demand.sum(axis=1).tolist() == pytest.approx([48.0, e1, e2])
    assert sales.pipeline is not None
    assert sales.pipeline.expected.sum(axis=1).tolist() == pytest.approx([0.0, e1, e2])
    # what the mode leaves out after first delivery: (1 - w) x volume
    assert sales.pipeline.excluded.sum(axis=1).tolist() == pytest.approx(
        [0.0, 40.0 - e1, 8.0 - e2])
    # e1 asks for April, before it can be qualified: 0.4 x 5 = 2 t, in every mode
    assert sales.unqualified.sum(axis=1).tolist() == pytest.approx([0.0, 2.0, 0.0])
    assert np.flatnonzero(sales.demand[1]).tolist() == ([] if mode == "firm" else
                                                        list(range(4, 12)))


def test_contract_firm_and_max():
    """c1 must get 4 t/month and may take 8; with a margin it takes 8, at a loss only 4."""
    sales = compile_network(market()).sales
    assert sales.demand[0].tolist() == [4.0] * 12
    assert sales.ceiling[0].tolist() == [8.0] * 12
    plan = run_plan(market())
    fill = plan.results.fill_rate.set_index("customer")
    assert fill.loc["c1", ["firm_t", "served_t", "shortfall_t"]].tolist() == [48.0, 96.0, 0.0]
    data = market_dict()
    data["customers"][0]["price"] = "40 USD/kg"  # below the ~62 USD/kg it costs to make
    cheap = run_plan(scenario_from(data)).results.fill_rate.set_index("customer")
    assert cheap.loc["c1", ["served_t", "shortfall_t"]].tolist() == [48.0, 0.0]


def test_reports_split_firm_expected_unqualified_and_left_out():
    plan = run_plan(market())
    fill = plan.results.fill_rate.set_index("customer")
    assert fill["kind"].tolist() == ["contract", "enquiry", "enquiry"]
    assert fill.loc["e1", ["firm_t", "expected_t", "unqualified_demand_t", "excluded_t"]
                    ].tolist() == pytest.approx([0.0, 16.0, 2.0, 24.0])
    k = plan.results.kpis
    assert (k["firm_demand_t"], k["expected_demand_t"]) == pytest.approx((48.0, 20.0))
    assert (k["unqualified_demand_t"], k["excluded_demand_t"]) == pytest.approx((2.0, 28.0))
    assert k["demand_t"] == pytest.approx(68.0)  # the fill rate is of firm + expected
    demand = plan.results.tables["demand"]
    e1 = demand[demand["customer"] == "e1"].set_index("period")
    assert e1.loc["2027-04", "unqualified_demand_t"] == pytest.approx(2.0)
    assert e1.loc["2027-05", ["demand_t", "expected_t", "excluded_t"]].tolist() == pytest.approx(
        [2.0, 2.0, 3.0])


def test_unknown_demand_mode_is_a_clear_error():
    from oreline.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown demand mode 'likely'"):
        run_plan(market(), demand="likely")  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None)
@given(p=st.floats(0.0, 1.0), qual=st.integers(0, 18), decision=st.integers(0, 11),
       start=st.integers(0, 11), rate=st.integers(1, 9))
def test_expected_volume_is_probability_times_volume_after_qualification(
        p, qual, decision, start, rate):
    """Independent count: months m of 2027 with m >= max(start, decision + qual)."""
    data = market_dict()
    data["enquiries"] = [{
        "id": "e", "site": "plant", "product": "metal", "demand": f"{rate} t/month metal",
        "price": "70 USD/kg", "probability": p, "qualification_months": qual,
        "decision": f"2027-{decision + 1:02d}", "start": f"2027-{start + 1:02d}"}]
    sales = compile_network(scenario_from(data)).sales
    first = max(start, decision + qual)
    months_served = max(0, 12 - first)
    assert sales.demand[1].sum() == pytest.approx(p * rate * months_served)
    assert sales.unqualified[1].sum() == pytest.approx(p * rate * max(0, min(first, 12) - start))
    assert isinstance(sales.pipeline.lines[1], Enquiry) if sales.pipeline else False
