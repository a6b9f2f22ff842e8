"""The plan page's data: one solved plan as JSON-ready tables and plotly figures.

:func:`plan_data` turns a :class:`~oreline.planner.Plan` into the dict that the plan page
renders and ``/api/plans/{name}`` returns, so the page and its JSON twin cannot drift.
:class:`PlanCache` keeps it per scenario content hash (in memory and in the app
database, which several workers share).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections import OrderedDict
from typing import Any

import numpy as np
import orjson
import pandas as pd
from sqlalchemy import Engine, insert, select

from oreline.api.appdb import plan_cache
from oreline.origin import DFARS_ALL_STAGES_FROM, LABEL_LEGEND
from oreline.planner import Plan, run_plan
from oreline.report.figures import (
    display_names,
    inventory_figure,
    origin_colours,
    production_figure,
    sales_figure,
    sankey_figure,
)
from oreline.scenario import Scenario
from oreline.scenario.writers import scenario_to_data

__all__ = ["DATA_VERSION", "PlanCache", "content_key", "figure_data", "frame", "plan_data"]


#: Version of the plan data's shape: a new shape never reads a cached old one.
DATA_VERSION = 2  # 2: names in the stock chart, label widths, utilisation map


def frame(df: pd.DataFrame) -> dict[str, Any]:
    """A DataFrame as ``{"columns", "rows", "total"}`` with JSON-ready values."""
    clean = df.astype(object).where(pd.notna(df), None)
    rows = [[v.item() if hasattr(v, "item") else v for v in r]
            for r in clean.itertuples(index=False)]
    return {"columns": [str(c) for c in df.columns], "rows": rows, "total": len(rows)}


def figure_data(fig: Any) -> Any:
    """A plotly figure as plain JSON: numbers as lists, not plotly's base64 arrays.

    The JSON twin stays readable by any client, and the page feeds it to plotly.js as is.
    """
    return orjson.loads(orjson.dumps(_decoded(fig.to_dict()), default=_listed,
                                     option=orjson.OPT_NON_STR_KEYS))


def _listed(value: Any) -> Any:
    """Numpy arrays and scalars as Python lists and numbers (orjson's fallback)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _decoded(node: Any) -> Any:
    """``node`` with plotly's typed arrays (``{"dtype", "bdata"}``) as plain lists."""
    if isinstance(node, dict):
        if "bdata" in node and "dtype" in node:
            arr = np.frombuffer(base64.b64decode(node["bdata"]), dtype=node["dtype"])
            if "shape" in node:
                arr = arr.reshape([int(s) for s in str(node["shape"]).split(",")])
            return arr.tolist()
        return {k: _decoded(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_decoded(v) for v in node]
    return node


def content_key(scenario: Scenario, demand: str) -> str:
    """SHA-256 of a scenario's content and the demand mode: the plan cache key."""
    text = json.dumps(scenario_to_data(scenario), sort_keys=True, default=str)
    return hashlib.sha256(f"{DATA_VERSION}\n{demand}\n{text}".encode()).hexdigest()


def _purchases(plan: Plan) -> pd.DataFrame:
    p = plan.results.tables["purchases"]
    cols = ["period", "arrival_period", "contract", "supplier", "commodity", "site",
            "origin_class", "quantity_t", "price_per_t", "cost"]
    return p[cols].sort_values(["period", "contract"], ignore_index=True)


def _dfars_periods(plan: Plan) -> pd.DataFrame:
    """DFARS-clean output per product and rule period (before and from 2027-01)."""
    d = plan.results.dfars_clean
    cols = ["product", "rule_period", "output_t", "dfars_clean_t", "clean_share"]
    if d.empty:
        return pd.DataFrame(columns=cols)
    rule = d["period"].map(lambda p: f"from {DFARS_ALL_STAGES_FROM} (all stages)"
                           if p >= DFARS_ALL_STAGES_FROM else
                           f"before {DFARS_ALL_STAGES_FROM} (melted, produced)")
    g = d.assign(rule_period=rule).groupby(["product", "rule_period"], as_index=False)[
        ["output_t", "dfars_clean_t"]].sum()
    g["clean_share"] = g["dfars_clean_t"] / g["output_t"].where(g["output_t"] > 0)
    return g[cols]


def _shadow(plan: Plan) -> dict[str, Any]:
    return {k: frame(v.sort_values("value_per_t", ascending=False, ignore_index=True))
            for k, v in plan.results.shadow.items()}


def plan_data(plan: Plan, name: str) -> dict[str, Any]:
    """Everything the plan page shows, JSON-ready."""
    r = plan.results
    sc = plan.scenario
    names = display_names(sc)
    fill = r.fill_rate.assign(name=r.fill_rate["customer"].map(lambda c: names.get(c, c)))
    short = r.shortfalls.groupby(["customer", "cause"], as_index=False)["shortfall_t"].sum()
    inv = r.tables["inventory"].groupby(["site", "commodity", "origin_class"],
                                        as_index=False)["stock_t"].agg(["mean", "max"])
    inv = inv.rename(columns={"mean": "average_stock_t", "max": "peak_stock_t"})
    colours = origin_colours(r)
    return {
        "scenario": name, "title": sc.name, "description": sc.description,
        "currency": sc.currency, "horizon": {"start": sc.horizon.start,
                                             "periods": sc.horizon.periods,
                                             "period": sc.horizon.period},
        "demand_mode": str(r.meta.get("demand_mode", "expected")),
        "kpis": {k: float(v) for k, v in r.kpis.items()},
        "model": {k: v for k, v in r.meta.items() if isinstance(v, int | float)},
        "fill_rate": frame(fill[["customer", "name", "kind", "firm_t", "expected_t",
                                 "unqualified_demand_t", "demand_t", "served_t",
                                 "shortfall_t", "fill_rate"]]),
        "shortfalls": frame(short),
        "purchases": frame(_purchases(plan)),
        "utilisation": frame(r.utilisation),
        "inventory": frame(inv),
        "dfars_clean": frame(_dfars_periods(plan)),
        "origin_classes": frame(r.tables["origin_classes"]),
        "shadow": _shadow(plan),
        "legend": [{"origin_class": c, "colour": colours[c]} for c in colours],
        "legend_text": LABEL_LEGEND,
        "figures": {
            "sankey": figure_data(sankey_figure(r, names)),
            "production": figure_data(production_figure(r)),
            "inventory": figure_data(inventory_figure(r, names)),
            "sales": figure_data(sales_figure(r, names)),
        },
        "made": time.time(),
    }


class PlanCache:
    """Plan page data per scenario content hash, in memory and in the app database."""

    def __init__(self, engine: Engine, keep: int = 16) -> None:
        self.engine = engine
        self.keep = keep
        self._memory: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        """Cached data for ``key``, or None."""
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        with self.engine.connect() as conn:
            text = conn.execute(select(plan_cache.c.data).where(plan_cache.c.key == key)
                                ).scalar()
        if text is None:
            return None
        data: dict[str, Any] = json.loads(text)
        self._remember(key, data)
        return data

    def _remember(self, key: str, data: dict[str, Any]) -> None:
        with self._lock:
            self._memory[key] = data
            while len(self._memory) > self.keep:
                self._memory.popitem(last=False)

    def put(self, key: str, name: str, data: dict[str, Any]) -> None:
        """Keep ``data`` for ``key`` (a second writer of the same key is a no-op)."""
        self._remember(key, data)
        with self.engine.begin() as conn:
            if conn.execute(select(plan_cache.c.key).where(plan_cache.c.key == key)).first():
                return
            conn.execute(insert(plan_cache).values(key=key, scenario=name,
                                                   data=json.dumps(data), created=time.time()))

    def solve(self, scenario: Scenario, name: str, demand: str = "expected",
              progress: Any = None) -> dict[str, Any]:
        """The plan data of ``scenario``, solved now unless cached."""
        key = content_key(scenario, demand)
        hit = self.get(key)
        if hit is not None:
            return hit
        plan = run_plan(scenario, demand=demand,  # type: ignore[arg-type]
                        progress=progress)
        data = plan_data(plan, name)
        data["key"] = key
        self.put(key, name, data)
        return data
