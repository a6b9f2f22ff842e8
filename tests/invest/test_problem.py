"""The invest problem of tiny-invest, checked against hand calculations."""

from __future__ import annotations

import numpy as np
import pytest

from oreline.errors import ScenarioError
from oreline.invest import build_problem
from oreline.invest.expansion import ramp_profile
from oreline.invest.tree import scenario_nodes
from oreline.scenario import Scenario, load_scenario
from oreline.scenario.investment import InvestmentOption, InvestmentSettings
from oreline.stress.apply import Occurrence
from oreline.stress.events import SupplierOutage


def _tiny(**investment: object) -> Scenario:
    sc = load_scenario("tiny-invest")
    return sc.model_copy(update={"investment": InvestmentSettings.model_validate(investment)})


def test_costs_by_hand_salvage_and_annuity() -> None:
    """cell2: 150 k capex now, 12 k/yr opex from month 2, 10-year life, no discounting.

    Salvage: 150,000 + 10 months x 1,000 - 150,000 x (1 - 10/120) = 22,500.
    Annuity: 150,000 / 120 per month over the 10 months in service, + 10,000 = 22,500
    as well (no discounting: straight-line and annuity agree); au2: 20,000 x 11/60
    = 3,666.67 both ways.
    """
    p = build_problem(load_scenario("tiny-invest"))
    assert [p.label(j) for j in range(2)] == ["cell2@2027-01", "au2@2027-01"]
    assert p.expansion.cost == pytest.approx([22_500.0, 20_000 * 11 / 60])
    a = build_problem(_tiny(end_effect="annuity"))
    assert a.expansion.cost == pytest.approx([22_500.0, 20_000 * 11 / 60])


def test_discounted_annuity_and_salvage_differ_as_expected() -> None:
    """At 10 %/yr the salvage form pays capex now and earns back the residual in month 12."""
    sc = load_scenario("tiny-invest")
    sc = sc.model_copy(update={"discount_rate": 0.10})
    p = build_problem(sc)
    r = 1.1
    months = np.arange(2, 12)
    disc = r ** (-months / 12)
    salvage = 150_000 + 1_000 * disc.sum() - 150_000 * (1 - 10 / 120) * r ** -1
    assert p.expansion.cost[0] == pytest.approx(salvage)
    sc2 = sc.model_copy(update={"investment": sc.investment.model_copy(
        update={"end_effect": "annuity"})})
    rm = r ** (1 / 12) - 1
    monthly = 150_000 * rm / (1 - (1 + rm) ** -120)
    assert build_problem(sc2).expansion.cost[0] == pytest.approx((monthly + 1_000) * disc.sum())


def test_capacity_appears_lead_time_after_the_decision_ramped() -> None:
    """cell2 decided in 2027-01 (lead 2, ramp 0.5 then 1): +2 t in March, +4 t from April."""
    p = build_problem(load_scenario("tiny-invest"))
    lp = p.lp
    rows = lp.row_slice("Process-capacity")
    lo, up = p.expansion.shift(np.array([1.0, 0.0]))
    assert up[rows].tolist() == [0, 0, 2, 4, 4, 4, 4, 4, 4, 4, 4, 4]
    assert not lo.any()


def test_supply_option_opens_its_contract_from_commissioning() -> None:
    """au_extra (10 t/month) is shut (row upper 0) until au2 is decided; then from month 1."""
    p = build_problem(load_scenario("tiny-invest"))
    rows = p.lp.row_slice("Invest-supply")
    assert p.lp.row_upper[rows].tolist() == [0.0] * 12
    _, up = p.expansion.shift(np.array([0.0, 1.0]))
    assert up[rows].tolist() == [0.0] + [10.0] * 11


def test_ramp_profile_stops_at_end_of_life() -> None:
    o = InvestmentOption(id="x", capex="1 M USD", ramp=[0.2, 0.6, 1.0], lifetime=1)
    f = ramp_profile(o, 3, 20, 1)
    assert f[:3].tolist() == [0, 0, 0]
    assert f[3:6].tolist() == [0.2, 0.6, 1.0]
    assert f[6:15].tolist() == [1.0] * 9 and f[15:].tolist() == [0.0] * 5


def test_late_stage_types_and_windows() -> None:
    """A second stage in 2027-06: cell2 commissions in 2027-08 (in the horizon), au2 too."""
    p = build_problem(_tiny(decision_months=["2027-01", "2027-06"]))
    assert sorted(p.label(j) for j in range(len(p.types))) == [
        "au2@2027-01", "au2@2027-06", "cell2@2027-01", "cell2@2027-06"]
    assert {p.types[j].commission for j in range(4) if p.types[j].period == 5} == {6, 7}


def test_scenarios_with_the_same_history_share_a_node() -> None:
    """Three scenarios: two with the same outage from month 2, one with none. At month 0
    all share one node; at month 3 the outage pair shares one and the third its own."""
    ev = SupplierOutage(type="supplier_outage", id="o", contract="cn", start="2027-03")
    a = Occurrence(ev, 2, 5, {"fraction": 1.0})
    b = Occurrence(ev, 2, 5, {"fraction": 1.0})
    nodes = scenario_nodes([(a,), (b,), ()], [0, 3])
    assert nodes[:, 0].tolist() == [0, 0, 0]
    assert nodes[0, 1] == nodes[1, 1] != nodes[2, 1]
    c = Occurrence(ev, 2, 5, {"fraction": 0.5})
    assert len(set(scenario_nodes([(a,), (c,)], [3])[:, 0])) == 2


def test_requires_excludes_and_budget_rows() -> None:
    sc = load_scenario("tiny-invest")
    cell, au = sc.options
    sc = sc.model_copy(update={
        "options": [cell, au.model_copy(update={"requires": ["cell2"]})],
        "investment": InvestmentSettings(budget_total="160 k USD")})  # type: ignore[arg-type]
    p = build_problem(sc)
    rows = {n: (p.first.rows[i].toarray().ravel().tolist(), p.first.row_upper[i])
            for i, n in enumerate(p.first.row_names)}
    assert rows["au2:requires:cell2"] == ([-1.0, 1.0], 0.0)
    assert rows["budget:total"] == ([150_000.0, 20_000.0], 160_000.0)
    ex = sc.model_copy(update={"options": [cell.model_copy(update={"excludes": ["au2"]}), au]})
    first = build_problem(ex).first
    excl = dict(zip(first.row_names, first.rows.toarray().tolist(), strict=True))
    assert excl["cell2:excludes:au2"] == [1.0, 1.0]


def test_a_scenario_without_options_is_refused() -> None:
    with pytest.raises(ScenarioError, match="no investment options"):
        build_problem(load_scenario("tiny"))


def test_invest_samples_which_enquiries_convert() -> None:
    """kmp over the kmp-pipeline set: scenarios differ in the demand rows of enquiries, and
    a later stage separates histories where an enquiry's conversion was already drawn."""
    from oreline.stress.files import load_stress

    stress, _ = load_stress("kmp-pipeline")
    p = build_problem(load_scenario("kmp"), stress, 6, 2026)
    rows = p.lp.row_slice("Customer-demand")
    demand = [p.deltas[s].vectors(p.lp)[3][rows] for s in range(6)]
    assert len({d.tobytes() for d in demand}) > 1
    assert p.nodes[:, 0].tolist() == [0] * 6


def test_modules_of_every_scenario_equal_each_path_read_alone() -> None:
    """``FirstStage.modules`` (one sparse product) against ``types_of`` per scenario, on
    a tree with a wait stage whose histories split."""
    from tests.invest.test_executors import _problem

    p = _problem()
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, p.first.n).astype(float)
    Z = p.first.modules(y, len(p.types))
    assert len(set(p.nodes[:, 1].tolist())) > 1
    for s in range(p.n_scenarios):
        assert Z[s].tolist() == p.first.types_of(s, y, len(p.types)).tolist()
