"""Each event type's effect on ``tiny``, checked by hand.

Base (tests/model/test_tiny.py): 50,500 per month; c1 (any) gets 6 t of CN metal,
c2 (DFARS) 4 t of AU metal; metal costs 2,250 /t from CN oxide, 3,500 from AU oxide.
"""

from __future__ import annotations

import pytest

from oreline.scenario import load_scenario
from oreline.stress.apply import occurrence
from oreline.stress.events import StressFile
from oreline.stress.runner import Sample, Worker
from tests.conftest import builtin_dict, scenario_from


def tiny_with_lane():
    d = builtin_dict("tiny")
    d["sites"].append({"id": "us", "country": "US", "role": "customer"})
    d["lanes"] = [{"id": "ship", "origin": "plant", "destination": "us", "lead_time": 1,
                   "cost": "100 USD/t"}]
    for c in d["customers"]:
        c["site"] = "us"
    return scenario_from(d)


def objective_with(event: dict, scenario=None) -> float:
    scenario = scenario or load_scenario("tiny")
    stress = StressFile.model_validate({"name": "t", "scenario": "tiny", "events": [event]})
    worker = Worker(scenario)
    occ = occurrence(stress.events[0], worker.ctx, None, 0.5)
    row = worker.run(Sample(0, "t", (occ,), cold_check=True))
    assert row["cold_objective"] == pytest.approx(row["objective"], rel=1e-9)
    # the live model is back at the base afterwards
    assert worker.live.solve().objective == pytest.approx(worker.base_solution.objective)
    return row["objective"]


def test_supplier_outage_stops_dfars_supply():
    """No AU oxide: c2 cannot be served. 60,000 - 7,500 - 6,000 - 90,000 = -43,500/month."""
    ev = {"id": "e", "type": "supplier_outage", "contract": "au", "fraction": 1.0}
    assert objective_with(ev) == pytest.approx(3 * -43_500)


def test_export_ban_on_chinese_oxide():
    """Both customers on AU metal: 108,000 - 25,000 - 10,000 - 30,000 = 43,000/month."""
    ev = {"id": "e", "type": "export_control", "country": "CN", "commodities": ["oxide"],
          "mode": "ban"}
    assert objective_with(ev) == pytest.approx(3 * 43_000)


def test_export_ban_by_element_hits_the_same_contract():
    ev = {"id": "e", "type": "export_control", "country": "CN", "elements": ["Nd"]}
    assert objective_with(ev) == pytest.approx(3 * 43_000)


def test_export_quota():
    """5 t/month of CN oxide = 4 t metal for c1; c1's other 2 t and c2's 4 t from AU.

    108,000 - (5 x 1,000 + 7.5 x 2,000) - 10,000 - 30,000 = 48,000/month.
    """
    ev = {"id": "e", "type": "export_control", "country": "CN", "commodities": ["oxide"],
          "mode": "quota", "quota": "5 t/month oxide"}
    assert objective_with(ev) == pytest.approx(3 * 48_000)


def test_licence_with_delay_blocks_first_months():
    """45 working days = 3 months of 21 days: CN oxide blocked all horizon -> as a ban."""
    ev = {"id": "e", "type": "export_control", "country": "CN", "commodities": ["oxide"],
          "mode": "licence", "approval_probability": 1.0, "delay_working_days": 63}
    assert objective_with(ev) == pytest.approx(3 * 43_000)


def test_process_outage_for_one_month():
    """Half capacity in February.

    February alone: 5 t to c1, 50,000 - 6,250 - 5,000 - 110,000 = -71,250. But one t
    of c2's January metal is better made as CN metal and held for c1: c2 loses 23,500,
    c1 gains 27,750 less 100 of holding (1% x 10,000): +4,150.
    """
    ev = {"id": "e", "type": "process_outage", "process": "electrolysis", "fraction": 0.5,
          "start": "2027-02", "duration": 1}
    assert objective_with(ev) == pytest.approx(2 * 50_500 - 71_250 + 4_150)


def test_demand_shock():
    """c1 doubles to 12 t: all 10 t to c1. 100,000 - 12,500 - 10,000 - 130,000 = -52,500."""
    ev = {"id": "e", "type": "demand_shock", "customers": ["c1"], "factor": 2.0}
    assert objective_with(ev) == pytest.approx(3 * -52_500)


def test_price_shock_on_purchases():
    """Oxide prices double: 108,000 - 35,000 - 10,000 - 30,000 = 33,000/month."""
    ev = {"id": "e", "type": "price_shock", "commodity": "oxide", "factor": 2.0}
    assert objective_with(ev) == pytest.approx(3 * 33_000)


def test_price_shock_on_sales():
    """Metal sells 10% higher: revenue 118,800: 118,800 - 17,500 - 10,000 - 30,000."""
    ev = {"id": "e", "type": "price_shock", "commodity": "metal", "factor": 1.1,
          "applies_to": "sales"}
    assert objective_with(ev) == pytest.approx(3 * 61_300)


def test_lane_closure():
    """Nothing reaches the customers: 12 t short every month at 20,000 and 15,000."""
    ev = {"id": "e", "type": "lane_closure", "lane": "ship"}
    assert objective_with(ev, tiny_with_lane()) == pytest.approx(3 * -210_000)


def test_tariff_change():
    """10% ad valorem on metal (reference 10,000) adds 1,000/t on 10 t in Feb and March.

    Base with the lane: 2 x 49,500 - 210,000; each shipped month loses 10,000.
    """
    ev = {"id": "e", "type": "tariff_change", "lane": "ship", "tariff": 0.1}
    assert objective_with(ev, tiny_with_lane()) == pytest.approx(2 * 39_500 - 210_000)


def test_qualification_delay():
    """c1 qualifies in March, so its January and February demand is not plannable.

    Jan: c2 takes 6 t AU metal, 72,000 - 21,000 = 51,000. March needs 6 AU + 6 CN =
    12 t > 10 t capacity, so 2 t of CN metal are made in Feb and held a month:
    Feb 72,000 - 21,000 - 4,500 - 200 = 46,300; March 132,000 - 21,000 - 9,000 =
    102,000. No shortfall anywhere.
    """
    ev = {"id": "e", "type": "qualification_delay", "customer": "c1", "periods": 2}
    assert objective_with(ev) == pytest.approx(51_000 + 46_300 + 102_000)


def test_licence_scales_deliveries_by_approval_probability():
    """CN max 8 t/month, half approved: 4 t CN oxide = 3.2 t metal for c1; the rest AU.

    108,000 - (4 x 1,000 + 8.5 x 2,000) - 10,000 - 30,000 = 47,000 per month.
    """
    d = builtin_dict("tiny")
    d["contracts"][1]["max"] = "8 t/month oxide"
    ev = {"id": "e", "type": "export_control", "country": "CN", "commodities": ["oxide"],
          "mode": "licence", "approval_probability": 0.5}
    assert objective_with(ev, scenario_from(d)) == pytest.approx(3 * 47_000)


def test_licence_draws_block_unapproved_months():
    import numpy as np

    scenario = load_scenario("tiny")
    stress = StressFile.model_validate({"name": "t", "scenario": "tiny", "events": [
        {"id": "e", "type": "export_control", "country": "CN", "commodities": ["oxide"],
         "mode": "licence", "approval_probability": 0.5}]})
    worker = Worker(scenario)
    rng = np.random.default_rng(3)
    occ = occurrence(stress.events[0], worker.ctx, rng)
    assert occ is not None and occ.approvals is not None
    assert len(occ.approvals) == 3
    ch = worker.ctx.apply([occ])
    k = worker.ctx.contract_k["cn"]
    ub = ch.col_upper[worker.ctx.cols("Contract-buy", [k], np.arange(3))]
    assert [bool(u > 0) for u in ub] == list(occ.approvals)


def test_outage_relieves_take_or_pay():
    """No AU oxide while AU is out, so its take-or-pay is not owed: as the plain outage."""
    d = builtin_dict("tiny")
    d["contracts"][0]["take_or_pay"] = "5 t/month oxide"
    ev = {"id": "e", "type": "supplier_outage", "contract": "au", "fraction": 1.0}
    assert objective_with(ev, scenario_from(d)) == pytest.approx(3 * -43_500)


def test_process_capacity_cap():
    """Capacity capped at 5 t/month all horizon: c1 gets 5 t every month.

    50,000 - 6,250 - 5,000 - (20,000 + 90,000) = -71,250 per month.
    """
    ev = {"id": "e", "type": "process_outage", "process": "electrolysis",
          "cap": "5 t/month metal"}
    assert objective_with(ev) == pytest.approx(3 * -71_250)


def test_qualification_delay_of_a_long_qualified_customer_does_nothing():
    d = builtin_dict("tiny")
    d["customers"][0]["qualified_from"] = "2025-01"
    ev = {"id": "e", "type": "qualification_delay", "customer": "c1", "periods": 6}
    assert objective_with(ev, scenario_from(d)) == pytest.approx(151_500)


def test_planned_approval_scales_from_the_scenarios_own_availability():
    """CN max 4 t/month already at a 0.5 approval rate: the licensed volume is 8 t.

    With planned_approval 0.5, an approval probability of 0.5 (deterministic: the bound
    x 0.5 / 0.5) leaves the base plan as it is, and 0.25 halves CN to 2 t/month, the
    figure of a plain 0.5 licence on 4 t: 108,000 - (2 x 1,000 + 10.5 x 2,000) - 10,000
    - 30,000 = 45,000 per month (as in the 8 t case above, with 2 t of CN oxide).
    """
    d = builtin_dict("tiny")
    d["contracts"][1]["max"] = "4 t/month oxide"
    sc = scenario_from(d)
    base = Worker(sc).base["objective"]
    ev = {"id": "e", "type": "export_control", "country": "CN", "commodities": ["oxide"],
          "mode": "licence", "planned_approval": 0.5}
    assert objective_with({**ev, "approval_probability": 0.5}, sc) == pytest.approx(base)
    quarter = objective_with({**ev, "approval_probability": 0.25}, sc)
    assert quarter == pytest.approx(objective_with(
        {**ev, "planned_approval": 1.0, "approval_probability": 0.5}, sc))
    assert quarter == pytest.approx(3 * 45_000)


def test_kmp_licence_event_is_centred_on_kmps_own_availability():
    """The built-in april-2025-licences draws approvals whose mean is kmp's ⚑ 0.6, on
    the licensed volume (max / 0.6): the expected Chinese Dy bound equals kmp's own
    0.4 t/month, so the event adds risk around the plan instead of compounding with it.
    Checked by the distribution's mean and by 400 Monte Carlo draws (36 months each:
    14,400 Bernoulli months, standard error ~0.3 % of the bound)."""
    import numpy as np

    from oreline.stress import load_stress

    stress, base = load_stress("kmp")
    ev = next(e for e in stress.events if e.id == "april-2025-licences")
    p = ev.approval_probability
    assert (p.low + p.high) / 2 == pytest.approx(ev.planned_approval) == pytest.approx(0.6)
    worker = Worker(load_scenario(base))
    ctx = worker.ctx
    k = ctx.contract_k["china_dy"]
    cols = ctx.cols("Contract-buy", [k], np.arange(ctx.T))
    planned = ctx.lp.col_upper[cols]
    assert planned.max() == pytest.approx(0.4)  # kmp: 0.675 t licensed x 0.6
    rng = np.random.default_rng(11)
    drawn = np.mean([ctx.apply([occurrence(ev, ctx, rng)]).col_upper[cols]
                     for _ in range(400)], axis=0)
    assert drawn.mean() == pytest.approx(planned.mean(), rel=0.02)
    # deterministic runs (named cases, tornado) at the median leave the bound as planned
    median = ctx.apply([occurrence(ev, ctx, None, 0.5)]).col_upper[cols]
    assert median == pytest.approx(planned)
