"""Rec 20 units of mass converted exactly; counts through the mass per piece."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oreline.ledger.profile.quantities import MASS_UNITS, mass_kg, read_quantity


def test_the_pound_and_ounce_are_exact() -> None:
    """1 lb = 0.45359237 kg (1959 agreement); 1 oz = lb / 16 = 0.028349523125 kg."""
    assert mass_kg(1, "LBR") == 0.45359237
    assert mass_kg(1, "ONZ") == 0.028349523125
    assert mass_kg(16, "ONZ") == mass_kg(1, "LBR")


@pytest.mark.parametrize(("uom", "grams"), [
    ("GRM", "1"), ("MGM", "0.001"), ("MC", "0.000001"), ("KGM", "1000"),
    ("TNE", "1000000"), ("DTN", "100000"), ("KTN", "1000000000"), ("HGM", "100"),
    ("CTM", "0.2"), ("GRN", "0.06479891"),  # grain: 64.79891 mg by definition
    ("APZ", "31.1034768"),  # troy ounce: 480 grains
    ("LBT", "373.2417216"),  # troy pound: 5760 grains
    ("STI", "6350.29318"),  # stone: 14 lb
    ("QTR", "12700.58636"), ("CNT", "45359.237"),  # 28 lb and 100 lb
    ("SCR", "1.2959782"), ("M86", "500"),  # scruple: 20 grains; pfund: 500 g
    ("CWA", "45359.237"), ("CWI", "50802.34544"),  # 100 lb and 112 lb
    ("STN", "907184.74"), ("LTN", "1016046.9088"),  # 2000 lb and 2240 lb
    ("DRI", "1.7718451953125"),  # avoirdupois dram: lb / 256
    ("DRA", "3.8879346"),  # apothecaries' dram: 60 grains
])
def test_each_unit_of_mass_has_its_published_value(uom: str, grams: str) -> None:
    """The factors written out by hand from the unit definitions, in grams."""
    assert MASS_UNITS[uom] == Fraction(grams) / 1000
    assert mass_kg(1, uom) == float(Fraction(grams) / 1000)


@given(st.floats(min_value=1e-6, max_value=1e9), st.sampled_from(sorted(MASS_UNITS)))
def test_conversion_rounds_once(qty: float, uom: str) -> None:
    """The result is the exact product rounded once to the nearest float."""
    exact = Fraction(qty) * MASS_UNITS[uom]
    got = mass_kg(qty, uom)
    error = abs(Fraction(got) - exact)
    for neighbour in (math.nextafter(got, 0.0), math.nextafter(got, math.inf)):
        assert error <= abs(Fraction(neighbour) - exact)  # no float is nearer


def test_pieces_need_the_mass_per_piece() -> None:
    """240 pieces x 12.5 g = 3 kg; without a mass per piece, a finding."""
    q = {"epcClass": "urn:c:magnet", "quantity": 240, "uom": "H87"}
    assert read_quantity(q, 0.0125).kg == 3.0
    assert read_quantity({**q, "uom": "EA"}, 0.0125).kg == 3.0
    assert read_quantity({"epcClass": "urn:c:magnet", "quantity": 240}, 0.0125).kg == 3.0
    found = read_quantity(q, None).finding
    assert found is not None and found.code == "finding.pieces"
    assert "counted in pieces" in found.message and "mass per piece" in found.fix


def test_other_units_and_no_quantity_are_findings() -> None:
    litres = read_quantity({"epcClass": "urn:c:oil", "quantity": 5, "uom": "LTR"}, None)
    assert litres.kg is None and litres.finding is not None
    assert litres.finding.code == "finding.not_mass"
    bare = read_quantity({"epcClass": "urn:c:x"}, None)
    assert bare.finding is not None and bare.finding.code == "finding.no_quantity"
    refused = read_quantity({"epcClass": "urn:c:x", "quantity": 1, "uom": "kg"}, None)
    assert refused == type(refused)(None, None)
