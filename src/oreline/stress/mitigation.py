"""What a mitigation costs: the extra opening stock it holds against its base scenario.

A mitigation scenario (``oreline stress --mitigation``) is a base scenario changed, e.g.
``kmp-dy-stock`` holds 12 t more Dy oxide at the horizon start. The plan counts opening
stock as free, so the margin gain it reports is gross. This module prices what the
mitigation adds to the opening stock, per (site, commodity, origin):

* the quantity is the mitigation's initial stock less the base's (a negative difference,
  stock the mitigation gives up, is a credit);
* the price is what the mitigation scenario would pay for that stock in its first
  period: the cheapest enabled contract delivering that commodity, of that origin, to
  that site (its fixed or index price in the first period), else the commodity's
  ``reference_price``.

Other differences (capacity, dates, contracts) carry no price in a scenario file and are
not costed: investment options (``oreline invest``) are where such costs live. Stock
left at the horizon end is worth nothing in either plan, so a buffer not used up is
charged in full.

Examples
--------
>>> from oreline.scenario import load_scenario
>>> from oreline.network import compile_network
>>> mitigated = load_scenario("kmp-dy-stock")
>>> cost = extra_stock_cost(load_scenario("kmp"), mitigated, compile_network(mitigated))
>>> cost[["commodity", "quantity_t", "priced_by", "cost"]].to_dict("records")
[{'commodity': 'dy_oxide', 'quantity_t': 12.0, 'priced_by': 'lynas_dy', 'cost': 10200000.0}]

"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from oreline.errors import Issue, StressError
from oreline.network import Network
from oreline.scenario import Scenario

__all__ = ["COST_COLUMNS", "extra_stock_cost"]

#: Columns of the cost table, one row per (site, commodity, origin) that differs.
COST_COLUMNS = ["site", "commodity", "origin", "quantity_t", "price_per_t", "priced_by",
                "cost"]

Key = tuple[str, str, tuple[tuple[str, str], ...]]


def _stock(sc: Scenario) -> dict[Key, float]:
    held: dict[Key, float] = defaultdict(float)
    for st in sc.initial_stock:
        held[(st.site, st.commodity, tuple(sorted(st.origin.items())))] += st.quantity.tonnes
    return held


def _price(key: Key, sc: Scenario, net: Network) -> tuple[float, str]:
    """Per-t price of stock ``key`` in the first period, and what set it."""
    site, commodity, origin = key
    offers = [(float(net.purchases.price[row, 0]), sc.contracts[k].id)
              for row, k in enumerate(net.purchases.contract)
              if sc.contracts[k].commodity == commodity and sc.contracts[k].site == site
              and tuple(sorted(sc.contracts[k].origin.items())) == origin
              and net.purchases.price[row, 0] > 0]
    if offers:
        return min(offers)
    com = next(c for c in sc.commodities if c.id == commodity)
    if com.reference_price is None:
        raise StressError([Issue(sc.name, f"commodities.{commodity}.reference_price",
                                 f"the mitigation holds more {commodity!r} stock at {site!r} "
                                 "but no contract of that origin delivers it there and the "
                                 "commodity has no reference price, so its cost is unknown",
                                 f"give commodity {commodity!r} a reference_price")])
    return com.reference_price.per_tonne, "reference price"


def extra_stock_cost(base: Scenario, mitigated: Scenario, net: Network) -> pd.DataFrame:
    """The mitigation's opening stock beyond the base's, priced; one row per difference.

    ``net`` is the mitigation scenario's compiled network (its contract prices per
    period). The total cost is ``table["cost"].sum()``; an empty table costs nothing.
    """
    a, b = _stock(base), _stock(mitigated)
    rows = []
    for key in sorted(set(a) | set(b)):
        extra = b.get(key, 0.0) - a.get(key, 0.0)
        if abs(extra) <= 1e-9 * max(1.0, abs(a.get(key, 0.0))):
            continue
        price, by = _price(key, mitigated, net)
        origin = ", ".join(f"{stage}={country}" for stage, country in key[2]) or "-"
        rows.append((key[0], key[1], origin, extra, price, by, float(np.float64(extra) * price)))
    return pd.DataFrame(rows, columns=COST_COLUMNS)
