"""The scenario tree and the first-stage columns and rows (the master problem's own part).

Decisions are taken at *stages* (``investment.decision_months``; the first is now). At a
stage, the scenarios that share their history so far (the events that have started
before it, with their drawn values) form one *node* and must take the same decision:
non-anticipativity is built into the columns, one column per (decision type, node).
A scenario's *path* is the node it sits in at each stage; the decisions that apply to
it are the columns on its path.

The rows hold what binds the decisions whatever happens next, along every path: an
option is built at most ``modules`` times over all stages; an option requiring another
is decided no earlier than it; excluded options are not both built; capex within the
budgets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from oreline.invest.expansion import DecisionType, to_currency
from oreline.scenario import Scenario
from oreline.stress.apply import Occurrence

__all__ = ["FirstStage", "build_first_stage", "history_key", "scenario_nodes"]


def history_key(occurrences: Sequence[Occurrence], period: int) -> tuple[object, ...]:
    """What a scenario has revealed before ``period``: the events started, as drawn."""
    seen = []
    for o in occurrences:
        if o.start >= period:
            continue
        shown = o.approvals[:period - o.start] if o.approvals is not None else None
        seen.append((o.event.id, o.start, min(o.stop, period),
                     tuple(sorted((k, round(v, 12)) for k, v in o.values.items())), shown))
    return tuple(sorted(seen, key=repr))


def scenario_nodes(samples: Sequence[Sequence[Occurrence]], stages: Sequence[int]
                   ) -> np.ndarray:
    """Node of every scenario at every stage, ``(S, stages)``; node 0 is the first seen."""
    out = np.zeros((len(samples), len(stages)), dtype=np.int64)
    for k, period in enumerate(stages):
        ids: dict[tuple[object, ...], int] = {}
        for s, occs in enumerate(samples):
            out[s, k] = ids.setdefault(history_key(occs, period), len(ids))
    return out


@dataclass
class FirstStage:
    """First-stage columns (integer) and the rows binding them.

    Columns: ``build`` columns, one per (decision type, node at its stage), count modules;
    then ``built`` indicators (binary) for options of more than one module that another
    option excludes.
    """

    col_type: np.ndarray  # decision type of a build column, -1 for an indicator
    col_node: np.ndarray
    upper: np.ndarray
    path: sp.csr_matrix  # (S, n) 1 where a column is on the scenario's path
    rows: sp.csr_matrix  # (m, n)
    row_lower: np.ndarray
    row_upper: np.ndarray
    row_names: list[str]
    #: for an indicator column, the build column it says is built; -1 for a build column
    follows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def n(self) -> int:
        """Number of first-stage columns."""
        return len(self.col_type)

    def types_of(self, s: int, y: np.ndarray, n_types: int) -> np.ndarray:
        """Modules per decision type that apply to scenario ``s`` under decisions ``y``."""
        cols = self.path.indices[self.path.indptr[s]:self.path.indptr[s + 1]]
        build = cols[self.col_type[cols] >= 0]
        return np.bincount(self.col_type[build], weights=y[build], minlength=n_types)

    def modules(self, y: np.ndarray, n_types: int) -> np.ndarray:
        """``(S, n_types)``: :meth:`types_of` of every scenario at once (one sparse product)."""
        build = np.flatnonzero(self.col_type >= 0)
        by_type = sp.csr_matrix((y[build], (build, self.col_type[build])),
                                shape=(self.n, n_types))
        out: np.ndarray = np.asarray((self.path @ by_type).todense(), dtype=float)
        return out


class _Rows:
    """Deduplicated sparse rows: the same row met on many paths is written once."""

    def __init__(self) -> None:
        self.seen: dict[tuple[object, ...], int] = {}
        self.rows: list[tuple[np.ndarray, np.ndarray, float, float, str]] = []

    def add(self, cols: list[int], vals: list[float], lo: float, up: float, name: str) -> None:
        key = (tuple(zip(cols, vals, strict=True)), lo, up)
        if key not in self.seen and cols:
            self.seen[key] = len(self.rows)
            self.rows.append((np.array(cols), np.array(vals, dtype=float), lo, up, name))

    def matrix(self, n: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, list[str]]:
        if not self.rows:
            return sp.csr_matrix((0, n)), np.zeros(0), np.zeros(0), []
        r = np.concatenate([np.full(len(c), i) for i, (c, *_x) in enumerate(self.rows)])
        c = np.concatenate([c for c, *_x in self.rows])
        v = np.concatenate([v for _c, v, *_x in self.rows])
        m = sp.csr_matrix((v, (r, c)), shape=(len(self.rows), n))
        return (m, np.array([x[2] for x in self.rows]), np.array([x[3] for x in self.rows]),
                [x[4] for x in self.rows])


def build_first_stage(sc: Scenario, types: list[DecisionType], capex: np.ndarray,
                      nodes: np.ndarray, periods: list[str]) -> FirstStage:
    """Columns per (type, node) and the rows that bind them along every path."""
    S = nodes.shape[0]
    col_type: list[int] = []
    col_node: list[int] = []
    upper: list[float] = []
    index: dict[tuple[int, int], int] = {}
    for j, dt in enumerate(types):
        for node in np.unique(nodes[:, dt.stage]):
            index[j, int(node)] = len(col_type)
            col_type.append(j)
            col_node.append(int(node))
            upper.append(float(sc.options[dt.option].modules))
    excluded = {x for o in sc.options for x in o.excludes} | {
        o.id for o in sc.options if o.excludes}
    ind: dict[tuple[int, int], int] = {}  # (type, node) -> indicator column
    follows = [-1] * len(col_type)
    for (j, node), _col in list(index.items()):
        if sc.options[types[j].option].modules > 1 and sc.options[types[j].option].id in excluded:
            ind[j, node] = len(col_type)
            follows.append(_col)
            col_type.append(-1)
            col_node.append(node)
            upper.append(1.0)
    n = len(col_type)
    by_option: dict[int, list[int]] = {}
    for j, dt in enumerate(types):
        by_option.setdefault(dt.option, []).append(j)
    ids = {o.id: i for i, o in enumerate(sc.options)}
    rows = _Rows()
    path_r: list[int] = []
    path_c: list[int] = []
    for s in range(S):
        on = {j: index[j, int(nodes[s, dt.stage])] for j, dt in enumerate(types)}
        path_c += list(on.values()) + [ind[j, int(nodes[s, types[j].stage])]
                                       for j in on if (j, int(nodes[s, types[j].stage])) in ind]
        path_r += [s] * (len(path_c) - len(path_r))
        _path_rows(sc, types, by_option, ids, on, ind, nodes[s], capex, periods, rows)
    path = sp.csr_matrix((np.ones(len(path_c)), (path_r, path_c)), shape=(S, n))
    path.sort_indices()
    m, lo, up, names = rows.matrix(n)
    return FirstStage(np.array(col_type, dtype=np.int64), np.array(col_node, dtype=np.int64),
                      np.array(upper), path, m, lo, up, names,
                      np.array(follows, dtype=np.int64))


def _path_rows(sc: Scenario, types: list[DecisionType], by_option: dict[int, list[int]],
               ids: dict[str, int], on: dict[int, int], ind: dict[tuple[int, int], int],
               node_row: np.ndarray, capex: np.ndarray, periods: list[str], rows: _Rows
               ) -> None:
    """The rows of one scenario's path (duplicates across paths are dropped by ``rows``)."""
    inv = sc.investment
    for oi, js in by_option.items():
        opt = sc.options[oi]
        rows.add([on[j] for j in js], [1.0] * len(js), -np.inf, float(opt.modules),
                 f"{opt.id}:modules")
        for req in opt.requires:
            rj = by_option.get(ids[req], [])
            for j in js:
                earlier = [on[r] for r in rj if types[r].stage <= types[j].stage]
                rows.add([on[j], *earlier], [1.0] + [-float(opt.modules)] * len(earlier),
                         -np.inf, 0.0, f"{opt.id}:requires:{req}")
        for j in js:
            key = (j, int(node_row[types[j].stage]))
            if key in ind:
                rows.add([on[j], ind[key]], [1.0, -float(opt.modules)], -np.inf, 0.0,
                         f"{opt.id}:indicator")
    for oi, js in by_option.items():
        opt = sc.options[oi]
        for other in opt.excludes:
            xi = ids[other]
            if xi < oi and oi in {ids[x] for x in sc.options[xi].excludes}:
                continue  # written once per pair
            cols = [_built(j, on, ind, node_row, types) for j in js + by_option.get(xi, [])]
            rows.add(cols, [1.0] * len(cols), -np.inf, 1.0, f"{opt.id}:excludes:{other}")
    for limit, name in ((inv.budget_total, "budget:total"),):
        if limit is not None:
            cap = to_currency(limit, sc.currency, inv.fx, "investment.budget_total")
            rows.add(list(on.values()), [float(capex[j]) for j in on], -np.inf, cap, name)
    if inv.budget_per_year is not None:
        cap = to_currency(inv.budget_per_year, sc.currency, inv.fx, "investment.budget_per_year")
        years = sorted({periods[dt.period][:4] for dt in types})
        for year in years:
            js = [j for j in on if periods[types[j].period][:4] == year]
            rows.add([on[j] for j in js], [float(capex[j]) for j in js], -np.inf, cap,
                     f"budget:{year}")


def _built(j: int, on: dict[int, int], ind: dict[tuple[int, int], int], node_row: np.ndarray,
           types: list[DecisionType]) -> int:
    """The column saying type ``j`` is built on this path: its indicator, else itself."""
    return ind.get((j, int(node_row[types[j].stage])), on[j])
