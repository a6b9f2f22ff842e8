"""Console summary of a scenario's investment options (``oreline scenario show``).

One entry per option: what it is and costs, when it can be decided and comes on
stream, what it adds, what it needs or rules out, and where its numbers come from;
then the settings ``oreline invest`` values them with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from oreline.cli.console import console, esc

if TYPE_CHECKING:
    from oreline.scenario import Scenario
    from oreline.scenario.investment import InvestmentOption

__all__ = ["option_lines", "print_options"]


def _source(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value) if value else "not given"


def option_lines(sc: Scenario, option: InvestmentOption) -> list[str]:
    """The lines describing ``option``: money, timing, content, links and source.

    Examples
    --------
    >>> from oreline.scenario import load_scenario
    >>> sc = load_scenario("tiny-invest")
    >>> for line in option_lines(sc, sc.options[0]):
    ...     print(line)
    expansion, a second electrolysis cell: capex 150 k USD, fixed opex 12 k USD/year
    decide 2027-01 to 2027-10, lead time 2 months, ramp 50% 100%, lifetime 10 years
    adds electrolysis +4 t/month metal
    source: ⚑ illustrative: a toy number chosen for easy arithmetic

    """
    from oreline.scenario.investment_checks import HorizonMonths, money_text
    from oreline.scenario.pricing import month_number

    o = option
    h = HorizonMonths.of(sc.horizon.start, sc.horizon.periods, sc.horizon.months_per_period)
    modules = f" per module, up to {o.modules}" if o.modules > 1 else ""
    opex = f", fixed opex {money_text(o.fixed_opex)}" if o.fixed_opex else ""
    name = f", {o.name}" if o.name else ""
    first = o.earliest or h.label(h.first)
    last = o.latest or h.label(max(h.last - o.lead_time, month_number(first)))
    ramp = " ".join(f"{r:.0%}" for r in o.ramp)
    lines = [f"{o.kind}{name}: capex {money_text(o.capex)}{modules}{opex}",
             f"decide {first} to {last}, lead time {o.lead_time} months, ramp {ramp}, "
             f"lifetime {o.lifetime} years"]
    lines += [f"adds {a.process} +{a.capacity}" for a in o.adds]
    lines += [f"enables contract {c}" for c in o.supply]
    lines += [f"delivers {s.quantity} {s.commodity} to {s.site}"
              + (f" [{', '.join(f'{k}={v}' for k, v in s.origin.items())}]" if s.origin else "")
              for s in o.stock]
    if o.requires:
        lines.append(f"requires {', '.join(o.requires)}")
    if o.excludes:
        lines.append(f"excludes {', '.join(o.excludes)}")
    lines.append(f"source: {_source(o.source)}")
    return lines


def _settings_line(sc: Scenario) -> str:
    from oreline.scenario.investment_checks import money_text

    inv = sc.investment
    decisions = ", ".join(inv.decision_months) or f"{sc.horizon.start} only"
    parts = [f"end effect {inv.end_effect}", f"decisions at {decisions}"]
    if inv.budget_total:
        parts.append(f"budget {money_text(inv.budget_total)} in total")
    if inv.budget_per_year:
        parts.append(f"budget {money_text(inv.budget_per_year)} per year")
    if inv.fx:
        parts.append("fx " + ", ".join(f"1 {k} = {v:g} {sc.currency}" for k, v in inv.fx.items()))
    return "investment: " + "; ".join(parts)


def print_options(sc: Scenario) -> None:
    """The options table and the investment settings (nothing when there are no options)."""
    if not sc.options:
        return
    table = Table(title=f"options ({len(sc.options)})", title_justify="left", show_lines=True)
    table.add_column("id")
    table.add_column("detail")
    for option in sc.options:
        table.add_row(esc(option.id), esc("\n".join(option_lines(sc, option))))
    console.print(table)
    console.print(esc(_settings_line(sc)))
