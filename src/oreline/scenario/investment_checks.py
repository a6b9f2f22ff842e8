"""Checks on investment options: references, money, timing and the requires/excludes graph.

Each check yields ``(loc, message, fix, code)`` like :mod:`oreline.scenario.checks`
(which runs them with its own); ``code`` is the stable key of the kind of problem,
``invest.*``, listed in ``docs/scenario-format.md``. The rules:

* references: ``adds`` name known processes (capacity in the basis of the process's main
  output), ``supply`` known contracts that are **disabled** (an enabled contract is in the
  plan without the option), ``stock`` known sites and commodities with a declared origin;
  ``requires`` and ``excludes`` name known options, never the option itself;
* the graph: no ``requires`` cycle; an option never requires, directly or through other
  options, one it excludes or two options that exclude each other;
* money: capex, fixed opex and budgets are >= 0 and in the scenario currency or in one
  ``investment.fx`` converts;
* timing: the decision window lies in the horizon with ``earliest <= latest``, holds at
  least one of ``investment.decision_months`` (when given), and its first decision plus
  ``lead_time`` commissions inside the horizon; decision months lie in the horizon, start
  a period, sorted and once each;
* content: an option adds something (``adds``, ``supply`` or ``stock``); ``modules > 1``
  is refused on an option with ``supply`` (a contract is enabled once, up to its ``max``),
  and allowed with ``adds`` and ``stock``, which are per module.

Examples
--------
>>> from oreline.scenario import load_scenario
>>> list(investment_findings(load_scenario("tiny-invest")))
[]

"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from oreline.countries import is_country
from oreline.origin import STAGES, UNKNOWN
from oreline.scenario.investment import InvestmentOption, Money
from oreline.scenario.pricing import month_number
from oreline.scenario.schema import Scenario

__all__ = ["HorizonMonths", "investment_findings", "money_text"]

Loc = tuple[str | int, ...]
Finding = tuple[Loc, str, str, str]

_FIX_WINDOW = "choose months inside the horizon, earliest first"


@dataclass(frozen=True)
class HorizonMonths:
    """The horizon in month numbers: first month, first month after it, period length.

    Examples
    --------
    >>> h = HorizonMonths.of("2026-03", 8, 3)
    >>> h.label(h.last), h.contains("2028-02"), h.is_period_start("2026-04")
    ('2028-02', True, False)

    """

    first: int
    end: int
    step: int

    @classmethod
    def of(cls, start: str, periods: int, step: int) -> HorizonMonths:
        """From a horizon's start label, number of periods and months per period."""
        first = month_number(start)
        return cls(first, first + periods * step, step)

    @property
    def last(self) -> int:
        """The last month of the horizon."""
        return self.end - 1

    @staticmethod
    def label(month: int) -> str:
        """``YYYY-MM`` of a month number."""
        return f"{month // 12:04d}-{month % 12 + 1:02d}"

    def contains(self, month: str) -> bool:
        """Whether ``month`` lies in the horizon."""
        return self.first <= month_number(month) < self.end

    def is_period_start(self, month: str) -> bool:
        """Whether ``month`` is the first month of a period."""
        return (month_number(month) - self.first) % self.step == 0

    def span(self) -> str:
        """``"2026-03 to 2028-02"``."""
        return f"{self.label(self.first)} to {self.label(self.last)}"


def _suggest(name: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f"did you mean {close[0]!r}?" if close else f"use one of: {', '.join(options[:12])}"


def _references(sc: Scenario) -> Iterator[Finding]:
    procs = {p.id: p for p in sc.processes}
    family = {c.id: c.family for c in sc.commodities}
    contracts = {c.id: (k, c) for k, c in enumerate(sc.contracts)}
    sites = [s.id for s in sc.sites]
    for i, o in enumerate(sc.options):
        for j, add in enumerate(o.adds):
            loc: Loc = ("options", i, "adds", j)
            proc = procs.get(add.process)
            if proc is None:
                yield ((*loc, "process"), f"option {o.id!r} adds capacity to unknown process "
                       f"{add.process!r}", _suggest(add.process, list(procs)),
                       "invest.unknown_process")
            elif add.capacity.basis != family.get(proc.main_output, add.capacity.basis):
                fam = family[proc.main_output]
                yield ((*loc, "capacity"), f"capacity is in t {add.capacity.basis} but process "
                       f"{proc.id!r} makes {proc.main_output!r}, which is {fam}",
                       f"state it in t {fam} of the main output", "invest.wrong_basis")
        for j, name in enumerate(o.supply):
            if name not in contracts:
                yield (("options", i, "supply", j), f"option {o.id!r} enables unknown contract "
                       f"{name!r}", _suggest(name, list(contracts)), "invest.unknown_contract")
            elif contracts[name][1].enabled:
                yield (("options", i, "supply", j), f"contract {name!r} is enabled already, so "
                       "the plan has it without the option",
                       f"set 'enabled: false' on contract {name!r} "
                       f"(contracts[{contracts[name][0]}]); the option enables it",
                       "invest.supply_enabled")
        for j, st in enumerate(o.stock):
            loc = ("options", i, "stock", j)
            if st.site not in sites:
                yield ((*loc, "site"), f"unknown site {st.site!r}", _suggest(st.site, sites),
                       "invest.unknown_site")
            if st.commodity not in family:
                yield ((*loc, "commodity"), f"unknown commodity {st.commodity!r}",
                       _suggest(st.commodity, list(family)), "invest.unknown_commodity")
                continue
            yield from _stock(sc, (*loc,), st.quantity.basis, st.commodity, st.origin)


def _stock(sc: Scenario, loc: Loc, basis: str | None, commodity: str,
           origin: dict[str, str]) -> Iterator[Finding]:
    from oreline.scenario.checks import required_stages  # it imports this module

    com = next(c for c in sc.commodities if c.id == commodity)
    if basis != com.family:
        yield ((*loc, "quantity"), f"quantity is in t {basis} but {commodity!r} is "
               f"{com.family}", f"state it in t {com.family}", "invest.wrong_basis")
    for stage, country in origin.items():
        if stage not in STAGES:
            yield ((*loc, "origin", stage), f"unknown stage {stage!r}",
                   _suggest(stage, STAGES), "invest.bad_origin")
        elif country != UNKNOWN and not is_country(country):
            yield ((*loc, "origin", stage), f"country {country!r} is not an ISO 3166-1 "
                   "alpha-2 code", "write a code such as 'AU', or 'unknown'", "invest.bad_origin")
    missing = [s for s in required_stages(com.family) if s not in origin]
    if com.is_controlled and missing:
        yield ((*loc, "origin"), f"{com.family} {commodity!r} has no declared country for "
               f"{', '.join(missing)}", "declare each stage's country, or write 'unknown'",
               "invest.bad_origin")


def money_text(money: Money) -> str:
    """``money`` in k, M or bn as users write it.

    Examples
    --------
    >>> money_text(Money(60e6, "AUD")), money_text(Money(1500.0, "USD", "year"))
    ('60 M AUD', '1.5 k USD/year')

    """
    for scale, factor in (("bn", 1e9), ("M", 1e6), ("k", 1e3), ("", 1.0)):
        if abs(money.amount) >= factor or not scale:
            number = f"{money.amount / factor:.6g}"
            break
    per = f"/{money.per}" if money.per else ""
    return f"{number} {scale} {money.currency}{per}".replace("  ", " ")


def _money(sc: Scenario) -> Iterator[Finding]:
    fx = sc.investment.fx
    known = f"it converts {', '.join(fx)}" if fx else "it is empty"
    amounts: list[tuple[Loc, str, Money | None]] = []
    for i, o in enumerate(sc.options):
        amounts += [(("options", i, "capex"), "capex", o.capex),
                    (("options", i, "fixed_opex"), "fixed_opex", o.fixed_opex)]
    for name in ("budget_total", "budget_per_year"):
        amounts.append((("investment", name), name, getattr(sc.investment, name)))
    for loc, name, money in amounts:
        if money is None:
            continue
        if money.amount < 0:
            yield (loc, f"{name} {money_text(money)!r} is negative", f"write {name} as an amount "
                   ">= 0", "invest.negative_money")
        if money.currency != sc.currency and money.currency not in fx:
            yield (loc, f"{name} {money_text(money)!r} is in {money.currency}, which is neither "
                   f"the scenario currency {sc.currency} nor in investment.fx ({known})",
                   f"add investment.fx: {{{money.currency}: <{sc.currency} per "
                   f"{money.currency}>}}, or state it in {sc.currency}",
                   "invest.unknown_currency")


def _decision_months(sc: Scenario, h: HorizonMonths) -> Iterator[Finding]:
    months = sc.investment.decision_months
    seen: set[str] = set()
    for j, ym in enumerate(months):
        loc: Loc = ("investment", "decision_months", j)
        if not h.contains(ym):
            yield (loc, f"decision month {ym} is outside the horizon ({h.span()})",
                   "choose decision months inside the horizon", "invest.decision_month_outside")
        elif not h.is_period_start(ym):
            yield (loc, f"decision month {ym} does not start a period (the horizon has "
                   f"{h.step}-month periods from {h.label(h.first)})",
                   "choose the first month of a period", "invest.decision_month_not_period")
        if ym in seen:
            yield (loc, f"decision month {ym} is listed twice", "list each month once",
                   "invest.decision_month_duplicate")
        seen.add(ym)
    if sorted(months) != list(months):
        yield (("investment", "decision_months"), f"decision months {list(months)} are not in "
               "date order", "list them earliest first", "invest.decision_months_unsorted")


def _window(o: InvestmentOption, i: int, h: HorizonMonths,
            decisions: list[int]) -> Iterator[Finding]:
    for name in ("earliest", "latest"):
        ym = getattr(o, name)
        if ym is not None and not h.contains(ym):
            yield (("options", i, name), f"{name} decision month {ym} is outside the horizon "
                   f"({h.span()})", _FIX_WINDOW, "invest.window_outside")
            return
    first = month_number(o.earliest) if o.earliest else h.first
    last = month_number(o.latest) if o.latest else h.last
    if first > last:
        yield (("options", i, "latest"), f"latest decision month {o.latest} is before "
               f"earliest {o.earliest}", "swap them", "invest.window_order")
        return
    if decisions:
        inside = [m for m in decisions if first <= m <= last]
        if not inside:
            yield (("options", i), f"the decision window {h.label(first)} to {h.label(last)} "
                   "holds no month of investment.decision_months",
                   "widen the window or add a decision month inside it",
                   "invest.window_without_decision")
            return
        first = inside[0]
    if first + o.lead_time > h.last:
        yield (("options", i, "lead_time"), f"lead time {o.lead_time} months puts "
               "commissioning past the horizon for every decision month: the earliest, "
               f"{h.label(first)}, commissions in {h.label(first + o.lead_time)}, after the "
               f"horizon ends ({h.label(h.last)})",
               "shorten lead_time, allow an earlier decision or lengthen the horizon",
               "invest.lead_time_past_horizon")


def _timing(sc: Scenario) -> Iterator[Finding]:
    horizon = getattr(sc, "horizon", None)
    if horizon is None:  # a partly valid scenario: its horizon error is reported already
        return
    h = HorizonMonths.of(horizon.start, horizon.periods, horizon.months_per_period)
    yield from _decision_months(sc, h)
    decisions = sorted(month_number(m) for m in sc.investment.decision_months)
    for i, o in enumerate(sc.options):
        yield from _window(o, i, h, decisions)


def _content(sc: Scenario) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for i, o in enumerate(sc.options):
        if o.id in seen:
            yield (("options", i, "id"), f"duplicate id {o.id!r} (first used at "
                   f"options[{seen[o.id]}])", "give each option its own id", "invest.duplicate_id")
        seen.setdefault(o.id, i)
        if not (o.adds or o.supply or o.stock):
            yield (("options", i), f"option {o.id!r} adds nothing: no adds, supply or stock",
                   "give it adds (capacity per module), supply (contracts it enables) or "
                   "stock (a buffer it delivers)", "invest.adds_nothing")
        if o.modules > 1 and o.supply:
            yield (("options", i, "modules"), f"option {o.id!r} enables contracts, which "
                   f"cannot be built {o.modules} times: a contract is enabled once, up to "
                   "its max", "set modules: 1, or add another contract and option for more "
                   "supply", "invest.modules_on_supply")


def _reachable(start: str, requires: dict[str, list[str]]) -> list[str]:
    """Options ``start`` requires directly or through others, nearest first (may hold it)."""
    out: list[str] = []
    todo = list(requires[start])
    while todo:
        name = todo.pop(0)
        if name not in out:
            out.append(name)
            todo += requires[name]
    return out


def _path(start: str, goal: str, requires: dict[str, list[str]]) -> list[str]:
    """A shortest ``requires`` path from ``start`` to ``goal`` (both ends included)."""
    parents: dict[str, str] = {}
    todo = [start]
    while todo:
        name = todo.pop(0)
        for nxt in requires[name]:
            if nxt not in parents:
                parents[nxt] = name
                todo.append(nxt)
    path = [goal]
    while path[-1] != start or len(path) == 1:
        path.append(parents[path[-1]])
    return path[::-1]


def _graph(sc: Scenario) -> Iterator[Finding]:
    ids = [o.id for o in sc.options]
    known = set(ids)
    for i, o in enumerate(sc.options):
        for name in ("requires", "excludes"):
            for j, other in enumerate(getattr(o, name)):
                if other == o.id:
                    yield (("options", i, name, j), f"option {o.id!r} {name} itself",
                           f"remove {other!r} from {name}", f"invest.{name}_itself")
                elif other not in known:
                    yield (("options", i, name, j), f"{name} names unknown option {other!r}",
                           _suggest(other, ids), "invest.unknown_option")
    requires = {o.id: [r for r in o.requires if r in known and r != o.id] for o in sc.options}
    excluded = {frozenset((o.id, x)) for o in sc.options for x in o.excludes
                if x in known and x != o.id}
    in_cycle: set[str] = set()
    for i, o in enumerate(sc.options):
        needed = _reachable(o.id, requires)
        if o.id in needed and o.id not in in_cycle:
            cycle = _path(o.id, o.id, requires)
            in_cycle.update(cycle)
            yield (("options", i, "requires"), "requires forms a cycle: " + " -> ".join(cycle),
                   "remove one requirement from the cycle", "invest.requires_cycle")
        needed = [n for n in needed if n != o.id]
        clash = next((n for n in needed if frozenset((o.id, n)) in excluded), None)
        if clash is not None:
            via = " -> ".join(_path(o.id, clash, requires))
            yield (("options", i, "requires"), f"option {o.id!r} requires {clash!r} ({via}) "
                   "but the two exclude each other", f"drop {clash!r} from the requirements "
                   "or from the exclusions", "invest.requires_excluded")
            continue
        both = next(((a, b) for a, b in itertools.combinations(needed, 2)
                     if frozenset((a, b)) in excluded), None)
        if both is not None:
            yield (("options", i, "requires"), f"mutually exclusive options both required: "
                   f"{o.id!r} requires {both[0]!r} and {both[1]!r}, which exclude each other",
                   "drop one of the two from the requirements, or the exclusion",
                   "invest.exclusive_both_required")


def investment_findings(sc: Scenario) -> Iterator[Finding]:
    """Every problem of the options and investment settings of ``sc``, in check order."""
    for check in (_content, _references, _graph, _money, _timing):
        yield from check(sc)
