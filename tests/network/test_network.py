"""compile_network on variants of ``tiny``: capacity phases, demand shapes and windows."""

from __future__ import annotations

import pytest

from oreline.network import compile_network


def test_capacity_phases_ramp_and_switch(tiny_dict, make):
    tiny_dict["horizon"]["periods"] = 6
    tiny_dict["processes"][0]["capacity"] = [
        {"start": "2027-01", "capacity": "10 t/month metal"},
        {"start": "2027-02", "capacity": "22 t/month metal", "ramp_periods": 2},
        {"start": "2027-05", "capacity": "40 t/month metal", "enabled": False},
    ]
    net = compile_network(make(tiny_dict))
    assert net.modes.capacity[0] == pytest.approx([10, 14, 18, 22, 22, 22])


def test_yearly_demand_with_profile(tiny_dict, make):
    weights = [1, 1, 2] + [1] * 9
    tiny_dict["customers"][0]["demand"] = "78 t/yr metal"
    tiny_dict["customers"][0]["profile"] = weights
    net = compile_network(make(tiny_dict))
    mean = sum(weights) / 12
    assert net.sales.demand[0] == pytest.approx([6.5 / mean, 6.5 / mean, 13 / mean])


def test_qualification_date_holds_back_demand(tiny_dict, make):
    tiny_dict["customers"][0]["qualified_from"] = "2027-03"
    net = compile_network(make(tiny_dict))
    assert net.sales.demand[0] == pytest.approx([0, 0, 6])
    assert net.sales.unqualified[0] == pytest.approx([6, 6, 0])


def test_demand_outside_the_horizon_is_an_error(tiny_dict, make):
    from oreline.errors import ScenarioError

    tiny_dict["customers"][0]["demand_by_period"] = {"2027-02": "7 t/month metal",
                                                     "2028-05": "7 t/month metal"}
    with pytest.raises(ScenarioError, match="period 2028-05 is not a period of the horizon"):
        make(tiny_dict)
    del tiny_dict["customers"][0]["demand_by_period"]["2028-05"]
    net = compile_network(make(tiny_dict))
    assert net.sales.demand[0] == pytest.approx([6, 7, 6])
