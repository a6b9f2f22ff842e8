"""Prices per period: commodity index paths and contract prices built on them.

:func:`index_prices` gives each commodity's price per t in each period (its
``price_path`` averaged over the period's months, else its flat ``reference_price``,
else 0). :func:`price_terms` writes a list of contract prices (fixed or index
formulas, :mod:`oreline.scenario.pricing`) as :class:`PriceTerms`: a weight per
(row, commodity) and a premium per row, so that ``price(t) = weight @ index(t) +
premium``. A stress index shock changes ``index`` and moves every indexed price
through the same weights.

Examples
--------
>>> from oreline.scenario import load_scenario
>>> from oreline.network.sets import build_sets
>>> s = build_sets(load_scenario("tiny"), 64)
>>> index_prices(s).tolist()
[[1500.0, 1500.0, 1500.0], [10000.0, 10000.0, 10000.0]]

"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oreline.network.sets import Sets
from oreline.scenario.commercial import equivalent_content
from oreline.scenario.pricing import IndexFormula, monthly_prices
from oreline.units import Price

__all__ = ["PriceTerms", "index_prices", "price_terms"]


def index_prices(s: Sets) -> np.ndarray:
    """``(commodities, T)`` price per t of each commodity, averaged over each period."""
    sc = s.scenario
    start = pd.Period(s.periods[0], freq="M")
    months = [str(start + k) for k in range(s.T * s.months)]
    out = np.zeros((len(sc.commodities), s.T))
    for m, com in enumerate(sc.commodities):
        if com.price_path is not None:
            monthly = monthly_prices(com.price_path, months)
            out[m] = monthly.reshape(s.T, s.months).mean(axis=1)
        elif com.reference_price is not None:
            out[m] = com.reference_price.per_tonne
    return out


@dataclass(frozen=True)
class PriceTerms:
    """``price(t) = weight @ index(t) + premium`` per row (t of the priced product)."""

    weight: np.ndarray  # (rows, commodities): t of index per t of product, x factor
    premium: np.ndarray  # (rows,)

    def at(self, index: np.ndarray) -> np.ndarray:
        """``(rows, T)`` prices for an ``(commodities, T)`` index."""
        out: np.ndarray = self.weight @ index + self.premium[:, None]
        return out


def price_terms(s: Sets, prices: Sequence[tuple[Price | IndexFormula, str]]) -> PriceTerms:
    """Weights and premiums of ``(price, priced commodity)`` rows.

    A fixed price is a premium with no weight; an index term adds ``factor x content``
    to its commodity's weight, ``content`` being the equivalent content of its elements
    (:func:`~oreline.scenario.commercial.equivalent_content`), or 1 without elements.
    """
    sc = s.scenario
    comp = {c.id: c.element_fractions for c in sc.commodities}
    weight = np.zeros((len(prices), len(sc.commodities)))
    premium = np.zeros(len(prices))
    for r, (price, product) in enumerate(prices):
        if isinstance(price, Price):
            premium[r] = price.per_tonne
            continue
        premium[r] = price.premium.per_tonne
        for term in price.terms:
            content = (equivalent_content(comp[product], comp[term.commodity], term.elements)
                       if term.elements else 1.0)
            weight[r, s.commodities.get_loc(term.commodity)] += term.factor * content
    return PriceTerms(weight, premium)
