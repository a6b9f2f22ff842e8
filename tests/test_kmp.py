"""The built-in kmp scenario: sources, stoichiometry of its recipes, headline results."""

from __future__ import annotations

import pytest

from oreline.planner import run_plan
from oreline.scenario import load_scenario
from oreline.units import metal_per_oxide, oxide_mix_element_fractions, oxide_per_metal
from tests.conftest import builtin_dict


@pytest.fixture(scope="module")
def kmp():
    return load_scenario("kmp")


@pytest.fixture(scope="module")
def plan():
    return run_plan("kmp")


def _has_source(item) -> bool:
    src = item.source
    return bool(src) and (not isinstance(src, dict) or all(v.strip() for v in src.values()))


def test_every_entity_and_phase_cites_a_source(kmp):
    missing = [f"{entity}:{getattr(item, 'id', i)}"
               for entity in ("commodities", "sites", "processes", "contracts",
                              "initial_stock", "lanes", "customers")
               for i, item in enumerate(getattr(kmp, entity)) if not _has_source(item)]
    missing += [f"{p.id}:phase {ph.start}" for p in kmp.processes for ph in p.capacity
                if not ph.source]
    assert missing == []


def test_numbered_sources_are_listed(kmp):
    """Every [n] cited in the file appears in the scenario's source list."""
    import re

    from oreline.scenario import builtin_path

    text = builtin_path("kmp").read_text(encoding="utf-8")
    cited = {n for group in re.findall(r"\[(\d+(?:\]\[\d+)*)\]", text)
             for n in group.split("][")}
    assert cited <= set(kmp.sources), sorted(cited - set(kmp.sources))


def test_electrolysis_recipe_is_stoichiometric(kmp):
    proc = next(p for p in kmp.processes if p.id == "electrolysis")
    mix = oxide_mix_element_fractions({"Nd2O3": 0.75, "Pr6O11": 0.25})
    assert proc.inputs["ndpr_oxide"] == pytest.approx(1 / (mix["Nd"] + mix["Pr"]), abs=1e-4)
    # brief §1 worked example: ~355 kg oxide for 290 kg PrNd metal at 96% yield
    assert 0.290 * proc.inputs["ndpr_oxide"] / proc.yield_ == pytest.approx(0.355, abs=0.002)


def test_dyfe_and_tb_recipes(kmp):
    procs = {p.id: p for p in kmp.processes}
    assert procs["dyfe_reduction"].inputs["dy_oxide"] == pytest.approx(
        0.8 * oxide_per_metal("Dy2O3"), abs=1e-4)
    assert procs["tb_reduction"].inputs["tb_oxide"] == pytest.approx(
        1 / metal_per_oxide("Tb4O7"), abs=1e-4)


def test_alloy_composition_matches_recipe(kmp):
    """The alloy's element fractions are what the strip-casting inputs deliver."""
    coms = {c.id: c.element_fractions for c in kmp.commodities}
    proc = next(p for p in kmp.processes if p.id == "strip_casting")
    delivered: dict[str, float] = {}
    for name, coef in proc.inputs.items():
        for el, f in coms[name].items():
            delivered[el] = delivered.get(el, 0.0) + coef * f
    for el, f in coms["ndfeb_alloy"].items():
        assert delivered[el] == pytest.approx(f, abs=2e-4), el
    assert sum(coms["ndfeb_alloy"][e] for e in ("Nd", "Pr", "Dy")) == pytest.approx(0.305)


def test_capacity_phases(kmp):
    cast = next(p for p in kmp.processes if p.id == "strip_casting")
    tonnes = [(ph.capacity.tonnes, ph.enabled) for ph in cast.capacity]
    assert tonnes == [(1300, True), (3600, True)]


def test_phase3_option_takes_the_plant_to_its_full_capacity(kmp):
    """Phase 3 is an option now: two lines from Phase 2's 3,600 t/a to the full 5,600 [4]."""
    phase3 = next(o for o in kmp.options if o.id == "phase3")
    cast = next(a for a in phase3.adds if a.process == "strip_casting")
    assert 3600 + phase3.modules * cast.capacity.tonnes == 5600
    # the electrolysis it adds feeds those lines: 0.296 t NdPr metal per t alloy
    cell = next(a for a in phase3.adds if a.process == "electrolysis")
    assert cell.capacity.tonnes == pytest.approx(0.296 * cast.capacity.tonnes, rel=0.02)
    # the capex is the Phase 2 raise per t/a: A$55 M for +2,300 t/a (1,300 -> 3,600)
    assert phase3.capex.amount == pytest.approx(55e6 * 1000 / 2300, rel=0.01)


def test_options_only_enable_what_the_base_plan_leaves_off(kmp):
    """The options' contracts and the US plant's own phases are off in the base plan."""
    contracts = {c.id: c for c in kmp.contracts}
    for option in kmp.options:
        assert all(not contracts[c].enabled for c in option.supply), option.id
    us = [p for p in kmp.processes if p.site == "us_plant"]
    assert {p.id for p in us} == {"us_electrolysis", "us_strip_casting"}
    assert all(not ph.enabled for p in us for ph in p.capacity)


def test_dy_buffer_costs_what_kmp_dy_stock_adds(kmp):
    """The buffer option at its 4 lots is kmp-dy-stock's 12 t at 850 USD/kg: 10.2 M USD."""
    dy = next(o for o in kmp.options if o.id == "dy_buffer")
    lot = dy.stock[0].quantity.tonnes
    assert dy.modules * lot == 12.0
    assert dy.modules * dy.capex.amount == pytest.approx(12_000 * 850)


def test_plan_headlines(plan):
    k = plan.results.kpis
    assert k["margin"] > 0
    assert 0.9 < k["fill_rate"] <= 1.0
    # the opening state serves every signed contract from the first month; only enquiries
    # fall short, for want of Dy (feedstock), which is what the kmp data now says
    short = plan.results.shortfalls
    assert set(short["cause"]) <= {"feedstock"}, set(short["cause"])
    assert set(short["customer"]) <= {e.id for e in plan.scenario.enquiries}


def test_defence_customer_served_dfars_clean_from_2027(plan):
    s = plan.results.tables["sales"]
    d = s[(s["customer"] == "usar_defence") & (s["period"] >= "2027-01")]
    assert d["quantity_t"].sum() == pytest.approx(3 * 180)  # kmp: 36 months from 2027-01
    for label in d["origin_class"]:
        assert not any(c in label for c in ("CN", "RU", "KP", "IR", "??")), label


def test_switching_on_phase_three_raises_capacity():
    """The phase3 option's lines written as a capacity phase take casting to 5,600 t/a."""
    d = builtin_dict("kmp")
    phase3 = next(o for o in d["options"] if o["id"] == "phase3")
    lines = phase3["modules"] * float(phase3["adds"][0]["capacity"].split()[0])
    cast = next(p for p in d["processes"] if p["id"] == "strip_casting")
    cast["capacity"].append({"name": "phase 3", "start": "2028-01",
                             "capacity": f"{3600 + lines:g} t/yr alloy"})
    from tests.conftest import scenario_from

    plan = run_plan(scenario_from(d))
    cap = plan.results.tables["capacity"]
    last = cap[(cap["process"] == "strip_casting") & (cap["period"] == "2028-12")]
    assert float(last["capacity_t"].iloc[0]) == pytest.approx(5600 / 12)


def test_the_headline_and_sensitivity_table_in_the_docs_are_current():
    """docs/plan.md's kmp headline and ⚑ table are what docs/gen_kmp_sensitivity.py writes."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "docs" / "gen_kmp_sensitivity.py"
    spec = importlib.util.spec_from_file_location("gen_kmp_sensitivity", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0, "run: python docs/gen_kmp_sensitivity.py"


def test_dy_is_what_limits_the_pipeline(plan):
    """kmp data: contracts are served in full, enquiries fall short, Chinese Dy at its cap."""
    d = plan.results.tables["demand"]
    assert d.loc[d["kind"] == "contract", "shortfall_t"].sum() == pytest.approx(0.0, abs=1e-6)
    assert d.loc[d["kind"] == "enquiry", "shortfall_t"].sum() > 1.0
    buys = plan.results.tables["purchases"]
    china = buys[buys["contract"] == "china_dy"].groupby("period")["quantity_t"].sum()
    # ⚑ 25 % of Korea's 2.7 t/month [79] x 0.6 licence availability, bought to the cap
    assert china.max() == pytest.approx(0.4, abs=1e-6)
