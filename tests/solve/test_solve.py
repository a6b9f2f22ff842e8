"""The HiGHS adapter: an infeasible plan names its conflicting limits by row and column."""

from __future__ import annotations

import pytest

from oreline.planner import run_plan


def test_infeasible_plan_names_the_conflicting_limits(tiny_dict, make):
    """A 90 t/month minimum purchase with 5 t of storage cannot be met."""
    from oreline.errors import SolverError

    tiny_dict["contracts"][1]["min"] = "90 t/month oxide"
    tiny_dict["sites"][0]["storage_capacity"] = "5 t oxide"
    with pytest.raises(SolverError) as info:
        run_plan(make(tiny_dict))
    text = str(info.value)
    assert "Site-storage[plant" in text
    assert "Contract-buy[cn" in text
    assert "Node-balance[plant/oxide/CN>CN" in text
