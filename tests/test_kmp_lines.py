"""The product lines of kmp (brief §0-§2): off in kmp, on in kmp-all-lines, mass-balanced.

Every recipe is checked against stoichiometry computed here from the reaction, not
from the scenario: at 100 % yield, what a recipe's inputs hold beyond its outputs must
be exactly the by-products the reaction leaves (MgCl2, CaF2, CO2 ...), element by
element. Those by-products are not modelled; the plan's element balance books them as
process loss, as it books the oxygen of the oxides.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oreline.errors import ScenarioError
from oreline.planner import run_plan
from oreline.scenario import load_scenario
from oreline.scenario.checks import check_scenario
from oreline.scenario.resolve import read_raw
from oreline.units import ATOMIC_WEIGHTS, conversion_factors, element_fractions, molar_mass
from tests.conftest import builtin_dict, scenario_from

LINES = ("dy_metal_reduction", "ti_chlorination", "ti_reduction", "ti_powder_making",
         "zr_chlorination", "zr_hf_separation", "zr_reduction", "hf_reduction")
SUPPLIES = ("calcium_supply", "hf_supply", "tio2_supply", "ticl4_supply", "chlorine_supply",
            "coke_supply", "magnesium_supply", "alv_supply", "zircon_supply",
            "zrhf_chloride_supply")

# By-products per t of main output at 100 % yield, by hand from the reactions:
# dy_metal_reduction  ½ Dy2O3 + 3 HF + 1.5 Ca -> Dy + 1.5 H2O + 1.5 CaF2, per t Dy
#                     H2O 1.5 x 18.015 / 162.5 = 0.16629, CaF2 1.5 x 78.075 / 162.5 = 0.72069
# ti_chlorination     TiO2 + 2 Cl2 + C -> TiCl4 + CO2, per t TiCl4: CO2 44.009 / 189.679 = 0.23202
# ti_reduction        TiCl4 + 2 Mg -> Ti + 2 MgCl2, per t Ti: 2 x 95.211 / 47.867 = 3.97815
# ti_powder_making    blending, nothing left over
# zr_chlorination     (Zr,Hf)SiO4 + 4 C + 4 Cl2 -> (Zr,Hf)Cl4 + SiCl4 + 4 CO; per t of the
#                     50:1 chloride, kmol (Zr+Hf) = 0.98614 / 233.036 + 0.01386 / 320.298
#                     = 0.0042750: SiCl4 169.897 x 0.0042750 = 0.72631, CO 4 x 28.010 x
#                     0.0042750 = 0.47897
# zr_hf_separation    splitting, nothing left over
# zr_reduction        ZrCl4 + 2 Mg -> Zr + 2 MgCl2, per t Zr: 2 x 95.211 / 91.224 = 2.08742
# hf_reduction        HfCl4 + 2 Mg -> Hf + 2 MgCl2, per t Hf: 2 x 95.211 / 178.486 = 1.06687
BY_PRODUCTS: dict[str, dict[str, float]] = {
    "dy_metal_reduction": {"H2O": 0.16629, "CaF2": 0.72069},
    "ti_chlorination": {"CO2": 0.23202},
    "ti_reduction": {"MgCl2": 3.97815},
    "ti_powder_making": {},
    "zr_chlorination": {"SiCl4": 0.72631, "CO": 0.47897},
    "zr_hf_separation": {},
    "zr_reduction": {"MgCl2": 2.08742},
    "hf_reduction": {"MgCl2": 1.06687},
}


@pytest.fixture(scope="module")
def kmp():
    return load_scenario("kmp")


@pytest.fixture(scope="module")
def all_lines():
    return run_plan("kmp-all-lines")


def _leftover(sc, process_id: str) -> dict[str, float]:
    """Inputs minus outputs of one recipe at 100 % yield, element by element, t per t."""
    fractions = {c.id: c.element_fractions for c in sc.commodities}
    proc = next(p for p in sc.processes if p.id == process_id)
    out: dict[str, float] = {}
    for name, coef in proc.inputs.items():
        for el, f in fractions[name].items():
            out[el] = out.get(el, 0.0) + coef * f
    for name, coef in ((proc.main_output, 1.0), *proc.co_products.items()):
        for el, f in fractions[name].items():
            out[el] = out.get(el, 0.0) - coef * f
    return out


@pytest.mark.parametrize("process_id", LINES)
def test_recipe_leaves_exactly_the_reaction_by_products(kmp, process_id: str) -> None:
    expected: dict[str, float] = {}
    for formula, tonnes in BY_PRODUCTS[process_id].items():
        for el, f in element_fractions(formula).items():
            expected[el] = expected.get(el, 0.0) + tonnes * f
    got = _leftover(kmp, process_id)
    for el in sorted(set(got) | set(expected)):
        # coefficients are printed to 4 decimals: 1e-3 t per t covers their rounding
        assert got.get(el, 0.0) == pytest.approx(expected.get(el, 0.0), abs=1e-3), el


def test_recipes_use_the_units_factors(kmp) -> None:
    """The brief §2 factors as computed by oreline.units, to the 4 decimals of the file."""
    f = conversion_factors()
    procs = {p.id: p for p in kmp.processes}
    pairs = [
        (procs["dy_metal_reduction"].inputs["dy_oxide"], f["Dy2O3 per Dy"]),
        (procs["dy_metal_reduction"].inputs["calcium"], f["Ca per Dy (DyF3)"]),
        (procs["dy_metal_reduction"].inputs["hydrogen_fluoride"],
         3 * molar_mass("HF") / ATOMIC_WEIGHTS["Dy"]),
        (procs["ti_reduction"].inputs["ticl4"], f["TiCl4 per Ti"]),
        (procs["ti_reduction"].inputs["magnesium"], f["Mg per Ti (TiCl4)"]),
        (procs["zr_reduction"].inputs["zrcl4"], f["ZrCl4 per Zr"]),
        (procs["zr_reduction"].inputs["magnesium"], f["Mg per Zr (ZrCl4)"]),
        (procs["hf_reduction"].inputs["hfcl4"], f["HfCl4 per Hf"]),
        (procs["hf_reduction"].inputs["magnesium"], f["Mg per Hf (HfCl4)"]),
    ]
    for typed, computed in pairs:
        assert typed == pytest.approx(computed, abs=1e-4)


def test_zircon_holds_zr_and_hf_at_fifty_to_one(kmp) -> None:
    coms = {c.id: c.element_fractions for c in kmp.commodities}
    for cid in ("zircon", "zrhf_chloride"):
        assert coms[cid]["Zr"] / coms[cid]["Hf"] == pytest.approx(50, rel=2e-3), cid


def test_lines_are_off_in_kmp(kmp) -> None:
    procs = {p.id: p for p in kmp.processes}
    assert all(not ph.enabled for pid in LINES for ph in procs[pid].capacity)
    contracts = {c.id: c for c in kmp.contracts}
    assert not any(contracts[cid].enabled for cid in SUPPLIES)


def test_kmp_plan_runs_none_of_the_lines() -> None:
    made = run_plan("kmp").results.tables["production"]
    assert made[made["process"].isin(LINES)]["output_t"].abs().sum() == pytest.approx(0)


def test_all_lines_scenario_is_valid() -> None:
    assert check_scenario(load_scenario("kmp-all-lines")) == []


def test_every_line_produces_when_switched_on(all_lines) -> None:
    made = all_lines.results.tables["production"].groupby("process")["output_t"].sum()
    for pid in LINES:
        assert made.get(pid, 0.0) > 0, pid


def test_hafnium_follows_zirconium_at_one_to_fifty(all_lines) -> None:
    """Per t Zr: 2.5544 / 0.95 = 2.6888 t ZrCl4 frees 2.6888 x 0.0140 = 0.03764 t HfCl4,
    which gives 0.03764 x 0.95 / 1.7945 = 0.01993 t Hf: one part Hf to ~50 Zr [31]."""
    made = all_lines.results.tables["production"].groupby("process")["output_t"].sum()
    assert made["hf_reduction"] / made["zr_reduction"] == pytest.approx(0.01993, rel=5e-3)


def test_plan_balances_ti_zr_hf(all_lines) -> None:
    """Nothing opened, nothing bought holds Ti, Zr or Hf but the feeds; what was sold, is
    still held or in transit and what the yields lost adds up to what came in."""
    bal = all_lines.results.balance.set_index("element")
    for el in ("Ti", "Zr", "Hf", "Al", "V", "Cl", "Mg", "Ca", "F", "Si", "C", "H"):
        row = bal.loc[el]
        scale = max(1.0, row["purchased_t"])
        assert abs(row["imbalance_t"]) < 1e-6 * scale, el
        assert row["process_loss_t"] >= -1e-6 * scale, el  # no process made any
    assert bal.loc["Ti", "sold_t"] > 0 and bal.loc["Hf", "sold_t"] > 0


@pytest.mark.parametrize(("process_id", "co_or_input", "value", "element"), [
    ("zr_hf_separation", "co_products", {"hfcl4": 0.05}, "Hf"),
    ("ti_reduction", "inputs", {"ticl4": 3.5, "magnesium": 1.0155}, "Ti"),
    ("zr_chlorination", "inputs", {"zircon": 0.70, "chlorine": 1.2124, "coke": 0.2054}, "Zr"),
])
def test_scenario_check_catches_a_recipe_creating_the_new_elements(
        process_id: str, co_or_input: str, value: dict[str, float], element: str) -> None:
    data = builtin_dict("kmp")
    proc = next(p for p in data["processes"] if p["id"] == process_id)
    proc[co_or_input] = value
    with pytest.raises(ScenarioError, match=f"recipe creates {element}"):
        scenario_from(data)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.floats(0.2, 3.0), st.floats(0.2, 3.0), st.floats(0.6, 1.0))
def test_element_balance_holds_for_any_demand_and_yield(ti: float, zr: float,
                                                        yield_: float) -> None:
    """Scaled Ti and Zr demand and another Kroll yield: the plan still balances (run_plan
    raises MassBalanceError otherwise) and no process creates Ti, Zr or Hf."""
    data = read_raw("kmp-all-lines").data  # kmp with the lines' overlay applied
    for cu in data["customers"]:
        if cu["id"] == "ti_powder_buyers":
            cu["demand"] = f"{2200 * ti:.3f} t/yr alloy"
        if cu["id"] == "zr_metal_buyers":
            cu["demand"] = f"{110 * zr:.3f} t/yr metal"
    for p in data["processes"]:
        if p["id"] in ("ti_reduction", "zr_reduction", "hf_reduction"):
            p["yield"] = yield_
    bal = run_plan(scenario_from(data)).results.balance.set_index("element")
    for el in ("Ti", "Zr", "Hf"):
        assert bal.loc[el, "process_loss_t"] >= -1e-6
