"""Matrix assembly against scipy's public conversion; recipe duplicates are refused; labels."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from oreline.errors import ScenarioError
from oreline.model.matrix import coo_to_csc
from oreline.network import compile_network


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.integers(0, 200), st.integers(0, 2**31 - 1))
def test_coo_to_csc_matches_scipy(n_rows, n_cols, nnz, seed):
    rng = np.random.default_rng(seed)
    cells = rng.choice(n_rows * n_cols, size=min(nnz, n_rows * n_cols), replace=False)
    rows, cols = np.divmod(cells, n_cols)
    vals = rng.normal(size=len(cells))
    ours = coo_to_csc(rows, cols, vals, (n_rows, n_cols))
    ref = sp.csc_matrix((vals, (rows, cols)), shape=(n_rows, n_cols))
    assert ours.indices.dtype == np.int32
    np.testing.assert_array_equal(ours.indptr, ref.indptr)
    assert np.array_equal(ours.toarray(), ref.toarray())


def test_co_product_repeating_an_input_is_refused(tiny_dict, make):
    tiny_dict["processes"][0]["co_products"] = {"oxide": 0.1}
    with pytest.raises(ScenarioError, match="co-product 'oxide' is also an input"):
        make(tiny_dict)


def test_row_and_column_labels_round_trip():
    from oreline.model import build_model
    from oreline.scenario import load_scenario

    lp = build_model(compile_network(load_scenario("tiny")))
    labels = {lp.row_label(i) for i in range(lp.n_rows)}
    assert len(labels) == lp.n_rows
    assert "Process-capacity[electrolysis, 2027-02]" in labels
    cols = {lp.col_label(j) for j in range(lp.n_cols)}
    assert len(cols) == lp.n_cols
    assert "Customer-sale[c2 <- CN>CN>KR, 2027-01]" in cols
