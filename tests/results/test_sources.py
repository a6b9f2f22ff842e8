"""Supply by country of a stage, against an independent sum of the plan's own tables."""

from __future__ import annotations

import pandas as pd
import pytest

from oreline.planner import run_plan


def test_dy_supply_by_country_adds_up_the_sources_of_the_plan() -> None:
    plan = run_plan("kmp")
    t = plan.results.tables
    got = t["supply_by_country"].set_index(["commodity", "country"])["quantity_t"]
    # independently: every source row of Dy oxide, its mining country read off the label
    rows = pd.concat([t[k][["commodity", "origin_class", "quantity_t"]]
                      for k in ("opening_stock", "arrivals", "purchases")])
    dy = rows[rows["commodity"] == "dy_oxide"]
    by = dy.groupby(dy["origin_class"].str.split(">").str[0])["quantity_t"].sum()
    by = by[by > 1e-9]
    assert set(got.loc["dy_oxide"].index) == set(by.index)
    for country, tonnes in by.items():
        assert got.loc[("dy_oxide", country)] == pytest.approx(tonnes)
    shares = t["supply_by_country"].groupby("commodity")["share"].sum()
    assert shares.to_numpy() == pytest.approx(1.0)


def test_unknown_mines_are_named_and_untracked_inputs_left_out() -> None:
    t = run_plan("kmp").results.tables
    sbc = t["supply_by_country"]
    assert "unknown" in set(sbc[sbc["commodity"] == "ndpr_oxide"]["country"])  # Ucore's feed
    assert not {"iron", "ferroboron"} & set(sbc["commodity"])
