"""What a decision buys: right-hand-side shifts of the plan's LP and first-stage costs.

A *decision type* is one option decided in one decision stage. Deciding one module of
type ``j`` shifts the row bounds of every scenario's LP by column ``j`` of
:attr:`Expansion.link_lower` / :attr:`Expansion.link_upper` (a capacity row's upper
bound rises, a supply row opens, a node-balance row receives the buffer's stock) and
costs :attr:`Expansion.cost` (discounted to the first period). Because a decision only
moves right-hand sides, the plan of a scenario stays an LP once the decisions are
fixed, and its row duals price every decision (the Benders cuts).

Timing, in periods of ``m`` months: decided in period ``d``, an option is commissioned
in ``c = d + ceil(lead_time / m)``; in period ``t >= c`` it delivers
``ramp[min((t - c) m, len(ramp) - 1)]`` of its nameplate until ``c`` plus its lifetime.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from oreline.errors import Issue, ScenarioError
from oreline.model import LinearProgram
from oreline.scenario.investment import InvestmentOption, Money, StockAddition

__all__ = ["DecisionType", "Expansion", "build_expansion", "capex_share", "ramp_profile",
           "to_currency"]


@dataclass(frozen=True)
class DecisionType:
    """One option decided at one stage: decided in ``period``, in service from ``commission``."""

    option: int
    stage: int
    period: int
    commission: int

    def label(self, options: list[InvestmentOption], periods: list[str]) -> str:
        """E.g. ``phase3@2027-01``."""
        return f"{options[self.option].id}@{periods[self.period]}"


@dataclass
class Expansion:
    """Decision types with their LP shifts and costs (per module)."""

    types: list[DecisionType]
    link_lower: sp.csc_matrix  # (LP rows, types)
    link_upper: sp.csc_matrix
    cost: np.ndarray  # discounted first-stage cost per module, scenario currency
    capex: np.ndarray  # undiscounted capex per module, scenario currency (for budgets)
    profile: np.ndarray  # (types, T) fraction of nameplate in service

    def shift(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row lower and upper shifts for modules ``z`` per decision type."""
        return self.link_lower @ z, self.link_upper @ z


def to_currency(money: Money, currency: str, fx: dict[str, float], where: str) -> float:
    """An amount in the scenario's currency, converted with ``investment.fx``.

    Raises
    ------
    ScenarioError
        When the currency is neither the scenario's nor in ``fx``.
    """
    if money.currency == currency:
        return money.amount
    if money.currency in fx:
        return money.amount * fx[money.currency]
    raise ScenarioError([Issue(where, "currency", f"{money} is in {money.currency}, not "
                               f"{currency}, and investment.fx has no rate for it",
                               f"add investment: {{fx: {{{money.currency}: <{currency} per "
                               f"{money.currency}>}}}}")])


def ramp_profile(option: InvestmentOption, commission: int, T: int, months: int) -> np.ndarray:
    """Fraction of nameplate in service per period, ``(T,)``.

    Examples
    --------
    >>> from oreline.scenario.investment import InvestmentOption
    >>> o = InvestmentOption(id="x", capex="1 M USD", ramp=[0.5, 1.0], lifetime=1)
    >>> ramp_profile(o, 2, 16, 1).tolist()
    [0.0, 0.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    """
    t = np.arange(T)
    since = (t - commission) * months
    ramp = np.asarray(option.ramp, dtype=float)
    out = ramp[np.clip(since, 0, len(ramp) - 1)]
    alive = (since >= 0) & (since < option.lifetime * 12)
    return np.where(alive, out, 0.0)


def _discount(rate: float, months: int, periods: np.ndarray) -> np.ndarray:
    return (1.0 + rate) ** (-(periods * months / 12.0))


def _cost(option: InvestmentOption, dt: DecisionType, capex: float, opex_month: float,
          rate: float, months: int, T: int, end_effect: str) -> float:
    """Discounted first-stage cost of one module: capex, fixed opex, end effect."""
    life_end = dt.commission + math.ceil(option.lifetime * 12 / months)
    service = np.arange(dt.commission, min(T, life_end))
    opex = opex_month * months * _discount(rate, months, service).sum()
    if end_effect == "annuity":
        r = (1.0 + rate) ** (1.0 / 12.0) - 1.0
        n = option.lifetime * 12
        monthly = capex / n if r == 0 else capex * r / (1.0 - (1.0 + r) ** (-n))
        return float(monthly * months * _discount(rate, months, service).sum() + opex)
    used = (T - dt.commission) * months / (option.lifetime * 12.0)
    salvage = capex * max(0.0, 1.0 - used) * _discount(rate, months, np.array([T]))[0]
    spent = capex * _discount(rate, months, np.array([dt.period]))[0]
    return float(spent + opex - salvage)


def capex_share(option: InvestmentOption, dt: DecisionType, rate: float, months: int, T: int,
                end_effect: str) -> float:
    """Discounted first-stage cost of one unit of capex (a module's cost is linear in capex).

    Examples
    --------
    >>> from oreline.scenario.investment import InvestmentOption
    >>> o = InvestmentOption(id="x", capex="1 M USD", lifetime=10)
    >>> round(capex_share(o, DecisionType(0, 0, 0, 2), 0.0, 1, 12, "salvage"), 6)
    0.083333
    """
    def at(capex: float) -> float:
        return _cost(option, dt, capex, 0.0, rate, months, T, end_effect)

    return at(1.0) - at(0.0)


def build_expansion(lp: LinearProgram, types: list[DecisionType],
                    supply_rows: dict[str, np.ndarray], stock_node: Callable[[StockAddition], int],
                    where: str = "options") -> Expansion:
    """Shifts and costs of every decision type on ``lp``.

    Parameters
    ----------
    lp
        The invest LP (:func:`oreline.invest.problem.invest_lp`), with supply rows.
    supply_rows
        Row index per period of each option-supplied contract's supply row, ``(T,)``.
    stock_node
        The stock-balance node a buffer's stock arrives at.
    """
    net = lp.net
    sc = net.scenario
    T, m = net.n_periods, net.months
    inv = sc.investment
    procs = {p: i for i, p in enumerate(net.processes)}
    cap_off = lp.row_offset["Process-capacity"]
    top_off = lp.row_offset["Contract-takeorpay"]
    bal_off = lp.row_offset["Node-balance"]
    k_of = {sc.contracts[int(c)].id: k for k, c in enumerate(net.purchases.contract)}
    lo_r: list[np.ndarray] = []
    lo_c: list[np.ndarray] = []
    lo_v: list[np.ndarray] = []
    up_r: list[np.ndarray] = []
    up_c: list[np.ndarray] = []
    up_v: list[np.ndarray] = []
    cost = np.zeros(len(types))
    capex = np.zeros(len(types))
    profile = np.zeros((len(types), T))
    t = np.arange(T)
    for j, dt in enumerate(types):
        o = sc.options[dt.option]
        f = ramp_profile(o, dt.commission, T, m)
        profile[j] = f
        on = f > 0
        for add in o.adds:
            rows = cap_off + procs[add.process] * T + t[on]
            up_r.append(rows)
            up_c.append(np.full(rows.size, j))
            up_v.append(add.capacity.per_period(m) * f[on])
        for cid in o.supply:
            k = k_of[cid]
            up_r.append(supply_rows[cid][on])
            up_c.append(np.full(int(on.sum()), j))
            up_v.append(net.purchases.upper[k][on] * f[on])
            lower = net.purchases.lower[k] * f
            top = net.purchases.take_or_pay[k] * f
            for rows, vals in ((supply_rows[cid], lower), (top_off + k * T + t, top)):
                nz = vals > 0
                lo_r.append(rows[nz])
                lo_c.append(np.full(int(nz.sum()), j))
                lo_v.append(vals[nz])
        if dt.commission < T:
            for st in o.stock:
                node = stock_node(st)
                row = np.array([bal_off + node * T + dt.commission])
                q = np.array([-st.quantity.tonnes])
                for r_, c_, v_ in ((lo_r, lo_c, lo_v), (up_r, up_c, up_v)):
                    r_.append(row)
                    c_.append(np.array([j]))
                    v_.append(q)
        where_o = f"{where}[{o.id}]"
        cap = to_currency(o.capex, sc.currency, inv.fx, f"{where_o}.capex")
        opex = (to_currency(o.fixed_opex, sc.currency, inv.fx, f"{where_o}.fixed_opex")
                if o.fixed_opex is not None else 0.0)
        opex_month = opex / 12.0 if (o.fixed_opex and o.fixed_opex.per == "year") else opex
        capex[j] = cap
        cost[j] = _cost(o, dt, cap, opex_month, sc.discount_rate, m, T, inv.end_effect)

    def matrix(r: list[np.ndarray], c: list[np.ndarray], v: list[np.ndarray]) -> sp.csc_matrix:
        if not r:
            return sp.csc_matrix((lp.n_rows, len(types)))
        return sp.csc_matrix((np.concatenate(v), (np.concatenate(r), np.concatenate(c))),
                             shape=(lp.n_rows, len(types)))

    return Expansion(types, matrix(lo_r, lo_c, lo_v), matrix(up_r, up_c, up_v), cost, capex,
                     profile)
