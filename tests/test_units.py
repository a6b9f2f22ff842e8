"""Units and stoichiometry, checked against the domain brief's tables (section 1 and 2)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oreline.units import (
    ATOMIC_WEIGHTS,
    BASES,
    VALENCES,
    Price,
    Quantity,
    UnitError,
    conversion_factors,
    element_fractions,
    isomorphous_mix,
    metal_per_oxide,
    molar_mass,
    oxide_mix_element_fractions,
    oxide_per_metal,
    parse_formula,
    parse_price,
    parse_quantity,
    reductant_per_metal,
)

# /work/shared/domain/brief.md section 1, "Theoretical conversion factors":
# (compound, metal, kg metal / kg oxide, kg oxide / kg metal or None for "-")
BRIEF_TABLE = [
    ("Nd2O3", "Nd", 0.857, 1.166),
    ("Pr6O11", "Pr", 0.828, 1.208),
    ("Dy2O3", "Dy", 0.871, 1.148),
    ("Tb4O7", "Tb", 0.850, 1.176),
    ("La2O3", "La", 0.853, 1.173),
    ("CeO2", "Ce", 0.814, 1.228),
    ("DyF3", "Dy", 0.740, None),
]


@pytest.mark.parametrize(("formula", "metal", "per_oxide", "per_metal"), BRIEF_TABLE)
def test_brief_conversion_factors(formula: str, metal: str, per_oxide: float,
                                  per_metal: float | None) -> None:
    assert round(metal_per_oxide(formula, metal), 3) == per_oxide
    assert round(metal_per_oxide(formula), 3) == per_oxide  # metal defaults to the first element
    if per_metal is not None:
        assert round(oxide_per_metal(formula, metal), 3) == per_metal


def test_brief_ndpr_oxide_mix() -> None:
    """NdPr oxide (75:25 Nd2O3:Pr6O11) -> NdPr metal: 0.850 and 1.176."""
    fractions = oxide_mix_element_fractions({"Nd2O3": 0.75, "Pr6O11": 0.25})
    ndpr = fractions["Nd"] + fractions["Pr"]
    assert round(ndpr, 3) == 0.850
    # The brief's 1.176 is 1/0.850, the inverse of the rounded factor; the exact inverse
    # is 1.17655..., which rounds to 1.177. Both are checked so a change to either shows.
    assert round(1 / round(ndpr, 3), 3) == 1.176
    assert 1.1765 < 1 / ndpr < 1.1766
    assert math.isclose(sum(fractions.values()), 1.0, rel_tol=1e-12)
    assert fractions["Nd"] == pytest.approx(0.75 * metal_per_oxide("Nd2O3"), rel=1e-12)


@pytest.mark.parametrize(("formula", "metal", "factor"), [
    # brief section 2 (Ti, Zr, Hf), each given to 3 decimals
    ("TiO2", "Ti", 0.599), ("ZrSiO4", "Zr", 0.498), ("ZrO2", "Zr", 0.740),
    ("HfCl4", "Hf", 0.557), ("HfO2", "Hf", 0.848),
])
def test_brief_section2_factors(formula: str, metal: str, factor: float) -> None:
    assert round(metal_per_oxide(formula, metal), 3) == factor


def test_brief_worked_example() -> None:
    """1 t alloy at 30.5% RE: ~290 kg PrNd metal, ~341 kg oxide, ~355 kg at 96% yield."""
    ndpr = sum(v for k, v in oxide_mix_element_fractions(
        {"Nd2O3": 0.75, "Pr6O11": 0.25}).items() if k in ("Nd", "Pr"))
    oxide = 290 / ndpr
    assert round(oxide) == 341
    assert round(oxide / 0.96) == 355


def test_molar_masses_from_atomic_weights() -> None:
    assert molar_mass("Nd2O3") == pytest.approx(2 * 144.242 + 3 * 15.999, abs=1e-9)
    assert molar_mass("Tb4O7") == pytest.approx(4 * 158.925354 + 7 * 15.999, abs=1e-9)
    assert parse_formula("Pr6O11") == {"Pr": 6.0, "O": 11.0}
    assert element_fractions("Fe") == {"Fe": 1.0}


@pytest.mark.parametrize(("text", "message"), [
    ("Xx2O3", "unknown element 'Xx'"),
    ("nd2o3", "cannot read formula 'nd2o3'"),
    ("", "cannot read formula ''"),
])
def test_bad_formulas(text: str, message: str) -> None:
    with pytest.raises(UnitError, match=message):
        parse_formula(text)


def test_metal_not_in_compound() -> None:
    with pytest.raises(UnitError, match="Dy2O3 contains no Nd"):
        metal_per_oxide("Dy2O3", "Nd")


def test_mix_shares_must_sum_to_one() -> None:
    with pytest.raises(UnitError, match=r"mixture shares sum to 0\.9, not 1"):
        oxide_mix_element_fractions({"Nd2O3": 0.6, "Pr6O11": 0.3})


# --------------------------------------------------------------------------- quantities


@pytest.mark.parametrize(("text", "tonnes", "per", "basis"), [
    ("1300 t/yr alloy", 1300.0, "year", "alloy"),
    ("355 kg oxide", 0.355, None, "oxide"),
    ("1,157 t/a oxide", 1157.0, "year", "oxide"),
    ("2 kt/quarter metal", 2000.0, "quarter", "metal"),
    ("500 g/month REO", 0.0005, "month", "REO"),
    ("3 t/period reo", 3.0, "period", "REO"),
    ("1.5e2 t/mo magnet", 150.0, "month", "magnet"),
])
def test_parse_quantity(text: str, tonnes: float, per: str | None, basis: str) -> None:
    assert parse_quantity(text) == Quantity(tonnes, per, basis)


def test_per_period() -> None:
    q = parse_quantity("1200 t/yr alloy")
    assert (q.per_period(1), q.per_period(3), q.per_period(12)) == (100.0, 300.0, 1200.0)
    assert parse_quantity("30 t/quarter alloy").per_period(1) == 10.0
    assert parse_quantity("7 t/period alloy").per_period(3) == 7.0
    assert parse_quantity("7 t alloy").per_period(3) == 7.0


@pytest.mark.parametrize(("text", "rate", "message"), [
    ("1300 t/yr", True, "has no basis"),
    ("355 kgs oxide", None, "unknown mass unit 'kgs'"),
    ("10 t/week oxide", True, "unknown period 'week'"),
    ("10 t oxide", True, "is a stock, a rate is needed here"),
    ("10 t/month oxide", False, "is a rate, a plain mass is needed here"),
    ("10 t/month oxid", True, "unknown basis 'oxid'"),
    ("ten t oxide", None, "cannot read quantity 'ten t oxide'"),
])
def test_bad_quantities(text: str, rate: bool | None, message: str) -> None:
    with pytest.raises(UnitError, match=message):
        parse_quantity(text, rate=rate)


def test_parse_price() -> None:
    assert parse_price("123 USD/kg") == Price(123_000.0, "USD")
    assert parse_price("85,000 EUR/t") == Price(85_000.0, "EUR")
    assert str(parse_price("0.1 USD/kg")) == "100 USD/t"
    with pytest.raises(UnitError, match="is in EUR but the scenario's currency is USD"):
        parse_price("5 EUR/kg", currency="USD")
    with pytest.raises(UnitError, match="cannot read price '5 usd/kg'"):
        parse_price("5 usd/kg")
    with pytest.raises(UnitError, match="unknown mass unit 'lb'"):
        parse_price("5 USD/lb")


def test_str_keeps_every_digit() -> None:
    """``:g`` would write 1.23457e+06 and lose the rest; an export must not."""
    q = parse_quantity("1234567.5 t/yr alloy")
    assert str(q) == "1234567.5 t/year alloy"
    assert str(parse_quantity("1300 t/yr alloy")) == "1300 t/year alloy"
    assert str(Price(61_234.567, "USD")) == "61234.567 USD/t"


# --------------------------------------------------------------------------- properties

finite = st.floats(allow_nan=False, allow_infinity=False)
quantities = st.builds(
    Quantity, tonnes=finite, per=st.sampled_from([None, "month", "quarter", "year", "period"]),
    basis=st.sampled_from(BASES),
)
prices = st.builds(Price, per_tonne=finite,
                   currency=st.from_regex(r"\A[A-Z]{3}\Z"))


@given(quantities)
def test_quantity_text_round_trip(q: Quantity) -> None:
    assert parse_quantity(str(q)) == q
    assert parse_quantity(str(q), rate=q.per is not None) == q


@given(prices)
def test_price_text_round_trip(p: Price) -> None:
    assert parse_price(str(p)) == p


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["g", "kg", "t", "kt"]))
def test_mass_units_scale(amount: int, unit: str) -> None:
    scale = {"g": 1e-6, "kg": 1e-3, "t": 1.0, "kt": 1e3}[unit]
    assert parse_quantity(f"{amount} {unit} oxide").tonnes == pytest.approx(amount * scale)


metals = st.sampled_from(sorted(set(ATOMIC_WEIGHTS) - {"O"}))


@given(metals, st.integers(min_value=1, max_value=9), st.integers(min_value=1, max_value=12))
def test_metal_per_oxide_times_oxide_per_metal_is_one(metal: str, m: int, o: int) -> None:
    formula = f"{metal}{m if m > 1 else ''}O{o if o > 1 else ''}"
    per_oxide, per_metal = metal_per_oxide(formula), oxide_per_metal(formula)
    assert math.isclose(per_oxide * per_metal, 1.0, rel_tol=1e-12)
    assert 0 < per_oxide < 1
    assert math.isclose(sum(element_fractions(formula).values()), 1.0, rel_tol=1e-12)


# /work/shared/domain/brief.md sections 1-2, the factors of the product lines, as printed:
# (key of conversion_factors(), printed value, decimals printed)
BRIEF_LINES = [
    ("Dy per Dy2O3", 0.871, 3), ("Dy2O3 per Dy", 1.148, 3),
    ("Tb per Tb4O7", 0.850, 3), ("Tb4O7 per Tb", 1.176, 3),
    ("Dy per DyF3", 0.740, 3),
    ("Ti per TiO2", 0.599, 3), ("TiCl4 per Ti", 3.96, 2), ("Mg per Ti (TiCl4)", 1.02, 2),
    ("Zr per ZrSiO4", 0.498, 3), ("Zr per ZrO2", 0.740, 3),
    ("ZrCl4 per Zr", 2.55, 2), ("Mg per Zr (ZrCl4)", 0.53, 2),
    ("Hf per HfCl4", 0.557, 3), ("Hf per HfO2", 0.848, 3),
    ("Ca per Dy (DyF3)", 0.37, 2),
]


@pytest.mark.parametrize(("key", "printed", "decimals"), BRIEF_LINES)
def test_brief_product_line_factors(key: str, printed: float, decimals: int) -> None:
    assert round(conversion_factors()[key], decimals) == printed


def test_kroll_and_calciothermic_reductants_by_hand() -> None:
    """TiCl4 + 2 Mg -> Ti + 2 MgCl2: 2 x 24.305 / 47.867 = 1.01552 kg Mg per kg Ti.

    ZrCl4: 2 x 24.305 / 91.224 = 0.53287; HfCl4: 2 x 24.305 / 178.486 = 0.27234;
    2 DyF3 + 3 Ca -> 2 Dy + 3 CaF2: 1.5 x 40.078 / 162.500 = 0.36995;
    2 TbF3 + 3 Ca: 1.5 x 40.078 / 158.925354 = 0.37827.
    """
    assert reductant_per_metal("TiCl4", "Mg") == pytest.approx(1.01552, abs=1e-5)
    assert reductant_per_metal("ZrCl4", "Mg") == pytest.approx(0.53287, abs=1e-5)
    assert reductant_per_metal("HfCl4", "Mg") == pytest.approx(0.27234, abs=1e-5)
    assert reductant_per_metal("DyF3", "Ca") == pytest.approx(0.36995, abs=1e-5)
    assert reductant_per_metal("TbF3", "Ca") == pytest.approx(0.37827, abs=1e-5)
    # an oxide takes twice the reductant per anion: TiO2 + 2 Ca -> Ti + 2 CaO
    assert reductant_per_metal("TiO2", "Ca") == pytest.approx(2 * 40.078 / 47.867)


@pytest.mark.parametrize(("compound", "reductant"), [("TiCl4", "Fe"), ("Ti", "Mg"),
                                                     ("TiCl4", "Cl")])
def test_reductant_per_metal_refuses_what_it_cannot_balance(compound: str,
                                                            reductant: str) -> None:
    with pytest.raises(UnitError, match="cannot balance"):
        reductant_per_metal(compound, reductant)


def test_new_compounds_are_known() -> None:
    """Element fractions of the compounds the product lines use, e.g. MgCl2: Mg 24.305 /
    95.205 = 0.2553; CaF2: Ca 40.078 / 78.075 = 0.5133; HfSiO4: Hf 178.486 / 270.567."""
    expected = {"MgCl2": ("Mg", 0.2553), "CaF2": ("Ca", 0.5133), "TiCl4": ("Ti", 0.2524),
                "ZrCl4": ("Zr", 0.3915), "TbF3": ("Tb", 0.7360), "HfSiO4": ("Hf", 0.6597),
                "HF": ("F", 0.9496), "SiCl4": ("Si", 0.1653), "V2O5": ("V", 0.5602)}
    for formula, (element, fraction) in expected.items():
        fractions = element_fractions(formula)
        assert round(fractions[element], 4) == fraction, formula
        assert math.isclose(sum(fractions.values()), 1.0, rel_tol=1e-12)


def test_zircon_at_fifty_to_one() -> None:
    """Zr:Hf 50:1 [31]: zircon then holds 49.0 % Zr (brief: ~49 %) and 0.98 % Hf (0.4-1.5 %)."""
    fractions = oxide_mix_element_fractions(isomorphous_mix("ZrSiO4", "HfSiO4", 50))
    assert round(fractions["Zr"], 3) == 0.490
    assert 0.004 <= fractions["Hf"] <= 0.015
    assert fractions["Zr"] / fractions["Hf"] == pytest.approx(50)


@given(st.sampled_from(["Ti", "Zr", "Hf", "Dy", "Nd", "Fe", "Al"]), st.integers(1, 6),
       st.sampled_from(["Mg", "Ca", "Na", "Li"]))
def test_reduction_leaves_the_reductant_salt_exactly(metal: str, x: int, reductant: str) -> None:
    """M Cl_x + reductant -> M + salt: the reductant carries exactly the x chlorides away."""
    compound = f"{metal}Cl{x if x > 1 else ''}"
    per_kg = reductant_per_metal(compound, reductant)
    moles_reductant = per_kg * ATOMIC_WEIGHTS[metal] / ATOMIC_WEIGHTS[reductant]
    assert math.isclose(moles_reductant * VALENCES[reductant], x, rel_tol=1e-12)


@given(st.floats(min_value=1.0, max_value=1e4))
def test_isomorphous_mix_returns_the_ratio(ratio: float) -> None:
    mix = isomorphous_mix("ZrCl4", "HfCl4", ratio)
    fractions = oxide_mix_element_fractions(mix)
    assert math.isclose(fractions["Zr"] / fractions["Hf"], ratio, rel_tol=1e-9)
    assert math.isclose(sum(mix.values()), 1.0, rel_tol=1e-12)


def test_factor_table_in_the_docs_is_the_code() -> None:
    """docs/scenario-format.md lists the product-line factors; they must be the code's."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "scenario-format.md").read_text(
        encoding="utf-8")
    block = re.search(r"<!-- factors:start -->\n(.*?)<!-- factors:end -->", text, re.S)
    assert block is not None
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in block.group(1).splitlines()[2:]]
    assert len(rows) == 11
    for compound, per_kg, per_metal, reductant in rows:
        assert float(per_kg) == round(metal_per_oxide(compound), 4), compound
        assert float(per_metal) == round(oxide_per_metal(compound), 4), compound
        if reductant:
            name, value = reductant.split()
            assert float(value) == round(reductant_per_metal(compound, name), 4), compound
