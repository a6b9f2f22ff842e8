"""Shadow prices of the kmp plan checked against re-solves."""

from __future__ import annotations

import pytest

from oreline.planner import run_plan


@pytest.fixture(scope="module")
def plan():
    return run_plan("kmp")


def test_crma_shadow_prices_are_what_headroom_is_worth(plan):
    """A share cap of a month with no sales is 0 <= 0: its dual is not unique (HiGHS gave
    87,468 per t for eu_magnet:VN in 2026-01, where 1 t more headroom is worth nothing).
    Each reported price must be what a re-solve with 1 t more headroom gains."""
    import numpy as np

    from oreline.results.prices import shadow_prices
    from oreline.solve import LiveModel

    crma = plan.results.shadow["crma"]
    months = set(crma.loc[crma["customer_country"] == "eu_magnet:VN", "period"])
    assert not months & {"2026-01", "2026-02", "2026-03", "2026-04"}
    lp = plan.lp
    block = lp.rows["Customer-crma"]
    live = LiveModel(lp)
    base = live.solve().objective
    for name, period in [("eu_magnet:CN", "2027-01"), ("eu_magnet:VN", "2026-07"),
                         ("eu_magnet:VN", "2026-01")]:
        row = (lp.row_slice("Customer-crma").start
               + block.entities.index(name) * block.T + list(plan.network.periods).index(period))
        live.set_row_bounds(np.array([row]), lp.row_lower[[row]], lp.row_upper[[row]] + 1.0)
        gain = base - live.solve().objective
        live.set_row_bounds(np.array([row]), lp.row_lower[[row]], lp.row_upper[[row]])
        hit = crma[(crma["customer_country"] == name) & (crma["period"] == period)]
        reported = float(hit["value_per_t"].iloc[0]) if len(hit) else 0.0
        assert reported == pytest.approx(gain, rel=1e-3, abs=1e-3), (name, period)
    # without the live model the unsure caps are left out, never reported at the dual
    plain = shadow_prices(lp, plan.solution)["crma"]
    assert not set(plain.loc[plain["customer_country"] == "eu_magnet:VN", "period"]) & {
        "2026-01", "2026-02", "2026-03", "2026-04"}
