"""``run_invest``: load, sample, build, solve by the chosen method, and value the decision."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from oreline.errors import ConfigError
from oreline.invest.benders import solve_benders
from oreline.invest.extensive import solve_extensive
from oreline.invest.problem import InvestProblem, build_problem
from oreline.invest.values import Values, stochastic_values
from oreline.scenario import Scenario, load_scenario
from oreline.stress.files import load_stress

__all__ = ["EXTENSIVE_LIMIT", "InvestRun", "decision_table", "run_invest"]

#: Scenario x LP columns above which ``auto`` picks Benders over the extensive form.
EXTENSIVE_LIMIT = 200_000
Method = Literal["auto", "extensive", "benders"]


@dataclass
class InvestRun:
    """A solved invest problem: the decision, its value and NPV distribution."""

    problem: InvestProblem
    method: str
    y: np.ndarray
    objective: float
    npv: np.ndarray
    values: Values | None
    seconds: float
    iterations: int = 0

    @property
    def decisions(self) -> pd.DataFrame:
        """The decisions taken (see :func:`decision_table`)."""
        return decision_table(self.problem, self.y)

    def percentile(self, q: float) -> float:
        """Percentile ``q`` (0-100) of the scenarios' NPV."""
        return float(np.percentile(self.npv, q))

    def cvar(self, alpha: float = 0.95) -> float:
        """Mean NPV of the worst ``1 - alpha`` of scenarios (equal weights)."""
        worst = np.sort(self.npv)[:max(1, round((1 - alpha) * len(self.npv)))]
        return float(worst.mean())


def decision_table(problem: InvestProblem, y: np.ndarray) -> pd.DataFrame:
    """One row per decision taken: option, months, modules, share of scenarios taking it.

    The share is 1 for a decision taken now, and the probability of its node for a
    decision taken at a later stage.
    """
    f = problem.first
    share = np.asarray(f.path.T @ problem.probability).ravel()
    periods = problem.lp.net.periods
    rows = []
    for i in np.flatnonzero((y > 0.5) & (f.col_type >= 0)):
        dt = problem.types[int(f.col_type[i])]
        o = problem.scenario.options[dt.option]
        rows.append({"option": o.id, "name": o.name, "decide": periods[dt.period],
                     "in_service": periods[dt.commission], "modules": int(y[i]),
                     "scenario_share": float(share[i]),
                     "cost_discounted": float(problem.expansion.cost[int(f.col_type[i])] * y[i])})
    cols = ["option", "name", "decide", "in_service", "modules", "scenario_share",
            "cost_discounted"]
    df = pd.DataFrame(rows, columns=cols)
    # wait decisions taken alike at several nodes are one line, with their summed share
    keys = ["option", "name", "decide", "in_service", "modules"]
    return (df.groupby(keys, as_index=False, sort=False)
            .agg(scenario_share=("scenario_share", "sum"),
                 cost_discounted=("cost_discounted", "first"))
            .sort_values(["decide", "option", "modules"], ignore_index=True))


def run_invest(source: str | Path | Scenario, stress: str | Path | None = None,
               samples: int | None = None, seed: int | None = None, risk_weight: float = 0.0,
               alpha: float = 0.95, method: Method = "auto", values: bool | None = None,
               progress: Callable[[str], None] | None = None) -> InvestRun:
    """Decide which options to fund and when, over the scenarios of a stress set.

    Parameters
    ----------
    source
        A scenario with ``options`` (built-in name, file or folder, or a Scenario).
    stress
        A stress file or built-in set whose events make the scenarios; none: one
        scenario, the base plan.
    values
        Compute RP, WS, EEV, EVPI and VSS (one extra MILP per scenario); default when
        there are at most 50 scenarios.

    Raises
    ------
    ConfigError
        For a risk weight outside [0, 1], an alpha outside (0, 1) or an unknown method.
    """
    if not 0.0 <= risk_weight <= 1.0:
        raise ConfigError(f"--risk-weight {risk_weight} must be between 0 and 1")
    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"--alpha {alpha} must be between 0 and 1, e.g. 0.95")
    if method not in ("auto", "extensive", "benders"):
        raise ConfigError(f"unknown method {method!r}; use auto, extensive or benders")
    say = progress or (lambda _: None)
    t0 = time.perf_counter()
    say("reading scenario")
    sc = source if isinstance(source, Scenario) else load_scenario(source)
    stress_file = load_stress(stress)[0] if stress is not None else None
    say("building the invest problem")
    problem = build_problem(sc, stress_file, samples, seed)
    size = problem.n_scenarios * problem.lp.n_cols
    chosen = method if method != "auto" else ("extensive" if size <= EXTENSIVE_LIMIT
                                              else "benders")
    say(f"solving ({chosen}, {problem.n_scenarios} scenarios)")
    iterations = 0
    if chosen == "extensive":
        ext = solve_extensive(problem, risk_weight, alpha)
        y, objective, npv = ext.y, ext.objective, ext.npv
    else:
        ben = solve_benders(problem, risk_weight, alpha)
        y, objective, npv, iterations = ben.y, ben.objective, ben.npv, ben.iterations
    vals = None
    if values if values is not None else problem.n_scenarios <= 50:
        say("valuing: wait-and-see and expected-value problems")
        vals = stochastic_values(problem)
    return InvestRun(problem, chosen, y, objective, npv, vals, time.perf_counter() - t0,
                     iterations)
