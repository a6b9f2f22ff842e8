"""Checks of the opening state: shipments in transit, open orders, stock targets, ledger map.

Each check yields ``(loc, message, fix)`` findings like :mod:`oreline.scenario.checks`
(which runs :func:`check_opening_state` with its own checks). Origins of shipments in
transit are checked there, with those of contracts and initial stock.

Examples
--------
>>> from oreline.scenario import load_scenario
>>> check_opening_state(load_scenario("tiny"))
[]

"""

from __future__ import annotations

from collections.abc import Iterator

from oreline.scenario.checks import Finding, _suggest
from oreline.scenario.schema import Scenario

__all__ = ["SKIP", "check_opening_state", "horizon_periods"]

#: The scenario side of a ledger map entry that leaves a site, material or form out.
SKIP = "-"


def horizon_periods(sc: Scenario) -> list[str]:
    """``YYYY-MM`` start of each period of the horizon (no pandas, for checks).

    Examples
    --------
    >>> from oreline.scenario import load_scenario
    >>> horizon_periods(load_scenario("tiny"))
    ['2027-01', '2027-02', '2027-03']

    """
    year, month = map(int, sc.horizon.start.split("-"))
    step = sc.horizon.months_per_period
    out = []
    for k in range(sc.horizon.periods):
        y, m = divmod(month - 1 + k * step, 12)
        out.append(f"{year + y:04d}-{m + 1:02d}")
    return out


def _period_of(periods: list[str], ym: str) -> int | None:
    """Index of the period holding month ``ym``; None before the first period."""
    inside = [i for i, p in enumerate(periods) if p <= ym]
    return inside[-1] if inside else None


def _duplicates(sc: Scenario) -> Iterator[Finding]:
    for entity in ("in_transit", "open_orders", "stock_targets"):
        seen: dict[str, int] = {}
        for i, item in enumerate(getattr(sc, entity, [])):
            if item.id in seen:
                yield ((entity, i, "id"),
                       f"duplicate id {item.id!r} (first used at {entity}[{seen[item.id]}])",
                       "give each entry its own id")
            seen.setdefault(item.id, i)


def _refs(sc: Scenario) -> Iterator[Finding]:
    sites = [s.id for s in getattr(sc, "sites", [])]
    family = {c.id: c.family for c in getattr(sc, "commodities", [])}
    contracts = {c.id: c for c in getattr(sc, "contracts", [])}
    for entity in ("in_transit", "stock_targets"):
        for i, item in enumerate(getattr(sc, entity, [])):
            if item.site not in sites:
                yield (entity, i, "site"), f"unknown site {item.site!r}", _suggest(item.site,
                                                                                   sites)
            if item.commodity not in family:
                yield ((entity, i, "commodity"), f"unknown commodity {item.commodity!r}",
                       _suggest(item.commodity, list(family)))
            elif item.quantity.basis != family[item.commodity]:
                yield _basis((entity, i, "quantity"), item.quantity.basis, item.commodity,
                             family[item.commodity])
    for i, order in enumerate(getattr(sc, "open_orders", [])):
        c = contracts.get(order.contract)
        if c is None:
            yield ((("open_orders", i, "contract"), f"unknown contract {order.contract!r}",
                    _suggest(order.contract, list(contracts))))
        elif c.commodity in family and order.quantity.basis != family[c.commodity]:
            yield _basis(("open_orders", i, "quantity"), order.quantity.basis, c.commodity,
                         family[c.commodity])


def _basis(loc: tuple[str | int, ...], basis: str | None, commodity: str, fam: str) -> Finding:
    return (loc, f"quantity is in t {basis} but {commodity!r} is {fam}",
            f"state it in t {fam}, converting with the stoichiometric factor if needed")


def _prices(sc: Scenario) -> Iterator[Finding]:
    cur = getattr(sc, "currency", "USD")
    for entity, name in (("in_transit", "price_paid"), ("stock_targets", "penalty")):
        for i, item in enumerate(getattr(sc, entity, [])):
            price = getattr(item, name)
            if price is not None and price.currency != cur:
                yield ((entity, i, name), f"price {str(price)!r} is in {price.currency}, not "
                       f"the scenario currency {cur}",
                       f"state every price in the scenario currency {cur}")


def _months(sc: Scenario) -> Iterator[Finding]:
    if getattr(sc, "horizon", None) is None:
        return  # reported already
    periods = horizon_periods(sc)
    for entity in ("in_transit", "open_orders"):
        for i, item in enumerate(getattr(sc, entity, [])):
            if item.arrival < periods[0]:
                yield ((entity, i, "arrival"),
                       f"arrival {item.arrival} is before the horizon start {periods[0]}",
                       "it has arrived: add it to initial_stock, or correct the month")
    for i, t in enumerate(getattr(sc, "stock_targets", [])):
        if t.start and t.end and t.start > t.end:
            yield ("stock_targets", i, "end"), f"end {t.end} is before start {t.start}", (
                "swap them")
    yield from _orders_within_max(sc, periods)


def _orders_within_max(sc: Scenario, periods: list[str]) -> Iterator[Finding]:
    """Open orders of one contract ordered in one period fit inside its max."""
    contracts = {c.id: c for c in getattr(sc, "contracts", [])}
    months = sc.horizon.months_per_period
    booked: dict[tuple[str, int], float] = {}
    for i, order in enumerate(getattr(sc, "open_orders", [])):
        c = contracts.get(order.contract)
        arrival = _period_of(periods, order.arrival)
        if c is None or arrival is None or arrival - c.lead_time < 0:
            continue
        key = (c.id, arrival - c.lead_time)
        booked[key] = booked.get(key, 0.0) + order.quantity.tonnes
        cap = c.max.per_period(months)
        if booked[key] > cap * (1 + 1e-9) + 1e-9:
            yield (("open_orders", i, "quantity"),
                   f"open orders of contract {c.id!r} ordered in {periods[key[1]]} total "
                   f"{booked[key]:g} t, above its max of {cap:g} t per period",
                   f"raise the contract's max or correct the order (arrival less the "
                   f"contract's lead time of {c.lead_time} period(s) is the order period)")


def _ledger_map(sc: Scenario) -> Iterator[Finding]:
    lmap = getattr(sc, "ledger_map", None)
    if lmap is None:
        return
    sites = [s.id for s in sc.sites]
    coms = [c.id for c in sc.commodities]
    for key, target in lmap.sites.items():
        if target != SKIP and target not in sites:
            yield (("ledger_map", "sites", key), f"ledger site {key!r} maps to unknown site "
                   f"{target!r}", f"{_suggest(target, sites)} (or '{SKIP}' to leave it out)")
    for part in ("materials", "forms"):
        for key, target in getattr(lmap, part).items():
            if target != SKIP and target not in coms:
                yield ((("ledger_map", part, key), f"ledger {part[:-1]} {key!r} maps to "
                        f"unknown commodity {target!r}",
                        f"{_suggest(target, coms)} (or '{SKIP}' to leave it out)"))


def check_opening_state(sc: Scenario) -> list[Finding]:
    """Every finding about the opening state, the stock targets and the ledger map."""
    out: list[Finding] = []
    for check in (_duplicates, _refs, _prices, _months, _ledger_map):
        out.extend(check(sc))
    return out
