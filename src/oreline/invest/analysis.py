"""What ``oreline invest`` reports beyond the decision: every analysis of a solved run.

:func:`analyse` runs, each skippable, the fixed alternatives and their regret with the
value of flexibility (:mod:`~oreline.invest.alternatives`), the break-even capex
(:mod:`~oreline.invest.breakeven`), the budgets' shadow values
(:mod:`~oreline.invest.budget`), the out-of-sample evaluation and the optimality-gap
estimate (:mod:`~oreline.invest.oos`) and, when the run weighs CVaR, the risk figures.
:func:`analysis_tables` lays them out as the tables ``--out`` writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oreline.invest.alternatives import Alternative, Flexibility, alternatives, scenario_best
from oreline.invest.breakeven import BreakEven, break_evens
from oreline.invest.budget import DEFAULT_STEP, BudgetValue, budget_values
from oreline.invest.evaluate import distribution, resolve
from oreline.invest.oos import (
    GapEstimate,
    OutOfSample,
    gap_estimate,
    out_of_sample,
    root_decision,
)
from oreline.invest.problem import InvestProblem, build_problem
from oreline.invest.runner import InvestRun
from oreline.scenario import Scenario
from oreline.stress.events import StressFile

__all__ = ["Analysis", "AnalysisSettings", "RiskFigures", "analyse", "analysis_tables"]

#: Seed offsets of the fresh samples: out of sample, then one per MRP replication.
OOS_SEED_OFFSET, MRP_SEED_OFFSET = 1_000, 2_000


@dataclass(frozen=True)
class AnalysisSettings:
    """Which analyses to run and how large (the CLI's flags)."""

    alternatives: bool = True
    # scenarios above which regret is skipped when the run has no WS per scenario (it
    # then takes one MILP per scenario); with the run's values, regret is always given
    regret_limit: int = 50
    breakeven: bool = True
    budget: bool = True
    budget_step: float = DEFAULT_STEP
    oos: int = 100
    mrp: int = 5
    mrp_samples: int = 10


@dataclass(frozen=True)
class RiskFigures:
    """The risk-averse decision against the risk-neutral one (PyPSA's figures)."""

    risk_weight: float
    alpha: float
    mean_neutral: float
    mean_risk: float
    cvar_neutral: float
    cvar_risk: float

    @property
    def premium(self) -> float:
        """Risk premium: expected NPV given up, ``E_neutral - E_risk``."""
        return self.mean_neutral - self.mean_risk

    @property
    def delta_cvar(self) -> float:
        """CVaR gained, ``CVaR_risk - CVaR_neutral``."""
        return self.cvar_risk - self.cvar_neutral

    @property
    def cost_of_hedging(self) -> float | None:
        """Expected NPV given up per unit of CVaR gained (None when nothing is gained)."""
        return self.premium / self.delta_cvar if self.delta_cvar > 1e-9 else None


@dataclass
class Analysis:
    """A run with everything :func:`analyse` computed (None or empty where skipped)."""

    run: InvestRun
    risk_weight: float = 0.0
    alpha: float = 0.95
    alternatives: list[Alternative] = field(default_factory=list)
    flexibility: Flexibility | None = None
    break_evens: list[BreakEven] = field(default_factory=list)
    budgets: list[BudgetValue] = field(default_factory=list)
    oos: OutOfSample | None = None
    gap: GapEstimate | None = None
    risk: RiskFigures | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per analysis


def analyse(run: InvestRun, scenario: Scenario, stress: StressFile | None = None,
            seed: int | None = None, risk_weight: float = 0.0, alpha: float = 0.95,
            settings: AnalysisSettings | None = None,
            progress: Callable[[str], None] | None = None) -> Analysis:
    """Every analysis of ``run`` (see the module docstring).

    The analyses that re-solve the run's own scenarios (alternatives, break-even,
    budgets, the risk figures) run on ``run.evaluator`` when the run kept it
    (``run_invest(keep_evaluator=True)``): on its executor, recalling the points the
    run solved. Fresh samples (out of sample, MRP) are solved in this process.

    Parameters
    ----------
    scenario, stress, seed
        What the run was built from (the original scenario, not the run's prepared
        copy); fresh samples use seeds offset from ``seed`` (the stress file's default
        when None) by :data:`OOS_SEED_OFFSET` and :data:`MRP_SEED_OFFSET`.
    """
    t0 = time.perf_counter()
    cfg = settings or AnalysisSettings()
    say = progress or (lambda _: None)
    p, method, sub = run.problem, run.method, run.evaluator
    out = Analysis(run, risk_weight, alpha)
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        out.timings[name] = now - clock[0]
        clock[0] = now

    if cfg.alternatives:
        known = run.values.ws_scenarios if run.values is not None else None
        best = (known if known is not None else scenario_best(p)
                if p.n_scenarios <= cfg.regret_limit else np.full(p.n_scenarios, np.nan))
        out.alternatives, out.flexibility = alternatives(p, run.y, best, method, risk_weight,
                                                         alpha, say, sub)
        lap("alternatives")
    if cfg.breakeven:
        out.break_evens = break_evens(p, run.y, run.npv, run.objective, method, risk_weight,
                                      alpha, say, sub)
        lap("break-even")
    if cfg.budget:
        out.budgets = budget_values(p, run.objective, method, risk_weight, alpha,
                                    cfg.budget_step, say, sub)
        lap("budget")
    if stress is not None and (cfg.oos or cfg.mrp):
        base = stress.seed if seed is None else seed
        root = root_decision(p, run.y)

        def sampler(n: int, s: int) -> InvestProblem:
            return build_problem(scenario, stress, n, s)

        if cfg.oos:
            say(f"out of sample: {cfg.oos} fresh scenarios")
            out.oos = out_of_sample(sampler, root, cfg.oos, base + OOS_SEED_OFFSET,
                                    method)
            lap("out of sample")
        if cfg.mrp:
            out.gap = gap_estimate(sampler, root, cfg.mrp, cfg.mrp_samples,
                                   base + MRP_SEED_OFFSET, method, risk_weight, alpha, say)
            lap("optimality gap")
    if risk_weight > 0:
        say("risk figures: the risk-neutral decision")
        neutral = resolve(p, method, 0.0, alpha, sub)
        a, b = distribution(neutral.npv, p.probability, alpha), distribution(
            run.npv, p.probability, alpha)
        out.risk = RiskFigures(risk_weight, alpha, a.mean, b.mean, a.cvar, b.cvar)
        lap("risk")
    out.seconds = time.perf_counter() - t0
    return out


def analysis_tables(a: Analysis) -> dict[str, pd.DataFrame]:
    """``decisions``, ``npv``, ``options`` and ``values``, as ``--out`` writes them.

    ``npv`` has one row per scenario: the recommended decision's ``npv`` and ``regret``,
    then ``npv:<alternative>`` and ``regret:<alternative>`` for each fixed alternative.
    """
    run = a.run
    p = run.problem
    npv = pd.DataFrame({"scenario": p.names, "npv": run.npv})
    for alt in a.alternatives:
        if alt.key == "recommended":
            npv["regret"] = alt.regret
        else:
            npv[f"npv:{alt.key}"], npv[f"regret:{alt.key}"] = alt.npv, alt.regret
    return {"decisions": run.decisions, "npv": npv, "options": _options_table(a),
            "values": _values_table(a)}


def _options_table(a: Analysis) -> pd.DataFrame:
    be = {b.option: b for b in a.break_evens}
    rows = []
    for alt in a.alternatives:
        d = alt.distribution
        b = be.get(alt.key)
        rows.append({"alternative": alt.key, "label": alt.label, "expected_npv": d.mean,
                     "p5": d.p5, "p50": d.p50, "p95": d.p95, "cvar": d.cvar,
                     "regret_mean": float(np.mean(alt.regret)),
                     "regret_max": float(np.max(alt.regret)),
                     "within_limits": alt.within_limits,
                     "chosen": None if b is None else b.chosen,
                     "capex": None if b is None else b.capex,
                     "break_even_capex": None if b is None else b.break_even,
                     "currency": None if b is None else b.currency,
                     "break_even": None if b is None else b.describe()})
    shown = {alt.key for alt in a.alternatives}
    for b in a.break_evens:
        if b.option not in shown:
            rows.append({"alternative": b.option, "chosen": b.chosen, "capex": b.capex,
                         "break_even_capex": b.break_even, "currency": b.currency,
                         "break_even": b.describe()})
    return pd.DataFrame(rows)


def _values_table(a: Analysis) -> pd.DataFrame:
    run = a.run
    cur = run.problem.scenario.currency
    d = distribution(run.npv, run.problem.probability, 0.95)
    rows: list[tuple[str, float | None, str, str]] = [
        ("expected NPV", d.mean, cur, ""), ("P5", d.p5, cur, ""), ("P50", d.p50, cur, ""),
        ("P95", d.p95, cur, ""), ("CVaR 95 %", d.cvar, cur, "")]
    v = run.values
    if v is not None:
        rows += [("RP", v.rp, cur, ""), ("WS", v.ws, cur, ""), ("EEV", v.eev, cur, ""),
                 ("EVPI", v.evpi, cur, "WS - RP"), ("VSS", v.vss, cur, "RP - EEV")]
    if a.flexibility is not None:
        f = a.flexibility
        rows += [("RP with waiting", f.wait, cur, ""), ("RP committing now", f.now, cur, ""),
                 ("value of flexibility", f.value, cur, "wait - now")]
    for b in a.budgets:
        rows.append((f"budget {b.budget}: value per 1 M {b.currency}", b.per_million, cur,
                     (f"step {b.step / 1e6:,.2f} M {b.currency}" if b.binding
                      else "not binding")))
    if a.oos is not None:
        o = a.oos
        rows += [("out-of-sample expected NPV", o.mean, cur, f"{o.n} scenarios, seed {o.seed}"),
                 ("out-of-sample 95 % CI low", o.mean - o.half_width, cur, ""),
                 ("out-of-sample 95 % CI high", o.mean + o.half_width, cur, "")]
    if a.gap is not None:
        g = a.gap
        rows += [("optimality gap estimate", g.mean, cur,
                  f"{len(g.gaps)} replications of {g.samples} scenarios"),
                 ("optimality gap 95 % upper bound", g.upper, cur, "one-sided")]
    if a.risk is not None:
        r = a.risk
        rows += [("risk premium", r.premium, cur, "E[NPV] neutral - E[NPV] at the weight"),
                 ("delta CVaR", r.delta_cvar, cur, "CVaR at the weight - CVaR neutral"),
                 ("cost of hedging", r.cost_of_hedging, "per unit of CVaR",
                  "premium / delta CVaR")]
    return pd.DataFrame(rows, columns=["figure", "value", "unit", "note"])
