"""Two scenarios side by side: what differs in their entities and in their plans.

:func:`compare` takes two plans' page data (:func:`oreline.api.plans.plan_data`) and two
scenarios' entity rows (:func:`oreline.api.scenarios.entity_rows`) and returns the KPIs,
sales per customer, purchases per contract and DFARS-clean tonnage of both, each with the
difference, and the entities added, removed or changed.

Examples
--------
>>> _diff_rows({"x": 1.0, "y": 2.0}, {"x": 1.0, "z": 3.0})
[['x', 1.0, 1.0, 0.0], ['y', 2.0, 0.0, -2.0], ['z', 0.0, 3.0, 3.0]]
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

__all__ = ["compare", "entity_changes"]

#: KPIs a comparison shows, in this order.
KPIS = ("revenue", "margin", "purchase_cost", "processing_cost", "transport_cost",
        "holding_cost", "shortfall_penalty", "objective_discounted", "demand_t", "served_t",
        "shortfall_t", "fill_rate")


def _sums(frame: dict[str, Any], key: str | tuple[str, ...], value: str) -> dict[str, float]:
    cols = frame["columns"]
    keys = (key,) if isinstance(key, str) else key
    idx = [cols.index(k) for k in keys]
    v = cols.index(value)
    out: dict[str, float] = defaultdict(float)
    for row in frame["rows"]:
        out[" · ".join(str(row[i]) for i in idx)] += float(row[v] or 0.0)
    return dict(out)


def _diff_rows(a: dict[str, float], b: dict[str, float]) -> list[list[Any]]:
    return [[k, a.get(k, 0.0), b.get(k, 0.0), b.get(k, 0.0) - a.get(k, 0.0)]
            for k in sorted(set(a) | set(b))]


def _table(name: str, rows: list[list[Any]], unit: str) -> dict[str, Any]:
    return {"columns": [name, f"a_{unit}", f"b_{unit}", f"difference_{unit}"], "rows": rows,
            "total": len(rows)}


def entity_changes(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Entities only in ``a`` (removed), only in ``b`` (added) or with other fields."""
    out: list[dict[str, Any]] = []
    for kind in sorted(set(a["entities"]) | set(b["entities"])):
        ea = {e["id"]: e["fields"] for e in a["entities"].get(kind, [])}
        eb = {e["id"]: e["fields"] for e in b["entities"].get(kind, [])}
        for eid in sorted(set(ea) | set(eb)):
            if eid not in eb:
                out.append({"kind": kind, "id": eid, "change": "removed",
                            "fields": {k: [v, None] for k, v in ea[eid].items()}})
            elif eid not in ea:
                out.append({"kind": kind, "id": eid, "change": "added",
                            "fields": {k: [None, v] for k, v in eb[eid].items()}})
            elif ea[eid] != eb[eid]:
                fields = {k: [ea[eid].get(k), eb[eid].get(k)]
                          for k in sorted(set(ea[eid]) | set(eb[eid]))
                          if ea[eid].get(k) != eb[eid].get(k)}
                out.append({"kind": kind, "id": eid, "change": "changed", "fields": fields})
    return out


def compare(plan_a: dict[str, Any], plan_b: dict[str, Any], rows_a: dict[str, Any],
            rows_b: dict[str, Any]) -> dict[str, Any]:
    """The comparison page's data (``a`` is the reference, differences are ``b - a``)."""
    ka, kb = plan_a["kpis"], plan_b["kpis"]
    kpis = [[k, ka.get(k), kb.get(k), (kb.get(k) or 0.0) - (ka.get(k) or 0.0)]
            for k in KPIS if k in ka or k in kb]
    return {
        "a": plan_a["scenario"], "b": plan_b["scenario"], "currency": plan_a["currency"],
        "same_currency": plan_a["currency"] == plan_b["currency"],
        "kpis": {"columns": ["kpi", "a", "b", "difference"], "rows": kpis, "total": len(kpis)},
        "sales": _table("customer", _diff_rows(_sums(plan_a["fill_rate"], "customer", "served_t"),
                                               _sums(plan_b["fill_rate"], "customer", "served_t")),
                        "t"),
        "purchases": _table("contract", _diff_rows(
            _sums(plan_a["purchases"], "contract", "quantity_t"),
            _sums(plan_b["purchases"], "contract", "quantity_t")), "t"),
        "dfars_clean": _table("product_and_rule_period", _diff_rows(
            _sums(plan_a["dfars_clean"], ("product", "rule_period"), "dfars_clean_t"),
            _sums(plan_b["dfars_clean"], ("product", "rule_period"), "dfars_clean_t")), "t"),
        "entities": entity_changes(rows_a, rows_b),
    }
