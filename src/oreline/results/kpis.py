"""Key figures of a solution, computed from its arrays: one code for plans and stress.

:class:`KpiLayout` is built once per LP (discount per column, family slices, the
DFARS-clean mask of each process mode); :meth:`KpiLayout.kpis` then reads any
solution of that LP, with the column costs and demand it was solved with (a stress
sample changes both). ``run_plan``'s results and every stress sample use it, so a
plan and the stress base sample report the same numbers.

Definitions (money undiscounted, in the scenario currency):

* ``revenue``, ``purchase_cost`` (purchases, take-or-pay deficits and open orders),
  ``processing_cost``, ``transport_cost``, ``holding_cost``, ``shortfall_penalty``,
  ``target_penalty`` (stock below its targets):
  unit price of each column times its value, by family;
  ``margin = revenue - purchase, processing, transport and holding costs``.
* ``objective_discounted``: minus the LP objective (discounted margin less penalty).
* ``fill_rate = 1 - shortfall / demand``; **NaN when there is no demand** (overall and
  per customer): nothing was asked, so no share of it was filled.
* DFARS-clean output: main output of modes whose class is tracked and admitted by
  ``dfars-2027`` in its period.

Examples
--------
>>> from oreline.planner import run_plan
>>> plan = run_plan("tiny")
>>> k = KpiLayout.of(plan.lp).kpis(plan.solution.x, plan.lp.cost, plan.network.sales.demand)
>>> round(k.scalars["margin"]), round(k.scalars["fill_rate"], 4)
(241500, 0.8333)

"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oreline.model.families import VARIABLE_FAMILIES, VariableFamily
from oreline.model.matrix import LinearProgram
from oreline.origin import policy_allows
from oreline.scenario.schema import Policy

__all__ = ["KpiLayout", "Kpis", "fill_rate"]

#: Money KPIs and the variable families they sum.
MONEY: dict[str, tuple[VariableFamily, ...]] = {
    "purchase_cost": ("Contract-buy", "Contract-deficit", "Order-delivery"),
    "processing_cost": ("Process-run",),
    "transport_cost": ("Lane-flow",),
    "holding_cost": ("Stock-level",),
}


def fill_rate(shortfall: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """``1 - shortfall / demand`` elementwise, NaN where there is no demand.

    Examples
    --------
    >>> fill_rate(np.array([1.0, 0.0]), np.array([4.0, 0.0])).tolist()
    [0.75, nan]

    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(demand > 0, 1.0 - shortfall / np.where(demand > 0, demand, 1.0), np.nan)


@dataclass(frozen=True)
class Kpis:
    """Key figures of one solution.

    ``scalars`` holds the plan-level figures (see module docstring); per customer
    (scenario order) ``demand``, ``shortfall`` and ``fill`` in t and share; per mode
    and period ``run`` (main output, t) and ``dfars_clean`` (the clean part of it).
    """

    scalars: dict[str, float]
    demand: np.ndarray
    shortfall: np.ndarray
    fill: np.ndarray
    run: np.ndarray
    dfars_clean: np.ndarray


@dataclass(frozen=True)
class KpiLayout:
    """What :meth:`kpis` needs of one LP, computed once."""

    lp: LinearProgram
    disc_col: np.ndarray  # discount factor of each column's period
    dfars_ok: np.ndarray  # (modes, T): mode output tracked and admitted by dfars-2027

    @classmethod
    def of(cls, lp: LinearProgram) -> KpiLayout:
        """The layout of ``lp``."""
        net, v = lp.net, lp.variables
        T = net.n_periods
        t_of_col = np.zeros(lp.n_cols, dtype=np.int64)
        for b in v.blocks.values():
            t_of_col[b.offset:b.offset + b.size] = np.tile(np.arange(T), b.n)
        rule = Policy(rule="dfars-2027")
        ok = np.array([[policy_allows(rule, net.classes[k], p) for p in net.periods]
                       for k in net.modes.out_cls], dtype=bool).reshape(len(net.modes), T)
        tracked = np.array([net.classes[k].tracked for k in net.modes.out_cls], dtype=bool)
        return cls(lp, net.discount[t_of_col], ok & tracked[:, None])

    def kpis(self, x: np.ndarray, cost: np.ndarray, demand: np.ndarray) -> Kpis:
        """Key figures of solution ``x`` solved with column costs ``cost``.

        Parameters
        ----------
        x
            Column values.
        cost
            Discounted column costs the solution was found with (``lp.cost`` for a plan).
        demand
            Demand per customer and period, ``(customers, T)``.

        """
        v = self.lp.variables
        unit = cost / self.disc_col
        part = {f: float(v[f].values(unit).ravel() @ v[f].values(x).ravel())
                for f in VARIABLE_FAMILIES}
        revenue = -part["Customer-sale"]
        money = {k: sum(part[f] for f in fams) for k, fams in MONEY.items()}
        short = v["Customer-shortfall"].values(x).sum(axis=1)
        dem = demand.sum(axis=1)
        total_d, total_s = float(dem.sum()), float(short.sum())
        scalars = {
            "revenue": revenue, **money, "margin": revenue - sum(money.values()),
            "shortfall_penalty": part["Customer-shortfall"],
            "target_penalty": part["Target-gap"],
            "objective_discounted": -float(cost @ x), "demand_t": total_d,
            "served_t": total_d - total_s, "shortfall_t": total_s,
            "fill_rate": float(fill_rate(np.array(total_s), np.array(total_d))),
        }
        run = v["Process-run"].values(x)
        return Kpis(scalars, dem, short, fill_rate(short, dem), run,
                    np.where(self.dfars_ok, run, 0.0))
