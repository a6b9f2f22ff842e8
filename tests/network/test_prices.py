"""Price paths and index formulas on the ``market`` scenario, checked by hand.

c1 pays ``oxide[Nd] + 10 USD/kg``: the Nd of one t of metal is held in ND_CONTENT =
1.16638 t of Nd2O3, so its price is 1.16638 x index + 10,000 per t. The oxide contract
``au`` costs ``0.95 x oxide + 2 USD/kg`` = 0.95 x index + 2,000. e1 and e2 pay a fixed
70,000. Served each month: c1 8 t (its max: the margin is positive), e1 2 t from May,
e2 1 t from September (expected mode); oxide bought = 1.25 x metal made (no storage).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oreline.network import compile_network
from oreline.planner import run_plan
from oreline.scenario.pricing import PricePath, monthly_prices, parse_index_formula
from tests.network.market import INDEX, ND_CONTENT, market, oxide_up

MADE = 8.0 + np.r_[np.zeros(4), np.full(8, 2.0)] + np.r_[np.zeros(8), np.ones(4)]


def test_path_interpolates_then_follows_the_forward():
    assert compile_network(market()).index[0].tolist() == INDEX.tolist()


def test_index_times_content_plus_premium_per_period():
    net = compile_network(market())
    assert net.sales.price[0] == pytest.approx(ND_CONTENT * INDEX + 10_000, rel=1e-5)
    assert net.sales.price[1].tolist() == [70_000.0] * 12
    assert net.purchases.price[0] == pytest.approx(0.95 * INDEX + 2_000)


def test_plan_revenue_and_purchases_follow_the_index():
    k = run_plan(market()).results.kpis
    assert k["revenue"] == pytest.approx(
        (8 * (ND_CONTENT * INDEX + 10_000)).sum() + 70_000 * 20, rel=1e-6)
    assert k["purchase_cost"] == pytest.approx((1.25 * MADE * (0.95 * INDEX + 2_000)).sum())


def test_ten_percent_oxide_rise_moves_indexed_revenue_and_cost_by_hand():
    """Same quantities, so: revenue + 0.1 x 8 t x 1.166377 x sum(index) = 0.1 x 8 x 1.166377
    x 665,000 = +620,512; purchases + 0.1 x 0.95 x 1.25 x sum(made x index), with
    sum(made x index) = 8 x 206,000 + 10 x 222,000 + 11 x 237,000 = 6,475,000: +768,906."""
    base = run_plan(market()).results.kpis
    up = run_plan(oxide_up(1.1)).results.kpis
    d_rev = 0.1 * 8 * ND_CONTENT * INDEX.sum()
    d_buy = 0.1 * 0.95 * 1.25 * (MADE * INDEX).sum()
    assert up["revenue"] - base["revenue"] == pytest.approx(d_rev, rel=1e-6)
    assert up["purchase_cost"] - base["purchase_cost"] == pytest.approx(d_buy, rel=1e-6)
    assert round(d_rev) == 620_512 and round(d_buy) == 768_906
    assert up["margin"] - base["margin"] == pytest.approx(d_rev - d_buy, rel=1e-6)


def test_formula_text_round_trips():
    for text in ("ndpr_oxide[Nd+Pr] + dy_oxide[Dy] + 5000 USD/t", "0.95 x ndpr_oxide - 2000 USD/t",
                 "2.5 x a-b.c[Nd] + 0 EUR/t"):
        assert str(parse_index_formula(text)) == text
        assert parse_index_formula(str(parse_index_formula(text))) == parse_index_formula(text)


@given(points=st.lists(st.floats(1.0, 1e6), min_size=1, max_size=6),
       gap=st.integers(1, 5))
def test_path_passes_through_observed_points_and_stays_within_them(points, gap):
    months = [f"{2020 + (i * gap) // 12}-{(i * gap) % 12 + 1:02d}" for i in range(len(points))]
    path = PricePath.model_validate({"observed": {m: f"{v!r} USD/t"
                                                  for m, v in zip(months, points, strict=True)}})
    assert monthly_prices(path, months) == pytest.approx(points)
    between = monthly_prices(path, [f"{y}-{m:02d}" for y in range(2019, 2024)
                                    for m in range(1, 13)])
    assert between.min() >= min(points) - 1e-6 and between.max() <= max(points) + 1e-6
