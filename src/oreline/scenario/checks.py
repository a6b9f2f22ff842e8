"""Checks that span entities of a validated scenario.

Each check yields ``(loc, message, fix)`` with ``loc`` a path into the scenario
data (``("processes", 2, "inputs", "ndpr_oxyde")``); the loader turns the path
into a file and line. All checks run, so a user sees every problem at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence

from oreline.countries import is_country, suggest_country
from oreline.origin import STAGES, UNKNOWN
from oreline.scenario.commercial import commercial_findings
from oreline.scenario.pricing import IndexFormula
from oreline.scenario.schema import Scenario
from oreline.units import Price

__all__ = ["Finding", "check_scenario", "required_stages"]

#: ``(loc, message, fix)``, or with a fourth item, the issue's ``code``.
Finding = tuple[tuple[str | int, ...], str, str] | tuple[tuple[str | int, ...], str, str, str]

#: Stages a lot of each family has necessarily passed through.
_REQUIRED: dict[str, tuple[str, ...]] = {
    "ore": ("mined",),
    "concentrate": ("mined",),
    "oxide": ("mined", "separated"),
    "metal": ("mined", "separated", "refined"),
    "alloy": ("mined", "separated", "refined", "melted"),
    "magnet": ("mined", "separated", "refined", "melted", "produced"),
    "scrap": ("mined",),
}
#: Relative tolerance on element creation by a recipe (rounded coefficients).
RECIPE_TOLERANCE = 5e-3


def required_stages(family: str) -> tuple[str, ...]:
    """Stages a commodity of ``family`` must declare an origin for.

    Examples
    --------
    >>> required_stages("oxide")
    ('mined', 'separated')

    """
    return _REQUIRED.get(family, ())


def _suggest(name: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"use one of: {', '.join(sorted(set(options))[:12])}"


def _duplicates(sc: Scenario) -> Iterator[Finding]:
    for entity in ("commodities", "sites", "processes", "contracts", "lanes", "customers"):
        seen: dict[str, int] = {}
        for i, item in enumerate(getattr(sc, entity)):
            if item.id in seen:
                yield (
                    (entity, i, "id"),
                    f"duplicate id {item.id!r} (first used at {entity}[{seen[item.id]}])",
                    "give each entry its own id",
                )
            else:
                seen[item.id] = i


def _refs(sc: Scenario) -> Iterator[Finding]:
    coms = [c.id for c in sc.commodities]
    sites = [s.id for s in sc.sites]

    def com(loc: tuple[str | int, ...], name: str) -> Iterator[Finding]:
        if name not in coms:
            yield loc, f"unknown commodity {name!r}", _suggest(name, coms)

    def site(loc: tuple[str | int, ...], name: str) -> Iterator[Finding]:
        if name not in sites:
            yield loc, f"unknown site {name!r}", _suggest(name, sites)

    for i, p in enumerate(sc.processes):
        yield from site(("processes", i, "site"), p.site)
        yield from com(("processes", i, "main_output"), p.main_output)
        for name in p.inputs:
            yield from com(("processes", i, "inputs", name), name)
        for name in p.co_products:
            yield from com(("processes", i, "co_products", name), name)
        if p.main_output in p.inputs:
            yield (
                ("processes", i, "inputs", p.main_output),
                f"main output {p.main_output!r} is also an input",
                "a recipe must turn inputs into a different main output",
            )
        for name in p.co_products:
            if name in p.inputs or name == p.main_output:
                yield (
                    ("processes", i, "co_products", name),
                    f"co-product {name!r} is also an input or the main output",
                    "state the net amount once: as an input, or as a co-product",
                )
    for i, c in enumerate(sc.contracts):
        yield from site(("contracts", i, "site"), c.site)
        yield from com(("contracts", i, "commodity"), c.commodity)
    for i, s in enumerate(sc.initial_stock):
        yield from site(("initial_stock", i, "site"), s.site)
        yield from com(("initial_stock", i, "commodity"), s.commodity)
    for i, lane in enumerate(sc.lanes):
        yield from site(("lanes", i, "origin"), lane.origin)
        yield from site(("lanes", i, "destination"), lane.destination)
        if lane.origin == lane.destination:
            yield ("lanes", i, "destination"), "a lane must join two different sites", (
                "set destination to another site"
            )
        for j, name in enumerate(lane.commodities or []):
            yield from com(("lanes", i, "commodities", j), name)
    for i, cu in enumerate(sc.customers):
        yield from site(("customers", i, "site"), cu.site)
        yield from com(("customers", i, "product"), cu.product)


def _bases(sc: Scenario) -> Iterator[Finding]:
    family = {c.id: c.family for c in sc.commodities}

    def same(loc: tuple[str | int, ...], basis: str | None, commodity: str) -> Iterator[Finding]:
        fam = family.get(commodity)
        if fam is not None and basis != fam:
            yield (
                loc,
                f"quantity is in t {basis} but {commodity!r} is {fam}",
                f"state it in t {fam}, converting with the stoichiometric factor if needed",
            )

    for i, p in enumerate(sc.processes):
        for j, ph in enumerate(p.capacity):
            yield from same(("processes", i, "capacity", j, "capacity"), ph.capacity.basis,
                            p.main_output)
    for i, c in enumerate(sc.contracts):
        for name in ("max", "min", "take_or_pay"):
            q = getattr(c, name)
            if q is not None:
                yield from same(("contracts", i, name), q.basis, c.commodity)
        if c.min is not None and c.min.per_period(1) > c.max.per_period(1) + 1e-9:
            yield ("contracts", i, "min"), f"min {c.min} exceeds max {c.max}", (
                "lower min or raise max"
            )
        if c.start and c.end and c.start > c.end:
            yield ("contracts", i, "end"), f"end {c.end} is before start {c.start}", "swap them"
    for i, s in enumerate(sc.initial_stock):
        yield from same(("initial_stock", i, "quantity"), s.quantity.basis, s.commodity)
    for i, cu in enumerate(sc.customers):
        yield from same(("customers", i, "demand"), cu.demand.basis, cu.product)
        for ym, q in cu.demand_by_period.items():
            yield from same(("customers", i, "demand_by_period", ym), q.basis, cu.product)


def _prices(sc: Scenario) -> Iterator[Finding]:
    cur = sc.currency
    fix = f"state every price in the scenario currency {cur}"

    def wrong(price: Price | IndexFormula) -> str:
        return f"price {str(price)!r} is in {price.currency}, not the scenario currency {cur}"

    for i, p in enumerate(sc.processes):
        if p.variable_cost.currency != cur:
            yield ("processes", i, "variable_cost"), wrong(p.variable_cost), fix
    for i, c in enumerate(sc.contracts):
        if c.price.currency != cur:
            yield ("contracts", i, "price"), wrong(c.price), fix
    for i, lane in enumerate(sc.lanes):
        if lane.cost.currency != cur:
            yield ("lanes", i, "cost"), wrong(lane.cost), fix
        if lane.tariff > 0:
            for name in lane.commodities or [c.id for c in sc.commodities]:
                com = next((c for c in sc.commodities if c.id == name), None)
                if com is not None and com.reference_price is None and lane.commodities:
                    yield (
                        ("lanes", i, "tariff"),
                        f"an ad valorem tariff needs a reference_price for {name!r}",
                        f"add reference_price to commodity {name!r}",
                    )
    for i, cu in enumerate(sc.customers):
        for name in ("price", "shortfall_penalty"):
            pr = getattr(cu, name)
            if pr is not None and pr.currency != cur:
                yield ("customers", i, name), wrong(pr), fix
    for i, co in enumerate(sc.commodities):
        if co.reference_price is not None and co.reference_price.currency != cur:
            yield ("commodities", i, "reference_price"), wrong(co.reference_price), fix


def _recipes(sc: Scenario) -> Iterator[Finding]:
    comp = {c.id: c.element_fractions for c in sc.commodities}
    for i, p in enumerate(sc.processes):
        if p.main_output not in comp or any(n not in comp for n in (*p.inputs, *p.co_products)):
            continue  # reported by _refs
        out: dict[str, float] = dict(comp[p.main_output])
        for name, coef in p.co_products.items():
            for el, f in comp[name].items():
                out[el] = out.get(el, 0.0) + coef * f
        inp: dict[str, float] = {}
        for name, coef in p.inputs.items():
            for el, f in comp[name].items():
                inp[el] = inp.get(el, 0.0) + coef * f / p.yield_
        if not out:
            # no element content on the output side: check total mass, so that a recipe
            # (and hence any loop of recipes) cannot make material out of nothing
            made = 1.0 + sum(p.co_products.values())
            used = sum(p.inputs.values()) / p.yield_
            if made > used * (1 + RECIPE_TOLERANCE) + 1e-12:
                yield (
                    ("processes", i, "inputs"),
                    f"recipe creates mass: one t of output (plus {made - 1:.4f} t co-products) "
                    f"comes from only {used:.4f} t of inputs",
                    "raise the input coefficients or lower the yield; or give the commodities "
                    "their element content so that elements are checked instead",
                )
        for el, amount in sorted(out.items()):
            have = inp.get(el, 0.0)
            if amount > have * (1 + RECIPE_TOLERANCE) + 1e-12:
                what = "from nothing" if have == 0 else f"but its inputs hold only {have:.4f} t"
                yield (
                    ("processes", i, "inputs"),
                    f"recipe creates {el}: one t of output holds {amount:.4f} t {el} {what}",
                    "raise the input coefficients (t input per t output) or lower the yield",
                )


def _countries(sc: Scenario) -> Iterator[Finding]:
    for i, s in enumerate(sc.sites):
        if not is_country(s.country):
            yield (
                ("sites", i, "country"),
                f"country {s.country!r} is not an ISO 3166-1 alpha-2 code",
                suggest_country(s.country, "write a code such as 'KR'"),
            )


def _origins(sc: Scenario) -> Iterator[Finding]:
    family = {c.id: c.family for c in sc.commodities}
    controlled = {c.id for c in sc.commodities if c.is_controlled}
    entries = [("contracts", i, c.commodity, c.origin) for i, c in enumerate(sc.contracts)]
    entries += [("initial_stock", i, s.commodity, s.origin) for i, s in enumerate(sc.initial_stock)]
    entries += [("in_transit", i, s.commodity, s.origin)
                for i, s in enumerate(getattr(sc, "in_transit", []))]
    for entity, i, commodity, origin in entries:
        for stage, country in origin.items():
            if stage not in STAGES:
                yield (
                    (entity, i, "origin", stage), f"unknown stage {stage!r}",
                    _suggest(stage, STAGES),
                )
            elif country != UNKNOWN and not is_country(country):
                yield (
                    (entity, i, "origin", stage),
                    f"country {country!r} is not an ISO 3166-1 alpha-2 code",
                    suggest_country(country, "write a code such as 'AU', or 'unknown'"),
                )
        if commodity in controlled:
            missing = [s for s in required_stages(family[commodity]) if s not in origin]
            if missing:
                yield (
                    (entity, i, "origin"),
                    f"{family[commodity]} {commodity!r} has no declared country for "
                    f"{', '.join(missing)}",
                    "declare each stage's country, or write 'unknown' (unknown never passes "
                    "ex-china or DFARS checks)",
                )


def _horizon(sc: Scenario) -> Iterator[Finding]:
    for i, p in enumerate(sc.processes):
        starts = [ph.start for ph in p.capacity]
        if starts != sorted(starts):
            yield ("processes", i, "capacity"), "capacity phases are not in date order", (
                "list phases by start date"
            )
    horizon = getattr(sc, "horizon", None)
    if horizon is None:  # a partly valid scenario: its horizon error is reported already
        return
    year, month = map(int, horizon.start.split("-"))
    step = horizon.months_per_period
    periods = []
    for k in range(horizon.periods):
        y, m = divmod(month - 1 + k * step, 12)
        periods.append(f"{year + y:04d}-{m + 1:02d}")
    for i, cu in enumerate(getattr(sc, "customers", [])):
        for ym in getattr(cu, "demand_by_period", {}):
            if ym not in periods:
                yield (
                    ("customers", i, "demand_by_period", ym),
                    f"period {ym} is not a period of the horizon ({periods[0]} to "
                    f"{periods[-1]}, every {step} month(s))",
                    "use a period start inside the horizon or drop the entry",
                )


def check_scenario(sc: Scenario) -> list[Finding]:
    """Run every cross-entity check and return all findings.

    Examples
    --------
    >>> from oreline.scenario import load_scenario
    >>> check_scenario(load_scenario("tiny"))
    []

    """
    from oreline.scenario.investment_checks import investment_findings  # imports this module
    from oreline.scenario.opening import check_opening_state  # it imports this module

    findings: list[Finding] = []
    for check in (_duplicates, _refs, _bases, _prices, _recipes, _countries, _origins,
                  _horizon, check_opening_state, commercial_findings, investment_findings):
        findings.extend(check(sc))
    return findings
