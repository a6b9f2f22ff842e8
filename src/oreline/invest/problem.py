"""The two-stage investment problem, assembled once for every solution method.

:func:`build_problem` turns a scenario with ``options`` and a list of sampled event
sets into an :class:`InvestProblem`:

* the *invest LP*: the plan's LP of the scenario with every option-supplied contract
  compiled in and held at zero by an ``Invest-supply`` row per contract and period
  (``buy <= 0 + max x ramp x modules``), take-or-pay and minimum volumes likewise moved
  to the option; a buffer's node exists even if nothing else brings that origin there;
* the decision types (option x stage), their right-hand-side shifts and costs
  (:mod:`oreline.invest.expansion`);
* the scenario tree and first-stage columns and rows (:mod:`oreline.invest.tree`);
* per scenario, the entries of the LP vectors its events change (as ``oreline stress``
  applies them) and its probability.

The second-stage value of scenario ``s`` under decisions ``y`` is
``Q_s(y) = -min { c_s x : l_s + L z <= A x <= u_s + U z, x in [lx_s, ux_s] }`` with
``z = types_of(s, y)``; NPV_s = Q_s(y) - cost . z.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from oreline.errors import Issue, ScenarioError
from oreline.invest.expansion import DecisionType, Expansion, build_expansion
from oreline.invest.tree import FirstStage, build_first_stage, scenario_nodes
from oreline.model import LinearProgram, build_model
from oreline.model.constraints import RowBlock
from oreline.network import compile_network
from oreline.network.pipeline import DemandMode
from oreline.network.sets import build_sets, index_of
from oreline.scenario import Scenario
from oreline.scenario.schema import InitialStock
from oreline.settings import Settings
from oreline.stress.apply import Occurrence, StressContext
from oreline.stress.events import StressFile
from oreline.stress.references import check_references
from oreline.stress.runner import draw_samples

__all__ = ["InvestProblem", "ScenarioDelta", "build_problem", "decision_types", "invest_lp"]


@dataclass(frozen=True)
class ScenarioDelta:
    """The LP entries one scenario's events change: index arrays and their new values."""

    cols: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    cost_cols: np.ndarray
    cost: np.ndarray
    rows: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray

    @classmethod
    def between(cls, lp: LinearProgram, col_lower: np.ndarray, col_upper: np.ndarray,
                cost: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray
                ) -> ScenarioDelta:
        """The entries of these vectors that differ from ``lp``'s."""
        cb = np.flatnonzero((col_lower != lp.col_lower) | (col_upper != lp.col_upper))
        cc = np.flatnonzero(cost != lp.cost)
        rb = np.flatnonzero((row_lower != lp.row_lower) | (row_upper != lp.row_upper))
        return cls(cb, col_lower[cb], col_upper[cb], cc, cost[cc], rb, row_lower[rb],
                   row_upper[rb])

    def vectors(self, lp: LinearProgram) -> tuple[np.ndarray, ...]:
        """Full ``(col_lower, col_upper, cost, row_lower, row_upper)`` of the scenario."""
        cl, cu, c = lp.col_lower.copy(), lp.col_upper.copy(), lp.cost.copy()
        rl, ru = lp.row_lower.copy(), lp.row_upper.copy()
        cl[self.cols], cu[self.cols] = self.col_lower, self.col_upper
        c[self.cost_cols] = self.cost
        rl[self.rows], ru[self.rows] = self.row_lower, self.row_upper
        return cl, cu, c, rl, ru


@dataclass
class InvestProblem:
    """Everything a solution method needs (see the module docstring)."""

    scenario: Scenario
    lp: LinearProgram
    stages: list[int]
    expansion: Expansion
    first: FirstStage
    nodes: np.ndarray  # (S, stages)
    probability: np.ndarray  # (S,)
    deltas: list[ScenarioDelta]
    samples: list[tuple[Occurrence, ...]]
    names: list[str] = field(default_factory=list)

    @property
    def types(self) -> list[DecisionType]:
        """The decision types (option x stage)."""
        return self.expansion.types

    @property
    def n_scenarios(self) -> int:
        """Number of scenarios."""
        return len(self.deltas)

    def first_cost(self) -> np.ndarray:
        """Expected discounted cost of each first-stage column (probability of its node)."""
        f = self.first
        weight = np.asarray(f.path.T @ self.probability).ravel()
        out = np.zeros(f.n)
        build = f.col_type >= 0
        out[build] = self.expansion.cost[f.col_type[build]] * weight[build]
        return out

    def scenario_vectors(self, s: int, y: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        """The LP vectors of scenario ``s`` with the shifts of decisions ``y``."""
        cl, cu, c, rl, ru = self.deltas[s].vectors(self.lp)
        if y is not None:
            lo, up = self.expansion.shift(self.first.types_of(s, y, len(self.types)))
            rl, ru = rl + lo, ru + up
        return cl, cu, c, rl, ru

    def label(self, j: int) -> str:
        """Readable name of decision type ``j``."""
        return self.types[j].label(self.scenario.options, self.lp.net.periods)


def _prepare(sc: Scenario) -> Scenario:
    """The scenario with option-supplied contracts enabled and buffer nodes present."""
    supplied = {cid for o in sc.options for cid in o.supply}
    contracts = [c.model_copy(update={"enabled": True}) if c.id in supplied else c
                 for c in sc.contracts]
    stock = list(sc.initial_stock) + [
        InitialStock(site=st.site, commodity=st.commodity, quantity=f"0 t {_basis(sc, st)}",
                     origin=st.origin)
        for o in sc.options for st in o.stock]
    return sc.model_copy(update={"contracts": contracts, "initial_stock": stock})


def _basis(sc: Scenario, st: object) -> str:
    com = next(c for c in sc.commodities if c.id == st.commodity)  # type: ignore[attr-defined]
    return str(com.family)


def invest_lp(sc: Scenario, settings: Settings | None = None, demand: DemandMode = "expected"
              ) -> tuple[LinearProgram, dict[str, np.ndarray]]:
    """The plan's LP of the prepared scenario plus one ``Invest-supply`` row block.

    Returns the LP and, per option-supplied contract, its supply rows per period.
    """
    net = compile_network(sc, settings, demand)
    lp = build_model(net)
    supplied = sorted({cid for o in sc.options for cid in o.supply})
    T = net.n_periods
    k_of = {sc.contracts[int(c)].id: k for k, c in enumerate(net.purchases.contract)}
    ks = np.array([k_of[c] for c in supplied], dtype=np.int64)
    e, t = np.broadcast_arrays(np.arange(len(ks))[:, None], np.arange(T)[None, :])
    buy = lp.variables["Contract-buy"]
    block = RowBlock("Invest-supply", len(ks), T, (e * T + t).ravel(),
                     buy.cols(ks[e], t).ravel(), np.ones(e.size),
                     np.zeros(e.size), np.zeros(e.size), supplied)
    off = lp.n_rows
    matrix = sp.vstack([lp.matrix, sp.csc_matrix((block.vals, (block.rows, block.cols)),
                                                 shape=(block.size, lp.n_cols))], format="csc")
    col_lower = lp.col_lower.copy()
    cols = buy.cols(ks[e], t).ravel()
    col_lower[cols] = 0.0  # a contract's minimum moves to its supply row (the option's)
    row_lower = np.concatenate([lp.row_lower, block.lower])
    top = lp.row_slice("Contract-takeorpay")
    tk = top.start + (ks[e] * T + t).ravel()
    row_lower[tk] = 0.0  # take-or-pay moves to the option too
    out = LinearProgram(net, lp.variables, {**lp.rows, "Invest-supply": block},
                        {**lp.row_offset, "Invest-supply": off}, lp.cost, col_lower,
                        lp.col_upper, row_lower, np.concatenate([lp.row_upper, block.upper]),
                        matrix)
    return out, {c: off + i * T + np.arange(T) for i, c in enumerate(supplied)}


def decision_types(sc: Scenario, stages: list[int], periods: list[str], months: int
                   ) -> list[DecisionType]:
    """Every (option, stage) in the option's window that commissions within the horizon."""
    T = len(periods)
    out = []
    for oi, o in enumerate(sc.options):
        lo = index_of(periods, o.earliest, 0)
        hi = index_of(periods, o.latest, T - 1) if o.latest else T - 1
        for k, p in enumerate(stages):
            c = p + math.ceil(o.lead_time / months)
            if lo <= p <= hi and c < T:
                out.append(DecisionType(oi, k, p, c))
    return out


def _stages(sc: Scenario, periods: list[str]) -> list[int]:
    months = sc.investment.decision_months or [periods[0]]
    out = []
    for ym in months:
        if ym not in periods:
            raise ScenarioError([Issue("investment.decision_months", ym,
                                       f"{ym} is not a month of the horizon "
                                       f"({periods[0]} to {periods[-1]})",
                                       "give decision months inside the horizon")])
        out.append(periods.index(ym))
    if out[0] != 0:
        out.insert(0, 0)
    return sorted(set(out))


def build_problem(scenario: Scenario, stress: StressFile | None = None,
                  n_samples: int | None = None, seed: int | None = None,
                  settings: Settings | None = None, demand: DemandMode = "expected",
                  samples: Sequence[Sequence[Occurrence]] | None = None) -> InvestProblem:
    """Assemble the invest problem of ``scenario`` over sampled event sets.

    With a ``stress`` set, ``n_samples`` Monte Carlo scenarios are drawn from it exactly
    as ``oreline stress`` draws them (sample ``i`` depends only on ``(seed, i)``); else
    ``samples`` gives the occurrences directly (tests), else there is one scenario: the
    base plan.

    Raises
    ------
    ScenarioError
        When the scenario has no options, or an option cannot be placed.
    """
    if not scenario.options:
        raise ScenarioError([Issue(scenario.name, "options", "the scenario has no investment "
                                   "options", "add options: (see docs/invest.md)")])
    sc = _prepare(scenario)
    lp, supply_rows = invest_lp(sc, settings, demand)
    net = lp.net
    sets = build_sets(sc, (settings or Settings.from_env()).max_origin_classes)
    stages = _stages(sc, net.periods)
    types = decision_types(sc, stages, net.periods, net.months)

    def stock_node(st: object) -> int:
        cls = sets.source_class(st.commodity, dict(st.origin))  # type: ignore[attr-defined]
        return net.nodes.of[sets.key(st.site, st.commodity, cls)]  # type: ignore[attr-defined]

    expansion = build_expansion(lp, types, supply_rows, stock_node)
    ctx = StressContext(lp)
    names: list[str] | None = None
    if stress is not None:
        # a stress set names the entities of the scenario it was made for
        check_references(stress, lp, f"stress set {stress.name!r} (made for scenario "
                                     f"{stress.scenario!r}) applied to {sc.name!r}")
        drawn = draw_samples(stress, ctx, n_samples, seed)
        draws = [d.occurrences for d in drawn]
        names = [d.name for d in drawn]
    else:
        draws = [tuple(s) for s in samples] if samples is not None else [()]
    deltas = []
    for occs in draws:
        ch = ctx.apply(list(occs))
        deltas.append(ScenarioDelta.between(lp, ch.col_lower, ch.col_upper, ch.cost,
                                            ch.row_lower, ch.row_upper))
    nodes = scenario_nodes(draws, stages)
    first = build_first_stage(sc, types, expansion.capex, nodes, net.periods)
    S = len(draws)
    return InvestProblem(sc, lp, stages, expansion, first, nodes, np.full(S, 1.0 / S), deltas,
                         draws, list(names) if names is not None else [f"s{i}" for i in range(S)])
