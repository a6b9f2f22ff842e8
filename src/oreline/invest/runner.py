"""``run_invest``: load, sample, build, solve by the chosen method, and value the decision."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from oreline.errors import ConfigError
from oreline.invest.benders import DEFAULT_GAP, BendersProgress, CutPool, solve_benders
from oreline.invest.executors import EXECUTORS, Evaluator, SubproblemData, make_evaluator
from oreline.invest.extensive import solve_extensive
from oreline.invest.problem import InvestProblem, build_problem
from oreline.invest.values import Values, stochastic_values
from oreline.scenario import Scenario, load_scenario
from oreline.stress.files import load_stress

__all__ = ["EXTENSIVE_LIMIT", "VALUES_LIMIT", "InvestRun", "decision_table", "run_invest"]

#: Scenario x LP columns above which ``auto`` picks Benders over the extensive form.
EXTENSIVE_LIMIT = 200_000
#: Scenarios up to which RP, WS and EEV are computed unless asked otherwise.
VALUES_LIMIT = 1000
#: The extensive form's default relative MIP gap.
EXTENSIVE_GAP = 1e-9
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
    executor: str = "in-process"
    gap: float = 0.0  # relative gap reached (Benders) or the MIP gap (extensive)
    #: the run's subproblem evaluator, left open by ``run_invest(keep_evaluator=True)``
    #: for the analyses; :meth:`close` stops its workers
    evaluator: Evaluator | None = field(default=None, repr=False)

    def close(self) -> None:
        """Stop the workers of the evaluator kept for the analyses, if any."""
        if self.evaluator is not None:
            self.evaluator.close()
            self.evaluator = None

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
               progress: Callable[[str], None] | None = None, executor: str = "in-process",
               workers: int | None = None, scheduler: str | None = None,
               gap: float | None = None,
               on_benders: Callable[[BendersProgress], None] | None = None,
               keep_evaluator: bool = False) -> InvestRun:
    """Decide which options to fund and when, over the scenarios of a stress set.

    Parameters
    ----------
    source
        A scenario with ``options`` (built-in name, file or folder, or a Scenario).
    stress
        A stress file or built-in set whose events make the scenarios; none: one
        scenario, the base plan.
    values
        Compute RP, WS, EEV, EVPI and VSS; default when there are at most
        :data:`VALUES_LIMIT` scenarios.
    executor, workers, scheduler
        Where Benders subproblems (and those of the values) are solved: ``in-process``,
        ``pool`` (``workers`` processes, default all cores) or ``dask`` (a LocalCluster
        of ``workers`` processes, or the cluster at ``scheduler``).
    gap
        Relative optimality gap at which to stop (Benders: bound against the best
        evaluated decision; extensive: HiGHS's MIP gap). Default 1e-7 and 1e-9.
    on_benders
        Called as Benders progresses (iteration, scenarios solved, bound, best value).
    keep_evaluator
        Leave the subproblem evaluator open on the run (``run.evaluator``; one is made
        for any method) so that :func:`oreline.invest.analysis.analyse` solves on the
        same executor and recalls the points already solved; the caller then calls
        ``run.close()``.

    Raises
    ------
    ConfigError
        For a risk weight outside [0, 1], an alpha outside (0, 1), a gap outside (0, 1),
        an unknown method or executor.
    """
    _check(risk_weight, alpha, method, executor, gap, scheduler)
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
    want_values = values if values is not None else problem.n_scenarios <= VALUES_LIMIT
    say(f"solving ({chosen}, {problem.n_scenarios} scenarios)")
    evaluator: Evaluator | None = None
    try:
        if chosen == "benders" or want_values or keep_evaluator:
            say(f"starting the {executor} executor")
            evaluator = make_evaluator(SubproblemData.of(problem), executor, workers,
                                       scheduler)
            say(f"solving ({chosen}, {problem.n_scenarios} scenarios, {executor})")
        iterations, pool, reached = 0, None, 0.0
        if chosen == "extensive":
            ext = solve_extensive(problem, risk_weight, alpha, mip_rel_gap=gap or EXTENSIVE_GAP)
            y, objective, npv, reached = ext.y, ext.objective, ext.npv, ext.mip_gap
        else:
            ben = solve_benders(problem, risk_weight, alpha, gap=gap or DEFAULT_GAP,
                                progress=on_benders, evaluator=evaluator)
            y, objective, npv, iterations = ben.y, ben.objective, ben.npv, ben.iterations
            pool, reached = ben.pool, ben.gap
        vals = None
        if want_values:
            say("valuing: wait-and-see and expected-value problems")
            vals = _values(problem, risk_weight, objective, y, pool, evaluator)
    except BaseException:
        if evaluator is not None:
            evaluator.close()
        raise
    if evaluator is not None and not keep_evaluator:
        evaluator.close()
        evaluator = None
    return InvestRun(problem, chosen, y, objective, npv, vals, time.perf_counter() - t0,
                     iterations, executor, reached, evaluator)


def _values(problem: InvestProblem, risk_weight: float, objective: float, y: np.ndarray,
            pool: CutPool | None, evaluator: Evaluator | None) -> Values:
    """The stochastic values, reusing the run's answer when it is the risk-neutral RP."""
    rp = (objective, y) if risk_weight == 0 else None
    return stochastic_values(problem, rp, pool, evaluator)


def _check(risk_weight: float, alpha: float, method: str, executor: str, gap: float | None,
           scheduler: str | None) -> None:
    """Raise a ConfigError for an option out of range."""
    if not 0.0 <= risk_weight <= 1.0:
        raise ConfigError(f"--risk-weight {risk_weight} must be between 0 and 1")
    if risk_weight == 1.0:
        raise ConfigError("--risk-weight 1 weighs only the worst scenarios (the CVaR tail): "
                          "the plans of all others would be left unoptimised and their NPVs "
                          "understated; use at most 0.99")
    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"--alpha {alpha} must be between 0 and 1, e.g. 0.95")
    if method not in ("auto", "extensive", "benders"):
        raise ConfigError(f"unknown method {method!r}; use auto, extensive or benders")
    if executor not in EXECUTORS:
        raise ConfigError(f"unknown executor {executor!r}; use in-process, pool or dask")
    if gap is not None and not 0.0 < gap < 1.0:
        raise ConfigError(f"--gap {gap} must be between 0 and 1, e.g. 0.01 for a 1 % gap")
    if scheduler is not None and executor != "dask":
        raise ConfigError(f"--scheduler {scheduler} needs --executor dask")
