"""The commercial stress events on the ``market`` scenario, checked by hand.

``enquiry``: a converted enquiry is served its whole volume from its first delivery
(e1: 5 t/month from 2027-05, period 4) plus the delay; one that does not convert gets
nothing. ``index_shock``: the same optimum as a re-solve of the scenario with the
shocked path (tests/network/test_prices.py checks that one by hand).
"""

from __future__ import annotations

import numpy as np
import pytest

from oreline.errors import StressError
from oreline.model import build_model
from oreline.network import compile_network
from oreline.planner import run_plan
from oreline.stress.apply import StressContext, occurrence
from oreline.stress.events import StressFile
from oreline.stress.market import conversion_values
from oreline.stress.references import check_references
from oreline.stress.runner import Sample, Worker
from tests.network.market import market, oxide_up


def _events(*events: dict) -> StressFile:
    return StressFile.model_validate({"name": "t", "scenario": "market", "events": list(events)})


def _demand_rows(ctx: StressContext, event: dict, rng=None, q=0.5) -> np.ndarray:
    occ = occurrence(_events(event).events[0], ctx, rng, q)
    assert occ is not None
    ch = ctx.apply([occ])
    return ch.row_lower[ctx.lp.row_slice("Customer-demand")].reshape(-1, ctx.T)


@pytest.fixture(scope="module")
def ctx() -> StressContext:
    return StressContext(build_model(compile_network(market())))


def test_converted_enquiry_gets_its_whole_volume_from_first_delivery(ctx):
    rows = _demand_rows(ctx, {"id": "e", "type": "enquiry", "enquiries": ["e1"],
                              "converts": True})
    assert rows[1].tolist() == [0.0] * 4 + [5.0] * 8
    assert rows[2].tolist() == ctx.lp.net.sales.demand[2].tolist()  # e2 untouched
    delayed = _demand_rows(ctx, {"id": "e", "type": "enquiry", "enquiries": ["e1"],
                                 "converts": True, "delay": 2})
    assert delayed[1].tolist() == [0.0] * 6 + [5.0] * 6
    lost = _demand_rows(ctx, {"id": "e", "type": "enquiry", "converts": False})
    assert lost[1:].sum() == 0.0 and lost[0].tolist() == [4.0] * 12


def test_named_case_converts_enquiries_above_one_half(ctx):
    rows = _demand_rows(ctx, {"id": "e", "type": "enquiry"})  # median: e1 (0.4) no, e2 (0.5) no
    assert rows[1:].sum() == 0.0
    rows = _demand_rows(ctx, {"id": "e", "type": "enquiry"}, q=0.9)  # both above 0.1
    assert rows[1].sum() == 40.0 and rows[2].sum() == 8.0


def test_conversion_is_a_bernoulli_draw_with_the_enquiry_probability(ctx):
    ev = _events({"id": "e", "type": "enquiry"}).events[0]
    rng = np.random.default_rng(7)
    draws = [conversion_values(ctx, ev, rng, None) for _ in range(4000)]  # type: ignore[arg-type]
    e1 = np.mean([d["converts:e1"] for d in draws])
    e2 = np.mean([d["converts:e2"] for d in draws])
    # binomial standard error sqrt(p(1-p)/n) <= 0.008: 5 of them either side
    assert abs(e1 - 0.4) < 0.04 and abs(e2 - 0.5) < 0.04


def test_converted_enquiry_solves_like_the_all_demand_plan():
    """Both enquiries converted with no delay is the ``--demand all`` plan."""
    worker = Worker(market())
    occ = occurrence(_events({"id": "e", "type": "enquiry", "converts": True}).events[0],
                     worker.ctx, None, 0.5)
    row = worker.run(Sample(0, "t", (occ,), cold_check=True))
    assert row["cold_objective"] == pytest.approx(row["objective"], rel=1e-9)
    assert row["objective"] == pytest.approx(
        run_plan(market(), demand="all").results.kpis["objective_discounted"], rel=1e-9)


def test_index_shock_is_a_re_solve_with_the_shocked_path():
    worker = Worker(market())
    ev = _events({"id": "up", "type": "index_shock", "commodity": "oxide", "factor": 1.1})
    occ = occurrence(ev.events[0], worker.ctx, None, 0.5)
    row = worker.run(Sample(0, "t", (occ,), cold_check=True))
    shocked = run_plan(oxide_up(1.1)).results.kpis
    assert row["objective"] == pytest.approx(shocked["objective_discounted"], rel=1e-9)
    assert row["margin"] == pytest.approx(shocked["margin"], rel=1e-9)
    # the live model is back at the base afterwards
    assert worker.live.solve().objective == pytest.approx(worker.base_solution.objective)


def test_index_shock_in_a_window_moves_only_those_periods(ctx):
    ev = _events({"id": "up", "type": "index_shock", "commodity": "oxide", "factor": 1.5,
                  "start": "2027-03", "duration": 2})
    ch = ctx.apply([occurrence(ev.events[0], ctx, None, 0.5)])
    buy = ctx.lp.variables["Contract-buy"]
    delta = buy.values(ch.cost) - buy.values(ctx.lp.cost)
    expected = np.zeros(12)
    expected[2:4] = 0.95 * 0.5 * np.array([52_000.0, 53_000.0])
    assert delta[0] == pytest.approx(expected)


def test_references_name_unknown_enquiries_and_unindexed_shocks():
    lp = build_model(compile_network(market()))
    bad = _events({"id": "a", "type": "enquiry", "enquiries": ["e3"]},
                  {"id": "b", "type": "index_shock", "commodity": "metal", "factor": 1.1})
    with pytest.raises(StressError) as info:
        check_references(bad, lp, "s.yaml")
    messages = [i.message for i in info.value.issues]
    assert "event 'a' names unknown enquiry 'e3' in scenario 'market'" in messages
    assert any("moves no price" in m for m in messages)


def test_enquiry_event_on_a_scenario_without_enquiries_is_refused():
    lp = build_model(compile_network(market({"enquiries": []})))
    with pytest.raises(StressError, match="has no enquiries"):
        check_references(_events({"id": "a", "type": "enquiry"}), lp, "s.yaml")
