"""The tiny scenario solved by hand.

tiny: one plant, 3 months from 2027-01, electrolysis 1.25 t oxide -> 1 t metal at
1,000 USD/t, capacity 10 t/month. Oxide from AU (mined AU, separated MY) at 2,000
USD/t or from CN (mined and separated in China) at 1,000 USD/t. Customers: c1
(any origin) 6 t/month at 10,000 USD/t, penalty 20,000; c2 (DFARS) 6 t/month at
12,000 USD/t, penalty 15,000. No discounting.

Metal costs 1.25 x 1,000 + 1,000 = 2,250 /t from CN oxide and 1.25 x 2,000 + 1,000
= 3,500 /t from AU oxide. Since 2027 DFARS also covers mining and separation, c2
can only take AU metal. Value of a tonne to c1: 10,000 - 2,250 + 20,000 = 27,750;
to c2: 12,000 - 3,500 + 15,000 = 23,500. With 10 t of capacity, c1 gets 6 t (CN),
c2 gets 4 t (AU) and is 2 t short every month.

Per month: revenue 6 x 10,000 + 4 x 12,000 = 108,000; oxide 7.5 t x 1,000 + 5 t x
2,000 = 17,500; processing 10,000; penalty 2 x 15,000 = 30,000. Objective (margin
less penalty) 50,500 per month, 151,500 over three months.
Capacity is worth 23,500 per t (one more t serves c2). Admitting CN metal to c2
would save 3,500 - 2,250 = 1,250 per t.
"""

from __future__ import annotations

import pytest

from oreline.planner import run_plan


@pytest.fixture(scope="module")
def plan():
    return run_plan("tiny")


def test_objective_matches_hand_calculation(plan):
    assert plan.results.kpis["objective_discounted"] == pytest.approx(151_500, rel=1e-9)
    assert plan.results.kpis["margin"] == pytest.approx(3 * (108_000 - 17_500 - 10_000))
    assert plan.results.kpis["shortfall_penalty"] == pytest.approx(90_000)
