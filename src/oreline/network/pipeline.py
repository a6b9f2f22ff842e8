"""Demand lines: signed contracts and the sales pipeline, by demand mode.

The model's demand lines are the scenario's customers (signed offtake contracts),
then its enquiries. Per line and period:

* a **customer** must be served ``firm_t = demand_t x firm / demand`` (a shortfall
  below it is penalised) and may take up to ``demand_t x max / demand``; ``firm`` and
  ``max`` default to ``demand``, so a plain customer must be served its demand;
* an **enquiry** can deliver from its first possible month, ``max(start, decision +
  qualification_months)`` (decision defaults to the horizon start). The demand mode
  says how much of its volume the plan serves: ``firm`` none, ``expected``
  ``probability x volume``, ``all`` the whole volume.

Reports split each line's volume into ``firm`` (contracts), ``expected`` (the enquiry
volume served), ``unqualified`` (before qualification or first delivery: not
plannable; an enquiry's counted at its probability) and ``excluded`` (enquiry volume
after first delivery that the mode leaves out).

Examples
--------
>>> from oreline.scenario.schema import Enquiry
>>> e = Enquiry.model_validate({"id": "e", "site": "s", "product": "p", "price": "1 USD/kg",
...     "demand": "1 t/month metal", "probability": 0.5, "decision": "2027-03",
...     "qualification_months": 6, "start": "2027-06"})
>>> first_delivery(e, "2027-01")
'2027-09'
>>> MODE_WEIGHT["expected"](e), MODE_WEIGHT["firm"](e), MODE_WEIGHT["all"](e)
(0.5, 0.0, 1.0)

"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from oreline.network.sets import Sets, index_of
from oreline.scenario.schema import Customer, Enquiry

__all__ = ["DEMAND_MODES", "MODE_WEIGHT", "DemandLines", "DemandMode", "demand_lines",
           "first_delivery"]

DemandMode = Literal["firm", "expected", "all"]
#: The demand modes, default first.
DEMAND_MODES: tuple[DemandMode, ...] = ("expected", "firm", "all")
#: Share of an enquiry's volume each mode plans for.
MODE_WEIGHT: dict[str, Callable[[Enquiry], float]] = {
    "firm": lambda e: 0.0, "expected": lambda e: e.probability, "all": lambda e: 1.0,
}
#: ``(plannable, unqualified)`` volume of a line, qualified from a month (or its own).
VolumeFn = Callable[[Sets, Customer | Enquiry, str | None], tuple[np.ndarray, np.ndarray]]


def first_delivery(enquiry: Enquiry, horizon_start: str) -> str:
    """First month an enquiry can deliver: ``max(start, decision + qualification)``."""
    decided = pd.Period(enquiry.decision or horizon_start, freq="M")
    qualified = str(decided + enquiry.qualification_months)
    return max(qualified, enquiry.start or horizon_start)


@dataclass(frozen=True)
class DemandLines:
    """Per demand line (customers, then enquiries) and period, in t per period."""

    lines: tuple[Customer | Enquiry, ...]
    mode: DemandMode
    target: np.ndarray  # must be served (shortfall penalised)
    ceiling: np.ndarray  # most sold
    firm: np.ndarray
    expected: np.ndarray
    unqualified: np.ndarray
    excluded: np.ndarray
    volume: np.ndarray  # an enquiry's whole volume from its first delivery (0 for contracts)
    probability: np.ndarray  # per line (1 for contracts)
    first: np.ndarray  # per line, first period it can deliver

    @property
    def is_enquiry(self) -> np.ndarray:
        """Per line, whether it is an enquiry."""
        return np.array([isinstance(c, Enquiry) for c in self.lines], dtype=bool)


def demand_lines(s: Sets, mode: DemandMode, volume: VolumeFn) -> DemandLines:
    """The demand lines of a scenario under ``mode`` (see module docstring)."""
    sc, T = s.scenario, s.T
    lines: tuple[Customer | Enquiry, ...] = (*sc.customers, *sc.enquiries)
    n = len(lines)
    target, ceiling, firm, expected, unq, excl, vol = (np.zeros((n, T)) for _ in range(7))
    prob, first = np.ones(n), np.zeros(n, dtype=np.int64)
    for i, line in enumerate(lines):
        if isinstance(line, Customer):
            plan, unq[i] = volume(s, line, None)
            rate = line.demand.per_period(1)
            lo = line.firm.per_period(1) / rate if line.firm is not None and rate > 0 else 1.0
            hi = line.max.per_period(1) / rate if line.max is not None and rate > 0 else 1.0
            target[i] = firm[i] = plan * lo
            ceiling[i] = plan * hi
            first[i] = index_of(s.periods, line.qualified_from or line.start, 0)
            continue
        start = first_delivery(line, s.periods[0])
        vol[i], raw_unq = volume(s, line, start)
        w = MODE_WEIGHT[mode](line)
        prob[i], first[i] = line.probability, index_of(s.periods, start, 0)
        target[i] = ceiling[i] = expected[i] = w * vol[i]
        unq[i] = line.probability * raw_unq
        excl[i] = (1.0 - w) * vol[i]
    return DemandLines(lines, mode, target, ceiling, firm, expected, unq, excl, vol, prob, first)
