"""Assemble the LP: stack the row blocks into one CSC matrix with bounds and costs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from oreline.model.constraints import CONSTRAINT_FAMILIES, RowBlock
from oreline.model.families import ConstraintFamily
from oreline.model.objective import define_objective
from oreline.model.variables import Variables, define_variables
from oreline.network import Network

__all__ = ["LinearProgram", "build_model", "coo_to_csc"]


def coo_to_csc(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, shape: tuple[int, int]
               ) -> sp.csc_matrix:
    """Column-wise matrix from triplets with int32 indices, in one O(nnz) pass.

    The model emits no duplicate entries (a recipe names each commodity once, which
    the scenario checks enforce), so the canonicalising sort that scipy's public
    constructors add is skipped: row indices stay in emission order within a column,
    which HiGHS accepts. Falls back to scipy's public path if its kernel moves.

    Examples
    --------
    >>> m = coo_to_csc(np.array([1, 0]), np.array([0, 1]), np.array([2.0, 3.0]), (2, 2))
    >>> m.toarray().tolist()
    [[0.0, 3.0], [2.0, 0.0]]
    """
    n_rows, n_cols = shape
    r32 = rows.astype(np.int32, copy=False)
    c32 = cols.astype(np.int32, copy=False)
    data = vals.astype(np.float64, copy=False)
    try:
        from scipy.sparse import _sparsetools
    except ImportError:  # pragma: no cover - scipy reorganised its kernels
        return sp.csc_matrix(sp.coo_array((data, (r32, c32)), shape=shape).tocsc())
    indptr = np.empty(n_cols + 1, dtype=np.int32)
    indices = np.empty(len(data), dtype=np.int32)
    out = np.empty(len(data), dtype=np.float64)
    # CSC of A is CSR of A transposed: columns play the role of rows
    _sparsetools.coo_tocsr(n_cols, n_rows, len(data), c32, r32, data, indptr, indices, out)
    return sp.csc_matrix((out, indices, indptr), shape=shape, copy=False)


@dataclass
class LinearProgram:
    """A compiled LP in column-wise (CSC) form, with its row and column layout."""

    net: Network
    variables: Variables
    rows: dict[ConstraintFamily, RowBlock]
    row_offset: dict[ConstraintFamily, int]
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

    def row_slice(self, name: ConstraintFamily) -> slice:
        """Rows of one constraint family."""
        off = self.row_offset[name]
        return slice(off, off + self.rows[name].size)

    def row_label(self, i: int) -> str:
        """Readable name of row ``i``, e.g. ``Site-storage[plant, 2027-03]``."""
        for name, block in self.rows.items():
            off = self.row_offset[name]
            if off <= i < off + block.size:
                e, t = divmod(i - off, block.T)
                return f"{name}[{self._row_entity(name, block, e)}, {self.net.periods[t]}]"
        raise IndexError(i)

    def _row_entity(self, name: ConstraintFamily, block: RowBlock, e: int) -> str:
        net = self.net
        if block.entities is not None:
            return str(block.entities[e])
        if name == "Node-balance":
            return "/".join(net.node_label(e))
        if name == "Contract-takeorpay":
            return net.scenario.contracts[int(net.purchases.contract[e])].id
        return str(e)

    def col_label(self, j: int) -> str:
        """Readable name of column ``j``, e.g. ``Contract-buy[cn, 2027-01]``."""
        net = self.net
        sc = net.scenario
        for name, b in self.variables.blocks.items():
            if b.offset <= j < b.offset + b.size:
                e, t = divmod(j - b.offset, b.T)
                if name.startswith("Contract"):
                    what = sc.contracts[int(net.purchases.contract[e])].id
                elif name == "Process-run":
                    what = (f"{net.processes[net.modes.process[e]]} -> "
                            f"{net.classes[net.modes.out_cls[e]].label}")
                elif name == "Lane-flow":
                    carried = "/".join(net.node_label(int(net.arcs.source[e]))[1:])
                    what = f"{sc.lanes[int(net.arcs.lane[e])].id} {carried}"
                elif name == "Stock-level":
                    what = "/".join(net.node_label(e))
                elif name == "Order-delivery":
                    what = sc.open_orders[e].id
                elif name == "Target-gap":
                    what = sc.stock_targets[e].id
                elif name == "Customer-sale":
                    what = (f"{net.customers[net.sales.customer[e]]} <- "
                            f"{net.classes[net.nodes.cls[net.sales.node[e]]].label}")
                else:
                    what = str(net.customers[e])
                return f"{name}[{what}, {net.periods[t]}]"
        raise IndexError(j)


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
    offsets: dict[ConstraintFamily, int] = {}
    off = 0
    for b in blocks:
        offsets[b.name] = off
        off += b.size
    rows = np.concatenate([b.rows + offsets[b.name] for b in blocks])
    cols = np.concatenate([b.cols for b in blocks])
    vals = np.concatenate([b.vals for b in blocks])
    matrix = coo_to_csc(rows, cols, vals, (off, v.n_cols))
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
