"""Assemble the LP: stack the row blocks into one CSC matrix with bounds and costs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from oreline.model.constraints import CONSTRAINT_FAMILIES, RowBlock
from oreline.model.objective import define_objective
from oreline.model.variables import Variables, define_variables
from oreline.network import Network

__all__ = ["LinearProgram", "build_model"]


@dataclass
class LinearProgram:
    """A compiled LP in column-wise (CSC) form, with its row and column layout."""

    net: Network
    variables: Variables
    rows: dict[str, RowBlock]
    row_offset: dict[str, int]
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    matrix: sp.csc_matrix

    @property
    def n_cols(self) -> int:
        """Number of columns."""
        return int(self.matrix.shape[1])

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return int(self.matrix.shape[0])

    def row_slice(self, name: str) -> slice:
        """Rows of one constraint family."""
        off = self.row_offset[name]
        return slice(off, off + self.rows[name].size)


def build_model(net: Network) -> LinearProgram:
    """Build every variable and constraint family and assemble one CSC matrix.

    Examples
    --------
    >>> from oreline.scenario import load_scenario
    >>> from oreline.network import compile_network
    >>> lp = build_model(compile_network(load_scenario("tiny")))
    >>> lp.n_cols == lp.variables.n_cols
    True

    """
    v = define_variables(net)
    blocks = [family(net, v) for family in CONSTRAINT_FAMILIES]
    offsets: dict[str, int] = {}
    off = 0
    for b in blocks:
        offsets[b.name] = off
        off += b.size
    rows = np.concatenate([b.rows + offsets[b.name] for b in blocks])
    cols = np.concatenate([b.cols for b in blocks])
    vals = np.concatenate([b.vals for b in blocks])
    matrix = sp.csc_matrix((vals, (rows, cols)), shape=(off, v.n_cols))
    matrix.sum_duplicates()
    return LinearProgram(
        net=net,
        variables=v,
        rows={b.name: b for b in blocks},
        row_offset=offsets,
        cost=define_objective(net, v),
        col_lower=v.lower,
        col_upper=v.upper,
        row_lower=np.concatenate([b.lower for b in blocks]),
        row_upper=np.concatenate([b.upper for b in blocks]),
        matrix=matrix,
    )
