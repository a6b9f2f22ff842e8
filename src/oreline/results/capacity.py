"""What the network can make: capacity, output and the value of capacity by stage.

A process's origin ``stage`` (mined, separated, refined, melted, produced) groups it
with the other processes that perform the same step of the chain; processes without
a stage (cracking, say) are grouped as ``none``. Per stage, :func:`stage_table` adds
up capacity and output over the horizon and reads the value of one more tonne per
year of capacity from the capacity rows' duals:

* ``value_per_t_yr`` of a process is the discounted margin gained over the horizon by
  1 t/yr more capacity in every period it has capacity: ``sum_t y_pt * m / 12``, with
  ``y_pt`` the capacity shadow price per t per period and ``m`` months per period.
* A stage's value is that of its most valuable process (``at_process``): where one
  more tonne of the stage's capacity is best added.

:func:`bottleneck_stage` names the stage with the largest value; :func:`dfars_by_year`
sums the DFARS-clean output per product and calendar year.

Examples
--------
>>> from oreline.planner import run_plan
>>> plan = run_plan("tiny")
>>> t = stage_table(plan.lp, plan.solution)
>>> t[["stage", "capacity_t", "output_t"]].to_dict("records")
[{'stage': 'refined', 'capacity_t': 30.0, 'output_t': 30.0}]
>>> bottleneck_stage(t)
'refined'

"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oreline.model.matrix import LinearProgram
from oreline.origin import STAGES
from oreline.solve import Solution

__all__ = ["NO_STAGE", "bottleneck_stage", "dfars_by_year", "process_capacity_value",
           "stage_table"]

#: The stage label of processes that perform no origin stage.
NO_STAGE = "none"
_EPS = 1e-6


def process_capacity_value(lp: LinearProgram, sol: Solution) -> pd.Series:
    """Discounted margin per t/yr of extra capacity of each process (index: process).

    ``sum_t y_pt * months / 12`` over the periods in which the process has capacity,
    ``y_pt`` being the margin per t of one more t of capacity in period ``t``.
    """
    net = lp.net
    dual = -sol.row_dual[lp.row_slice("Process-capacity")].reshape(len(net.processes),
                                                                    net.n_periods)
    has_cap = net.modes.capacity > 0
    value = np.where(has_cap, np.clip(dual, 0.0, None), 0.0).sum(axis=1) * net.months / 12.0
    return pd.Series(value, index=pd.Index(net.processes, name="process"), name="value_per_t_yr")


def stage_table(lp: LinearProgram, sol: Solution) -> pd.DataFrame:
    """Capacity, output, utilisation and value of capacity per stage over the horizon.

    Returns
    -------
    pandas.DataFrame
        One row per stage that has a process with capacity, in chain order (``none``
        last): ``stage``, ``processes`` (how many), ``capacity_t`` and ``output_t``
        (t of each process's main output over the horizon, summed), ``utilisation``,
        ``binding_periods`` (periods in which some process of the stage is at capacity
        with a positive shadow price), ``value_per_t_yr`` and ``at_process`` (see the
        module docstring; empty when no capacity of the stage binds).

    """
    net = lp.net
    stage = np.array([p.stage or NO_STAGE for p in net.scenario.processes], dtype=object)
    cap = net.modes.capacity
    run = lp.variables["Process-run"].values(sol.x)
    out = np.zeros_like(cap)
    np.add.at(out, net.modes.process, run)
    dual = -sol.row_dual[lp.row_slice("Process-capacity")].reshape(cap.shape)
    binding = (dual > _EPS) & (cap > 0)
    value = process_capacity_value(lp, sol).to_numpy()
    rows = []
    for name in (*STAGES, NO_STAGE):
        members = np.flatnonzero((stage == name) & (cap.sum(axis=1) > 0))
        if not members.size:
            continue
        best = members[np.argmax(value[members])]
        c, o = float(cap[members].sum()), float(out[members].sum())
        top = float(value[best])
        rows.append({
            "stage": name, "processes": int(members.size), "capacity_t": c, "output_t": o,
            "utilisation": o / c if c > 0 else np.nan,
            "binding_periods": int(binding[members].any(axis=0).sum()),
            "value_per_t_yr": top, "at_process": str(net.processes[best]) if top > 0 else "",
        })
    cols = ["stage", "processes", "capacity_t", "output_t", "utilisation", "binding_periods",
            "value_per_t_yr", "at_process"]
    return pd.DataFrame(rows, columns=cols)


def bottleneck_stage(stages: pd.DataFrame) -> str | None:
    """The stage whose extra capacity is worth most, or None when no capacity binds.

    Examples
    --------
    >>> bottleneck_stage(pd.DataFrame({"stage": ["separated", "refined"],
    ...                                "value_per_t_yr": [0.0, 5.0]}))
    'refined'

    """
    if stages.empty or not (stages["value_per_t_yr"] > _EPS).any():
        return None
    return str(stages.loc[stages["value_per_t_yr"].idxmax(), "stage"])


def dfars_by_year(dfars_clean: pd.DataFrame) -> pd.DataFrame:
    """DFARS-clean output per product and calendar year (from the ``dfars_clean`` table).

    Examples
    --------
    >>> df = pd.DataFrame({"product": ["alloy"] * 3, "period": ["2027-01", "2027-04", "2028-01"],
    ...                    "output_t": [10.0, 10.0, 8.0], "dfars_clean_t": [5.0, 10.0, 8.0]})
    >>> dfars_by_year(df).to_dict("records")[0]
    {'product': 'alloy', 'year': '2027', 'output_t': 20.0, 'dfars_clean_t': 15.0}

    """
    cols = ["product", "year", "output_t", "dfars_clean_t"]
    if dfars_clean.empty:
        return pd.DataFrame(columns=cols)
    df = dfars_clean.assign(year=dfars_clean["period"].str[:4])
    return df.groupby(["product", "year"], as_index=False)[["output_t", "dfars_clean_t"]].sum()[
        cols]
