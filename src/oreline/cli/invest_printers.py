"""Console summary of an invest analysis: alternatives, flexibility, break-even, checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from oreline.cli.console import console, esc, fmt

if TYPE_CHECKING:
    from oreline.invest.analysis import Analysis

__all__ = ["print_analysis"]


def _zero(x: float, scale: float) -> float:
    """Solver noise shown as 0, not -0.0."""
    return 0.0 if abs(x) < 1e-7 * max(1.0, abs(scale)) else x


def print_analysis(a: Analysis) -> None:
    """Every figure :func:`oreline.invest.analysis.analyse` computed, skipped ones omitted."""
    cur = a.run.problem.scenario.currency
    if a.alternatives:
        t = Table(title=f"Every alternative fixed in turn, {cur} (regret: best knowing the "
                        "scenario less this)", title_justify="left")
        for col in ("alternative", "E[NPV]", "P5", "P95", "CVaR 95 %", "mean regret",
                    "max regret"):
            t.add_column(col, justify="left" if col == "alternative" else "right",
                         no_wrap=col != "alternative")
        for alt in a.alternatives:
            d = alt.distribution
            name = alt.label + ("" if alt.within_limits else " *")
            t.add_row(esc(name), fmt(d.mean), fmt(d.p5), fmt(d.p95), fmt(d.cvar),
                      fmt(float(alt.regret.mean())), fmt(float(alt.regret.max())))
        console.print(t)
        if not all(alt.within_limits for alt in a.alternatives):
            console.print("* breaks the budget or an option rule: shown for comparison")
    f = a.flexibility
    if f is not None:
        if len(a.run.problem.stages) == 1:
            console.print("Value of flexibility: 0 (one decision month; add "
                          "investment.decision_months to value waiting)")
        else:
            console.print(f"Value of flexibility {fmt(_zero(f.value, f.wait), cur)}: RP "
                          f"{fmt(f.wait, cur)} deciding at the later month(s) too, "
                          f"{fmt(f.now, cur)} committing everything at the first")
    if a.break_evens:
        t = Table(title="Break-even capex per module (exact up to the solver gap)",
                  title_justify="left")
        for col in ("option", "capex", "break-even", "reading"):
            t.add_column(col, justify="right" if col in ("capex", "break-even") else "left")
        for b in a.break_evens:
            t.add_row(esc(b.option), fmt(b.capex, b.currency),
                      "-" if b.break_even is None else fmt(b.break_even, b.currency),
                      esc(b.describe()))
        console.print(t)
    for bv in a.budgets:
        text = (f"{fmt(bv.per_million, cur)} per 1 M {bv.currency} (over a step of "
                f"{fmt(bv.step, bv.currency)})" if bv.binding else "not binding")
        console.print(f"Budget {esc(bv.budget)} ({fmt(bv.limit, bv.currency)}): {text}")
    _checks(a, cur)


def _checks(a: Analysis, cur: str) -> None:
    o, g, r = a.oos, a.gap, a.risk
    if o is not None:
        console.print(f"Out of sample ({o.n} fresh scenarios, seed {o.seed}): E[NPV] "
                      f"{fmt(o.mean, cur)}, 95 % CI {fmt(o.mean - o.half_width, cur)} to "
                      f"{fmt(o.mean + o.half_width, cur)}")
    if g is not None:
        console.print(f"Optimality gap of the first-month decision (MRP, {len(g.gaps)} x "
                      f"{g.samples} scenarios): estimate {fmt(g.mean, cur)}, 95 % upper "
                      f"bound {fmt(g.upper, cur)}")
    if a.timings:
        console.print("Analyses took " + ", ".join(f"{k} {v:,.0f} s"
                                                   for k, v in a.timings.items())
                      + " (skip any with the flags in `oreline invest --help`)")
    if r is not None:
        hedge = ("-" if r.cost_of_hedging is None
                 else f"{r.cost_of_hedging:,.2f} per unit of CVaR")
        console.print(f"Risk (weight {r.risk_weight:g}, alpha {r.alpha:g}): premium "
                      f"{fmt(_zero(r.premium, r.mean_neutral), cur)}, CVaR "
                      f"{fmt(_zero(r.delta_cvar, r.cvar_neutral), cur)} better, cost of "
                      f"hedging {hedge}")
