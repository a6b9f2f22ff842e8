"""Numbers for people: no -0, no float noise, thousands separators, units, words."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from oreline.report import fmt


def test_float_noise_is_rounded_away():
    assert fmt.number(29.999999999999996) == "30"
    assert fmt.number(299.99999999999994, 2) == "300"
    assert fmt.tonnes(1619.9999999999998) == "1,620 t"


def test_negative_zero_never_shows():
    for x in (-0.0, -1e-12, -0.00004):
        assert fmt.number(x, 4) == "0"
        assert not fmt.percent(x).startswith("-")


def test_headers_in_words_with_units():
    assert fmt.header("shortfall_t") == "shortfall (t)"
    assert fmt.header("price_per_t") == "price (per t)"
    assert fmt.header("fill_rate") == "fill rate"
    assert fmt.header("on_hand_kg") == "on hand (kg)"


def test_shares_are_percentages():
    assert fmt.value("fill_rate", 0.5) == "50 %"
    assert fmt.value("clean_share", 1.0) == "100 %"


def test_table_says_when_truncated():
    t = fmt.table(pd.DataFrame({"x_t": range(10)}), limit=3)
    assert t.truncated and t.total == 10 and len(t.rows) == 3
    assert not fmt.table(pd.DataFrame({"x_t": range(3)}), limit=3).truncated


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_number_reads_back_close(x):
    text = fmt.number(x, 2)
    assert not text.startswith("-0") or text.startswith("-0.")
    back = float(text.replace(",", ""))
    assert math.isclose(back, x, abs_tol=0.006)
    assert "e" not in text


def test_probabilities_and_money_columns():
    assert fmt.value("p_extra_shortfall", 0.8) == "80 %"
    assert fmt.header("margin_change_p10").startswith("margin change")
    assert fmt.value("margin_change_p10", -8224446.12) == "-8,224,446"  # money: whole
