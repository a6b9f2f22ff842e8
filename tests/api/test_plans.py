"""The plan page's data against the planner's own results, and the cache by content."""

from __future__ import annotations

import pytest

from oreline.api.appdb import open_app_db
from oreline.api.plans import PlanCache, content_key, frame, plan_data
from oreline.planner import run_plan
from oreline.scenario import load_scenario


@pytest.fixture(scope="module")
def tiny():
    plan = run_plan("tiny")
    return plan, plan_data(plan, "tiny")


def _col(f: dict, name: str) -> list:
    i = f["columns"].index(name)
    return [r[i] for r in f["rows"]]


def test_purchases_add_up_to_the_tonnage_bought(tiny):
    plan, data = tiny
    assert sum(_col(data["purchases"], "quantity_t")) == pytest.approx(
        plan.results.tables["purchases"]["quantity_t"].sum())
    assert sorted(_col(data["purchases"], "period")) == _col(data["purchases"], "period")


def test_fill_rate_rows_add_up_to_the_kpis(tiny):
    _, data = tiny
    f = data["fill_rate"]
    assert sum(_col(f, "shortfall_t")) == pytest.approx(data["kpis"]["shortfall_t"], abs=1e-6)
    assert sum(_col(f, "served_t")) >= data["kpis"]["served_t"] - 1e-6


def test_customers_carry_their_names(tiny):
    plan, data = tiny
    named = {c.id: c.name or c.id for c in plan.scenario.customers}
    for cid, name in zip(_col(data["fill_rate"], "customer"), _col(data["fill_rate"], "name"),
                         strict=True):
        assert named.get(cid, cid) == name


def test_dfars_rule_periods_split_the_output(tiny):
    plan, data = tiny
    total = plan.results.dfars_clean["dfars_clean_t"].sum()
    assert sum(_col(data["dfars_clean"], "dfars_clean_t")) == pytest.approx(total)
    for share in _col(data["dfars_clean"], "clean_share"):
        assert share is None or 0 <= share <= 1 + 1e-9


def test_sankey_legend_covers_every_link_colour(tiny):
    _, data = tiny
    link = data["figures"]["sankey"]["data"][0]["link"]
    legend = {item["origin_class"] for item in data["legend"]}
    assert set(link["customdata"]) <= legend | {"untracked"}


def test_shadow_prices_are_all_there_and_sorted(tiny):
    plan, data = tiny
    for key, df in plan.results.shadow.items():
        values = _col(data["shadow"][key], "value_per_t")
        assert len(values) == len(df)
        assert values == sorted(values, reverse=True)


def test_frame_turns_nan_into_null():
    import pandas as pd

    f = frame(pd.DataFrame({"a": [1.0, float("nan")], "b": ["x", None]}))
    assert f == {"columns": ["a", "b"], "rows": [[1.0, "x"], [None, None]], "total": 2}


def test_cache_keys_follow_content_not_name():
    tiny = load_scenario("tiny")
    assert content_key(tiny, "expected") == content_key(load_scenario("tiny"), "expected")
    assert content_key(tiny, "expected") != content_key(tiny, "firm")
    changed = tiny.model_copy(update={"discount_rate": tiny.discount_rate + 0.01})
    assert content_key(changed, "expected") != content_key(tiny, "expected")


def test_cache_answers_from_the_database_in_another_process():
    engine = open_app_db("sqlite://")
    first = PlanCache(engine)
    data = first.solve(load_scenario("tiny"), "tiny")
    other = PlanCache(engine)  # as a second worker would, with an empty memory
    assert other.get(data["key"]) == data
    assert other.solve(load_scenario("tiny"), "tiny")["made"] == data["made"]


def test_figures_are_plain_lists_in_the_twin():
    import numpy as np
    import plotly.graph_objects as go

    from oreline.api.plans import figure_data

    fig = go.Figure(go.Heatmap(z=np.arange(6, dtype=float).reshape(2, 3)))
    fig.add_bar(x=["a", "b"], y=np.array([1.5, float("nan")]))
    data = figure_data(fig)["data"]
    assert data[0]["z"] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert data[1]["y"] == [1.5, None]
