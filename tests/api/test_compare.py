"""Comparing two scenarios: differences are b - a, entity changes are named."""

from __future__ import annotations

from oreline.api.compare import compare, entity_changes


def _plan(name: str, margin: float, served: dict[str, float]) -> dict:
    return {"scenario": name, "currency": "USD", "kpis": {"margin": margin, "fill_rate": 1.0},
            "fill_rate": {"columns": ["customer", "served_t"],
                          "rows": [[c, v] for c, v in served.items()]},
            "purchases": {"columns": ["contract", "quantity_t"], "rows": [["k", 2.0], ["k", 3.0]]},
            "dfars_clean": {"columns": ["product", "rule_period", "dfars_clean_t"], "rows": []}}


def _rows(fields: dict) -> dict:
    return {"entities": {"customers": [{"id": i, "fields": f} for i, f in fields.items()]}}


def test_differences_are_b_minus_a():
    out = compare(_plan("a", 10.0, {"x": 4.0}), _plan("b", 7.5, {"x": 5.0, "y": 1.0}),
                  _rows({}), _rows({}))
    assert out["kpis"]["rows"][0] == ["margin", 10.0, 7.5, -2.5]
    assert out["sales"]["rows"] == [["x", 4.0, 5.0, 1.0], ["y", 0.0, 1.0, 1.0]]
    assert out["purchases"]["rows"] == [["k", 5.0, 5.0, 0.0]]


def test_entity_changes_name_the_field():
    a = _rows({"c1": {"demand": "10 t/month"}, "c2": {"demand": "1 t/month"}})
    b = _rows({"c1": {"demand": "12 t/month"}, "c3": {"demand": "1 t/month"}})
    changes = {(c["id"], c["change"]): c["fields"] for c in entity_changes(a, b)}
    assert changes == {("c1", "changed"): {"demand": ["10 t/month", "12 t/month"]},
                       ("c2", "removed"): {"demand": ["1 t/month", None]},
                       ("c3", "added"): {"demand": [None, "1 t/month"]}}


def test_compare_page_against_itself_shows_no_change(client):
    data = client.get("/api/compare", params={"a": "tiny", "b": "tiny"}).json()
    assert data["entities"] == []
    assert all(abs(r[3]) < 1e-9 for r in data["kpis"]["rows"])
