"""The static report.html: formatted by report.fmt, names not ids, truncation said."""

from __future__ import annotations

import re

import pytest

from oreline.planner import Plan, run_plan
from oreline.report.figures import origin_colours
from oreline.report.html import render_report


@pytest.fixture(scope="module")
def kmp() -> Plan:
    return run_plan("kmp")


@pytest.fixture(scope="module")
def page(kmp: Plan) -> str:
    return render_report(kmp)


def _text(page: str) -> str:
    """The page's visible text outside scripts (plotly.js and the figures' JSON)."""
    return re.sub(r"<script.*?</script>", "", page, flags=re.S)


def test_no_float_noise_or_negative_zero(page: str):
    text = _text(page)
    assert "-0.0" not in text and "-0<" not in text
    assert not re.search(r"\d\.\d{6,}", text)  # no 29.999999999999996


def test_headers_are_words_with_units(page: str):
    text = _text(page)
    assert "<th>served (t)</th>" in text and "<th>fill rate</th>" in text
    assert not re.search(r"<th>[^<]*_[^<]*</th>", text)


def test_customers_are_named_in_tables(kmp: Plan, page: str):
    customer = kmp.scenario.customers[0]
    assert customer.name and f"<td>{customer.name}</td>" in _text(page)


def test_kpis_have_units(kmp: Plan, page: str):
    text = _text(page)
    assert " M USD</b>" in text and " %</b>" in text
    shortfall = kmp.results.kpis["shortfall_t"]
    assert f"{shortfall:,.1f} t</b>" in text


def test_the_sankey_has_a_colour_legend_of_every_class(kmp: Plan, page: str):
    legend = re.search(r'<div class="legend" id="sankey-legend">(.*?)</div>', page, re.S)
    assert legend is not None
    for cls, colour in origin_colours(kmp.results).items():
        assert f'background:{colour}"></i>{cls}<' in legend.group(1).replace("&gt;", ">")


def test_truncated_tables_say_so(kmp: Plan, page: str):
    rows = len(kmp.results.shadow["supply"])
    assert rows > 15  # kmp has many binding supply limits
    assert f"Showing 15 of {rows} rows" in page and "shadow_supply.csv" in page


def test_empty_tables_say_why(kmp: Plan, page: str):
    if kmp.results.shadow["capacity"].empty:
        assert "none: no process capacity limits the plan" in page
