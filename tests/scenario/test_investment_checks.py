"""Checks on investment options, matched on issue codes; and their tabular and merged forms.

The malformed corpus (``malformed/option_*.yaml``) pins each message, file and line;
these tests pin which change triggers which code, where the boundary lies, and that the
fix the message suggests makes the finding go away.
"""

from __future__ import annotations

import csv
import graphlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oreline.errors import ScenarioError
from oreline.scenario import Scenario, export_scenario, load_scenario
from oreline.scenario.investment import InvestmentOption, InvestmentSettings
from oreline.scenario.investment_checks import HorizonMonths, investment_findings

HERE = Path(__file__).parent
TINY = load_scenario("tiny-invest")


def _codes(sc: Scenario) -> list[str]:
    return [f[3] for f in investment_findings(sc)]


def _with(sc: Scenario = TINY, *, settings_: dict[str, Any] | None = None,
          **changes: Any) -> Scenario:
    """``sc`` with option ``cell2`` (the first) changed, and investment settings replaced."""
    first = InvestmentOption.model_validate(
        {**sc.options[0].model_dump(mode="json", by_alias=True), **changes})
    update: dict[str, Any] = {"options": [first, *sc.options[1:]]}
    if settings_ is not None:
        update["investment"] = InvestmentSettings.model_validate(settings_)
    return sc.model_copy(update=update)


def _option(ident: str, **fields: Any) -> InvestmentOption:
    base = {"id": ident, "capex": "1 M USD", "adds": [{"process": "electrolysis",
                                                        "capacity": "1 t/month metal"}]}
    return InvestmentOption.model_validate({**base, **fields})


def test_builtin_and_full_scenarios_pass() -> None:
    assert _codes(TINY) == []
    assert _codes(load_scenario(HERE / "data" / "full.yaml")) == []


def test_lead_time_boundary_is_the_last_month() -> None:
    """tiny-invest: horizon 2027-01 + 12 months, so the last month is 2027-12.

    A decision at 2027-01 with lead time 11 commissions in 2027-12 (one month of
    capacity: allowed); lead time 12 commissions in 2028-01 (refused). With the window
    starting at 2027-06, the limit is 6.
    """
    assert _codes(_with(lead_time=11)) == []
    assert _codes(_with(lead_time=12)) == ["invest.lead_time_past_horizon"]
    assert _codes(_with(lead_time=6, earliest="2027-06")) == []
    assert _codes(_with(lead_time=7, earliest="2027-06")) == ["invest.lead_time_past_horizon"]
    # decisions only at decision months: the first one inside the window counts
    decided = {"decision_months": ["2027-01", "2027-09"]}
    assert _codes(_with(lead_time=3, earliest="2027-02", settings_=decided)) == []
    assert _codes(_with(lead_time=4, earliest="2027-02", settings_=decided)) == [
        "invest.lead_time_past_horizon"]


def test_window_checks() -> None:
    assert _codes(_with(earliest="2026-12")) == ["invest.window_outside"]
    assert _codes(_with(latest="2028-01")) == ["invest.window_outside"]
    assert _codes(_with(earliest="2027-05", latest="2027-04")) == ["invest.window_order"]
    assert _codes(_with(earliest="2027-04", latest="2027-04")) == []
    decided = {"decision_months": ["2027-01", "2027-07"]}
    assert _codes(_with(earliest="2027-02", latest="2027-06", settings_=decided)) == [
        "invest.window_without_decision"]
    assert _codes(_with(earliest="2027-02", latest="2027-07", settings_=decided)) == []


def test_decision_months() -> None:
    def codes(months: list[str], sc: Scenario = TINY) -> list[str]:
        return _codes(_with(sc, settings_={"decision_months": months}))

    assert codes(["2027-01", "2027-04", "2027-12"]) == []
    assert codes(["2027-01", "2028-01"]) == ["invest.decision_month_outside"]
    # a month outside only: no option can be decided either
    assert codes(["2028-01"]) == ["invest.decision_month_outside", *2 * [
        "invest.window_without_decision"]]
    assert codes(["2026-12", "2027-01"]) == ["invest.decision_month_outside"]
    assert codes(["2027-04", "2027-01"]) == ["invest.decision_months_unsorted"]
    assert codes(["2027-01", "2027-01"]) == ["invest.decision_month_duplicate"]
    quarterly = TINY.model_copy(update={"horizon": TINY.horizon.model_copy(
        update={"periods": 4, "period": "quarter"})})
    assert codes(["2027-01", "2027-04", "2027-10"], quarterly) == []
    assert codes(["2027-01", "2027-05"], quarterly) == ["invest.decision_month_not_period"]


def test_horizon_months() -> None:
    h = HorizonMonths.of("2027-11", 3, 1)
    assert (h.label(h.first), h.label(h.last)) == ("2027-11", "2028-01")
    assert h.contains("2028-01") and not h.contains("2028-02") and not h.contains("2027-10")


def test_references() -> None:
    assert _codes(_with(adds=[{"process": "electrolisis", "capacity": "1 t/month metal"}])) == [
        "invest.unknown_process"]
    assert _codes(_with(adds=[{"process": "electrolysis", "capacity": "1 t/month oxide"}])) == [
        "invest.wrong_basis"]
    assert _codes(_with(supply=["nothing"])) == ["invest.unknown_contract"]
    assert _codes(_with(supply=["au"])) == ["invest.supply_enabled"]  # tiny's contract is on
    stock = [{"site": "plant", "commodity": "oxide", "quantity": "5 t oxide",
              "origin": {"mined": "AU", "separated": "MY"}}]
    assert _codes(_with(stock=stock)) == []
    assert _codes(_with(stock=[{**stock[0], "site": "mars"}])) == ["invest.unknown_site"]
    assert _codes(_with(stock=[{**stock[0], "commodity": "oxyde"}])) == [
        "invest.unknown_commodity"]
    assert _codes(_with(stock=[{**stock[0], "origin": {"mined": "AU"}}])) == ["invest.bad_origin"]
    assert _codes(_with(stock=[{**stock[0], "origin": {"mined": "XX", "separated": "MY"}}])) == [
        "invest.bad_origin"]


def test_enabled_supply_fix_works() -> None:
    """The message says: disable the contract. Doing so clears the finding."""
    sc = _with(supply=["au"])
    contracts = [c.model_copy(update={"enabled": False}) if c.id == "au" else c
                 for c in sc.contracts]
    assert _codes(sc.model_copy(update={"contracts": contracts})) == []


def test_money() -> None:
    assert _codes(_with(capex="150 k EUR")) == ["invest.unknown_currency"]
    assert _codes(_with(capex="150 k EUR", settings_={"fx": {"EUR": 1.08}})) == []
    assert _codes(_with(capex="-1 k USD")) == ["invest.negative_money"]
    assert _codes(_with(settings_={"budget_total": "1 M GBP",
                                   "budget_per_year": "1 M USD"})) == [
        "invest.unknown_currency"]


def test_content() -> None:
    assert _codes(_with(adds=[])) == ["invest.adds_nothing"]
    assert _codes(_with(modules=4)) == []  # capacity is per module
    supply = TINY.options[1].model_copy(update={"modules": 2})
    sc = TINY.model_copy(update={"options": [TINY.options[0], supply]})
    assert _codes(sc) == ["invest.modules_on_supply"]
    twice = TINY.model_copy(update={"options": [*TINY.options, TINY.options[0]]})
    assert _codes(twice) == ["invest.duplicate_id"]


def _graph_scenario(options: list[InvestmentOption]) -> Scenario:
    return TINY.model_copy(update={"options": options})


def test_graph_checks() -> None:
    assert _codes(_graph_scenario([_option("a", requires=["a"])])) == ["invest.requires_itself"]
    assert _codes(_graph_scenario([_option("a", excludes=["a"])])) == ["invest.excludes_itself"]
    assert _codes(_graph_scenario([_option("a", requires=["b"])])) == ["invest.unknown_option"]
    assert _codes(_graph_scenario([_option("a", requires=["b"]), _option("b", excludes=["a"])])
                  ) == ["invest.requires_excluded"]
    # exclusion written on either side
    assert _codes(_graph_scenario([_option("a", requires=["b"], excludes=["b"]),
                                   _option("b")])) == ["invest.requires_excluded"]
    both = [_option("a", requires=["b"]), _option("b", requires=["c"]), _option("c"),
            _option("d", requires=["a", "e"]), _option("e", excludes=["c"])]
    findings = list(investment_findings(_graph_scenario(both)))
    assert [(f[0], f[3]) for f in findings] == [(("options", 3, "requires"),
                                                 "invest.exclusive_both_required")]
    assert "'c' and 'e'" in findings[0][1] or "'e' and 'c'" in findings[0][1]
    # requiring two options that do not exclude each other is fine
    assert _codes(_graph_scenario([_option("a", requires=["b", "c"]), _option("b"),
                                   _option("c")])) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 5), max_size=3), min_size=1, max_size=6))
def test_cycle_found_exactly_when_the_requires_graph_has_one(edges: list[list[int]]) -> None:
    """Independent check: graphlib's topological sort fails exactly on a cycle."""
    n = len(edges)
    names = [f"o{k}" for k in range(n)]
    requires = [sorted({names[t] for t in targets if t < n and t != k})
                for k, targets in enumerate(edges)]
    sc = _graph_scenario([_option(names[k], requires=requires[k]) for k in range(n)])
    try:
        graphlib.TopologicalSorter(dict(zip(names, requires, strict=True))).prepare()
        has_cycle = False
    except graphlib.CycleError:
        has_cycle = True
    assert ("invest.requires_cycle" in _codes(sc)) == has_cycle


# --------------------------------------------------------------------------- loading


def test_codes_reach_the_issues_and_invalid_entries_still_show_option_errors(
        tmp_path: Path) -> None:
    """A bad unit elsewhere and an option error are reported together, with codes."""
    text = (HERE / "malformed" / "option_unknown_process.yaml").read_text("utf-8")
    text = text.replace("100 t/yr metal", "100 t/yr")
    path = tmp_path / "both.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert [(i.field, i.code) for i in info.value.issues] == [
        ("processes[0].capacity[0].capacity", ""),
        ("options[0].adds[0].process", "invest.unknown_process"),
    ]


def test_invalid_settings_hold_back_the_option_checks(tmp_path: Path) -> None:
    """With investment settings invalid, only their own error shows (no spurious FX error)."""
    text = (HERE / "malformed" / "option_unknown_currency.yaml").read_text("utf-8")
    text = text.replace("fx: {EUR: 1.08}", "fx: {EUR: 1.08}\n  end_effect: salvge")
    path = tmp_path / "bad.yaml"
    path.write_text(text.split("# expect")[0], encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert [i.field for i in info.value.issues] == ["investment.end_effect"]


def test_tiny_invest_tables(tmp_path: Path) -> None:
    out = export_scenario(TINY, tmp_path / "ti", "csv")
    with (out / "option_adds.csv").open(newline="", encoding="utf-8") as fh:
        assert list(csv.reader(fh)) == [["option", "process", "capacity"],
                                        ["cell2", "electrolysis", "4 t/month metal"]]
    with (out / "options.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["id"], r["capex"], r["fixed_opex"], r["ramp"], r["supply"]) for r in rows] == [
        ("cell2", "150000 USD", "12000 USD/year", "0.5; 1", ""),
        ("au2", "20000 USD", "", "", "au_extra")]
    assert load_scenario(out) == TINY


def test_investment_settings_in_the_scenario_table(tmp_path: Path) -> None:
    sc = load_scenario(HERE / "data" / "full.yaml")
    out = export_scenario(sc, tmp_path / "full", "csv")
    with (out / "scenario.csv").open(newline="", encoding="utf-8") as fh:
        rows = {r["key"]: r["value"] for r in csv.DictReader(fh)}
    assert rows["investment.fx"] == "AUD=0.61; USD=0.925"
    assert rows["investment.decision_months"] == "2026-03; 2026-09; 2027-03"
    assert rows["investment.end_effect"] == "annuity"


def test_child_row_naming_an_unknown_option(tmp_path: Path) -> None:
    out = export_scenario(TINY, tmp_path / "ti", "csv")
    text = (out / "option_adds.csv").read_text("utf-8").replace("cell2,", "cell3,")
    (out / "option_adds.csv").write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(out)
    assert [(i.where, i.message) for i in info.value.issues] == [
        (f"{out / 'option_adds.csv'} row 2", "option_adds row names unknown option 'cell3'"),
        # the row went to no option, so cell2 has nothing left to add
        (f"{out / 'options.csv'} row 2", "option 'cell2' adds nothing: no adds, supply or stock"),
    ]


def test_extends_merges_options_by_id(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text("extends: tiny-invest\nname: child\noptions:\n"
                     "  - {id: cell2, capex: 200 k USD}\n"
                     "  - {id: au2, remove: true}\n"
                     "investment: {end_effect: annuity}\n", encoding="utf-8")
    sc = load_scenario(child)
    assert [o.id for o in sc.options] == ["cell2"]
    assert sc.options[0].capex.amount == 200e3 and sc.options[0].lead_time == 2
    assert sc.investment.end_effect == "annuity"


def test_the_documented_option_example_loads(tmp_path: Path) -> None:
    """docs/scenario-format.md's options example, on tiny-invest, is a valid scenario."""
    doc = (HERE.parents[1] / "docs" / "scenario-format.md").read_text("utf-8")
    block = doc.split("## Investment options", 1)[1].split("```yaml\n", 1)[1].split("```")[0]
    path = tmp_path / "doc.yaml"
    path.write_text(f"extends: tiny-invest\nname: doc\n{block}", encoding="utf-8")
    sc = load_scenario(path)
    cell2 = sc.options[0]
    assert (cell2.modules, cell2.lead_time, cell2.ramp, cell2.requires) == (2, 2, [0.5, 1.0],
                                                                           ["au2"])
    assert sc.investment.fx == {"AUD": 0.65} and sc.investment.budget_total is not None
