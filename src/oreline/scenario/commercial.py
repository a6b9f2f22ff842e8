"""Checks on the commercial side of a scenario: the sales pipeline and indexed prices.

Each check yields ``(loc, message, fix)`` like :mod:`oreline.scenario.checks`, which
runs them with its own: enquiries name known sites and products in the product's
basis, ids are unique across customers and enquiries, a customer's ``firm <= demand
<= max``, and every index formula names a known commodity with a price (a path or a
reference price) and elements that both the priced product and the index hold.

Examples
--------
>>> from oreline.scenario import load_scenario
>>> list(commercial_findings(load_scenario("tiny")))
[]

"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence

from oreline.scenario.pricing import IndexFormula, month_number
from oreline.scenario.schema import Scenario
from oreline.units import ATOMIC_WEIGHTS

__all__ = ["commercial_findings", "equivalent_content"]

Finding = tuple[tuple[str | int, ...], str, str]
Loc = tuple[str | int, ...]


def _suggest(name: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f"did you mean {close[0]!r}?" if close else f"use one of: {', '.join(options[:12])}"


def equivalent_content(product: dict[str, float], index: dict[str, float],
                       elements: Sequence[str]) -> float:
    """T of the index commodity holding the ``elements`` of one t of the product.

    Examples
    --------
    >>> round(equivalent_content({"Nd": 0.3}, {"Nd": 0.857}, ["Nd"]), 4)
    0.3501

    """
    held = sum(index.get(e, 0.0) for e in elements)
    return sum(product.get(e, 0.0) for e in elements) / held if held > 0 else 0.0


def _formula(sc: Scenario, loc: Loc, price: object, product: str) -> Iterator[Finding]:
    if not isinstance(price, IndexFormula):
        return
    coms = {c.id: c for c in sc.commodities}
    for term in price.terms:
        where = loc
        com = coms.get(term.commodity)
        if com is None:
            yield (where, f"price index names unknown commodity {term.commodity!r}",
                   _suggest(term.commodity, list(coms)))
            continue
        if com.price_path is None and com.reference_price is None:
            yield (where, f"index commodity {term.commodity!r} has no price_path and no "
                          "reference_price", f"give {term.commodity!r} a price_path or a "
                                                  "reference_price")
        for el in term.elements:
            if el not in ATOMIC_WEIGHTS:
                yield (where, f"unknown content element {el!r} in price index "
                              f"{term.commodity}[{'+'.join(term.elements)}]",
                       "write element symbols joined by '+', e.g. 'ndpr_oxide[Nd+Pr]'")
                return
        if not term.elements or product not in coms:
            continue
        if sum(com.element_fractions.get(e, 0.0) for e in term.elements) <= 0:
            yield (where, f"index commodity {term.commodity!r} holds no "
                          f"{'+'.join(term.elements)}",
                   "index on a commodity that holds the element, or drop the [...]")
        elif sum(coms[product].element_fractions.get(e, 0.0) for e in term.elements) <= 0:
            yield (where, f"{product!r} holds no {'+'.join(term.elements)}, so its "
                          f"{term.commodity} content is zero",
                   "name an element the product holds")


def _enquiries(sc: Scenario) -> Iterator[Finding]:
    coms = {c.id: c for c in sc.commodities}
    sites = [s.id for s in sc.sites]
    seen = {c.id: f"customers[{i}]" for i, c in enumerate(sc.customers)}
    for i, enq in enumerate(sc.enquiries):
        if enq.id in seen:
            yield (("enquiries", i, "id"), f"duplicate id {enq.id!r} (first used at "
                                           f"{seen[enq.id]})",
                   "give each customer and enquiry its own id")
        seen.setdefault(enq.id, f"enquiries[{i}]")
        if enq.site not in sites:
            yield ("enquiries", i, "site"), f"unknown site {enq.site!r}", _suggest(enq.site, sites)
        com = coms.get(enq.product)
        if com is None:
            yield (("enquiries", i, "product"), f"unknown commodity {enq.product!r}",
                   _suggest(enq.product, list(coms)))
            continue
        for loc, q in [(("enquiries", i, "demand"), enq.demand),
                       *((("enquiries", i, "demand_by_period", ym), q)
                         for ym, q in enq.demand_by_period.items())]:
            if q.basis != com.family:
                yield (loc, f"quantity is in t {q.basis} but {enq.product!r} is {com.family}",
                       f"state it in t {com.family}, converting with the stoichiometric "
                       "factor if needed")
        if enq.price.currency != sc.currency:
            yield (("enquiries", i, "price"), f"price {str(enq.price)!r} is in "
                   f"{enq.price.currency}, not the scenario currency {sc.currency}",
                   f"state every price in the scenario currency {sc.currency}")
        if enq.start and enq.end and enq.start > enq.end:
            yield ("enquiries", i, "end"), f"end {enq.end} is before start {enq.start}", "swap them"


def _offtake(sc: Scenario) -> Iterator[Finding]:
    family = {c.id: c.family for c in sc.commodities}
    for i, cu in enumerate(sc.customers):
        fam = family.get(cu.product)
        for name in ("firm", "max"):
            q = getattr(cu, name)
            if q is not None and fam is not None and q.basis != fam:
                yield (("customers", i, name), f"quantity is in t {q.basis} but "
                       f"{cu.product!r} is {fam}", f"state it in t {fam}")
        rate = cu.demand.per_period(1)
        if cu.firm is not None and cu.firm.per_period(1) > rate + 1e-9:
            yield (("customers", i, "firm"), f"firm {cu.firm} exceeds demand {cu.demand}",
                   "firm is the minimum the buyer takes: lower it or raise demand")
        if cu.max is not None and cu.max.per_period(1) < rate - 1e-9:
            yield (("customers", i, "max"), f"max {cu.max} is below demand {cu.demand}",
                   "max is the most the buyer takes: raise it or lower demand")


def _indexed(sc: Scenario) -> Iterator[Finding]:
    for entity in ("contracts", "customers", "enquiries"):
        for i, item in enumerate(getattr(sc, entity)):
            product = item.commodity if entity == "contracts" else item.product
            yield from _formula(sc, (entity, i, "price"), item.price, product)
    for i, com in enumerate(sc.commodities):
        path = com.price_path
        if path is not None and path.currencies != {sc.currency}:
            yield (("commodities", i, "price_path"), f"price path of {com.id!r} uses "
                   f"{', '.join(sorted(path.currencies))}, not the scenario currency "
                   f"{sc.currency}", f"state every price in {sc.currency}")


def _pipeline_periods(sc: Scenario) -> Iterator[Finding]:
    horizon = getattr(sc, "horizon", None)
    if horizon is None:
        return
    first = month_number(horizon.start)
    step = horizon.months_per_period
    starts = {first + k * step for k in range(horizon.periods)}
    for i, enq in enumerate(sc.enquiries):
        for ym in enq.demand_by_period:
            if month_number(ym) not in starts:
                yield (("enquiries", i, "demand_by_period", ym),
                       f"period {ym} is not a period of the horizon",
                       "use a period start inside the horizon or drop the entry")


def commercial_findings(sc: Scenario) -> Iterator[Finding]:
    """Every finding of this module's checks (see module docstring)."""
    for check in (_enquiries, _offtake, _indexed, _pipeline_periods):
        yield from check(sc)
