"""One KPI code for plans and stress: the stress base sample reports the plan's figures."""

from __future__ import annotations

import math

import pytest

from oreline.planner import run_plan
from oreline.results.tables import TABLES, plan_tables
from oreline.scenario import load_scenario
from oreline.stress.runner import Worker

REL = 1e-9


@pytest.fixture(scope="module")
def kmp():
    scenario = load_scenario("kmp")
    return run_plan(scenario), Worker(scenario).base


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=REL, abs=1e-9)


def test_stress_base_sample_reports_the_plan_kpis(kmp):
    plan, base = kmp
    k = plan.results.kpis
    pairs = {"objective": "objective_discounted", "margin": "margin", "revenue": "revenue",
             "penalty": "shortfall_penalty", "demand_t": "demand_t",
             "shortfall_t": "shortfall_t", "fill_rate": "fill_rate"}
    for stress_key, plan_key in pairs.items():
        assert _same(base[stress_key], k[plan_key]), (stress_key, base[stress_key], k[plan_key])
    fill = plan.results.fill_rate.set_index("customer")
    for c in plan.network.customers:
        if c in fill.index:
            assert _same(base[f"fill_rate:{c}"], float(fill.loc[c, "fill_rate"])), c
            assert _same(base[f"shortfall_t:{c}"], float(fill.loc[c, "shortfall_t"])), c
        else:  # no demand row at all: no fill rate either side
            assert math.isnan(base[f"fill_rate:{c}"]) and base[f"shortfall_t:{c}"] == 0.0
    clean = plan.results.dfars_clean.groupby("product")["dfars_clean_t"].sum()
    products = [key.split(":", 1)[1] for key in base if key.startswith("dfars_clean_t:")]
    assert products and set(clean.index) <= set(products)
    for p in products:
        assert _same(base[f"dfars_clean_t:{p}"], float(clean.get(p, 0.0))), p


def test_no_demand_means_no_fill_rate_in_plan_and_stress(tiny_dict, make):
    """Every customer qualified after the horizon: fill rate NaN both ways (stress said 1.0)."""
    for c in tiny_dict["customers"]:
        c["qualified_from"] = "2028-01"
    scenario = make(tiny_dict)
    plan, base = run_plan(scenario), Worker(scenario).base
    assert math.isnan(plan.results.kpis["fill_rate"]) and math.isnan(base["fill_rate"])
    fill = plan.results.fill_rate.set_index("customer")
    for c in ("c1", "c2"):
        assert math.isnan(fill.loc[c, "fill_rate"]) and math.isnan(base[f"fill_rate:{c}"])
        assert fill.loc[c, "unqualified_demand_t"] == pytest.approx(18.0)


def test_each_table_builder_on_tiny():
    """One builder per table; tiny's hand figures (see tests/model/test_tiny.py) per table."""
    plan = run_plan("tiny")
    tables = plan_tables(plan.lp, plan.solution)
    assert list(tables) == list(TABLES)
    assert tables["purchases"]["cost"].sum() == pytest.approx(3 * 17_500)
    assert tables["take_or_pay"].empty and tables["lane_flows"].empty
    assert tables["production"]["output_t"].sum() == pytest.approx(30.0)
    assert tables["consumption"]["quantity_t"].sum() == pytest.approx(37.5)
    assert tables["inventory"].empty
    assert tables["sales"]["revenue"].sum() == pytest.approx(3 * 108_000)
    assert tables["demand"]["penalty"].sum() == pytest.approx(90_000)
