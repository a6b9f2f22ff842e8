"""Units, bases and stoichiometry.

Quantities in Oreline always carry a unit **and a basis**: ``"1300 t/yr alloy"`` is
1,300 tonnes of alloy per year, ``"355 kg oxide"`` is 355 kilograms of oxide.
Internally every mass is in tonnes, every rate in tonnes per model period and
every price in currency per tonne.

Molar masses are IUPAC standard atomic weights; oxide-to-metal factors are
computed from them, never typed in.

Examples
--------
>>> round(metal_per_oxide("Nd2O3"), 3)
0.857
>>> q = parse_quantity("1300 t/yr alloy")
>>> (q.tonnes, q.per, q.basis)
(1300.0, 'year', 'alloy')
>>> round(q.per_period(months=1), 4)
108.3333
>>> parse_price("123 USD/kg").per_tonne
123000.0
>>> round(reductant_per_metal("TiCl4", "Mg"), 2)   # Kroll: TiCl4 + 2 Mg -> Ti + 2 MgCl2
1.02

"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ATOMIC_WEIGHTS",
    "BASES",
    "VALENCES",
    "Price",
    "Quantity",
    "UnitError",
    "conversion_factors",
    "element_fractions",
    "isomorphous_mix",
    "metal_per_oxide",
    "molar_mass",
    "oxide_mix_element_fractions",
    "oxide_per_metal",
    "parse_formula",
    "parse_price",
    "parse_quantity",
    "reductant_per_metal",
]

#: IUPAC standard atomic weights (abridged, conventional values), g/mol.
ATOMIC_WEIGHTS: dict[str, float] = {
    "H": 1.008, "B": 10.81, "C": 12.011, "N": 14.007, "O": 15.999, "F": 18.998403163,
    "Mg": 24.305, "Al": 26.9815384, "Si": 28.085, "Cl": 35.45, "Ca": 40.078,
    "Sc": 44.955907, "Ti": 47.867, "Fe": 55.845, "Co": 58.933194, "Cu": 63.546,
    "Y": 88.905838, "Zr": 91.224, "Nb": 92.90637, "La": 138.90547, "Ce": 140.116,
    "Pr": 140.90766, "Nd": 144.242, "Sm": 150.36, "Eu": 151.964, "Gd": 157.249,
    "Tb": 158.925354, "Dy": 162.500, "Ho": 164.930329, "Er": 167.259,
    "Tm": 168.934219, "Yb": 173.045, "Lu": 174.96669, "Hf": 178.486, "Li": 6.94,
    "Na": 22.98976928, "V": 50.9415,
}
#: Ionic charges used to balance metallothermic reductions (anions negative).
VALENCES: dict[str, int] = {"O": -2, "F": -1, "Cl": -1, "Mg": 2, "Ca": 2, "Na": 1, "Li": 1}

#: Bases a quantity may name: the commodity families plus REO-equivalent.
BASES: tuple[str, ...] = (
    "ore", "concentrate", "oxide", "metal", "alloy", "magnet", "reagent", "scrap", "REO",
)

_MASS_UNITS: dict[str, float] = {"g": 1e-6, "kg": 1e-3, "t": 1.0, "kt": 1e3}
_RATE_UNITS: dict[str, str] = {
    "month": "month", "mo": "month", "m": "month",
    "quarter": "quarter", "q": "quarter",
    "year": "year", "yr": "year", "a": "year", "y": "year",
    "period": "period",
}
_MONTHS_PER: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}

_FORMULA_TOKEN = re.compile(r"([A-Z][a-z]?)(\d*\.?\d*)")
_QUANTITY = re.compile(
    r"^\s*(?P<value>[-+]?\d+(?:[.,_]\d+)*(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*"
    r"(?P<unit>[a-zA-Z]+)(?:\s*/\s*(?P<per>[a-zA-Z]+))?\s*(?P<basis>[A-Za-z]+)?\s*$"
)
_PRICE = re.compile(
    r"^\s*(?P<value>[-+]?\d+(?:[,_]\d{3})*(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*"
    r"(?P<cur>[A-Z]{3})\s*/\s*(?P<unit>[a-zA-Z]+)\s*$"
)


class UnitError(ValueError):
    """A quantity, price or formula string cannot be read; the message says why."""


def parse_formula(formula: str) -> dict[str, float]:
    """Parse a simple chemical formula into atom counts.

    Examples
    --------
    >>> parse_formula("Tb4O7")
    {'Tb': 4.0, 'O': 7.0}

    """
    pos = 0
    counts: dict[str, float] = {}
    for match in _FORMULA_TOKEN.finditer(formula):
        if match.start() != pos:
            break
        symbol, count = match.group(1), match.group(2)
        if symbol not in ATOMIC_WEIGHTS:
            raise UnitError(f"unknown element {symbol!r} in formula {formula!r}")
        counts[symbol] = counts.get(symbol, 0.0) + (float(count) if count else 1.0)
        pos = match.end()
    if pos != len(formula) or not counts:
        raise UnitError(f"cannot read formula {formula!r}; write it like 'Nd2O3' or 'DyF3'")
    return counts


def molar_mass(formula: str) -> float:
    """Molar mass of a formula in g/mol.

    Examples
    --------
    >>> round(molar_mass("Nd2O3"), 3)
    336.481

    """
    return sum(ATOMIC_WEIGHTS[el] * n for el, n in parse_formula(formula).items())


def element_fractions(formula: str) -> dict[str, float]:
    """Mass fraction of each element in a compound.

    Examples
    --------
    >>> {k: round(v, 4) for k, v in element_fractions("Dy2O3").items()}
    {'Dy': 0.8713, 'O': 0.1287}

    """
    total = molar_mass(formula)
    return {el: ATOMIC_WEIGHTS[el] * n / total for el, n in parse_formula(formula).items()}


def metal_per_oxide(formula: str, metal: str | None = None) -> float:
    """Kilograms of ``metal`` contained in one kilogram of the compound.

    ``metal`` defaults to the first element of the formula.

    Examples
    --------
    >>> round(metal_per_oxide("Pr6O11"), 3)
    0.828
    >>> round(metal_per_oxide("DyF3"), 3)
    0.74

    """
    fractions = element_fractions(formula)
    key = metal if metal is not None else next(iter(parse_formula(formula)))
    if key not in fractions:
        raise UnitError(f"{formula} contains no {key}")
    return fractions[key]


def oxide_per_metal(formula: str, metal: str | None = None) -> float:
    """Kilograms of compound holding one kilogram of ``metal`` (inverse of metal_per_oxide).

    Examples
    --------
    >>> round(oxide_per_metal("Nd2O3"), 3)
    1.166

    """
    return 1.0 / metal_per_oxide(formula, metal)


def oxide_mix_element_fractions(mix: dict[str, float]) -> dict[str, float]:
    """Element mass fractions of a mixture of compounds given by mass share.

    Examples
    --------
    >>> f = oxide_mix_element_fractions({"Nd2O3": 0.75, "Pr6O11": 0.25})
    >>> round(f["Nd"] + f["Pr"], 3)
    0.85

    """
    share_total = sum(mix.values())
    if abs(share_total - 1.0) > 1e-9:
        raise UnitError(f"mixture shares sum to {share_total:g}, not 1")
    out: dict[str, float] = {}
    for formula, share in mix.items():
        for el, frac in element_fractions(formula).items():
            out[el] = out.get(el, 0.0) + share * frac
    return out


def reductant_per_metal(compound: str, reductant: str) -> float:
    """Kilograms of ``reductant`` that reduce the compound holding one kilogram of its metal.

    The reductant takes the compound's anions (``VALENCES``): the Kroll reaction
    TiCl4 + 2 Mg -> Ti + 2 MgCl2 needs 2 x 24.305 / 47.867 = 1.016 kg Mg per kg Ti;
    the calciothermic 2 DyF3 + 3 Ca -> 2 Dy + 3 CaF2 needs 1.5 x 40.078 / 162.5 =
    0.370 kg Ca per kg Dy. The metal is the formula's first element.

    Examples
    --------
    >>> round(reductant_per_metal("ZrCl4", "Mg"), 2), round(reductant_per_metal("DyF3", "Ca"), 2)
    (0.53, 0.37)

    """
    counts = parse_formula(compound)
    metal = next(iter(counts))
    anions = {el: n for el, n in counts.items() if VALENCES.get(el, 0) < 0}
    if not anions or VALENCES.get(reductant, 0) <= 0:
        raise UnitError(
            f"cannot balance {compound} with {reductant}: give a compound with O, F or Cl "
            f"and a reductant among {', '.join(k for k, v in VALENCES.items() if v > 0)}"
        )
    charge = -sum(VALENCES[el] * n for el, n in anions.items())
    moles = charge / VALENCES[reductant]
    return moles * ATOMIC_WEIGHTS[reductant] / (counts[metal] * ATOMIC_WEIGHTS[metal])


def isomorphous_mix(major: str, minor: str, mass_ratio: float) -> dict[str, float]:
    """Mass shares of two compounds whose first elements stand at ``mass_ratio`` : 1.

    Hafnium replaces zirconium in zircon: with Zr:Hf = 50:1 by mass, zircon is
    98.5 % ZrSiO4 and 1.5 % HfSiO4 and holds 49.0 % Zr and 0.98 % Hf.

    Examples
    --------
    >>> {k: round(v, 4) for k, v in isomorphous_mix("ZrSiO4", "HfSiO4", 50).items()}
    {'ZrSiO4': 0.9851, 'HfSiO4': 0.0149}

    """
    if not mass_ratio > 0:
        raise UnitError(f"mass ratio must be > 0, got {mass_ratio!r}")
    # share x of major: x * f_major = mass_ratio * (1 - x) * f_minor
    f_major, f_minor = metal_per_oxide(major), metal_per_oxide(minor)
    x = mass_ratio * f_minor / (f_major + mass_ratio * f_minor)
    return {major: x, minor: 1.0 - x}


def conversion_factors() -> dict[str, float]:
    """The brief's section 1-2 factors for the heavy-RE, Ti, Zr and Hf lines, computed.

    Keys name the ratio as ``"<kg of what> per <kg of what>"``.

    Examples
    --------
    >>> f = conversion_factors()
    >>> round(f["Ti per TiO2"], 3), round(f["TiCl4 per Ti"], 2), round(f["Hf per HfO2"], 3)
    (0.599, 3.96, 0.848)

    """
    out: dict[str, float] = {}
    for compound in ("Dy2O3", "Tb4O7", "DyF3", "TbF3", "TiO2", "ZrSiO4", "ZrO2", "HfCl4",
                     "HfO2"):
        metal = next(iter(parse_formula(compound)))
        out[f"{metal} per {compound}"] = metal_per_oxide(compound)
        out[f"{compound} per {metal}"] = oxide_per_metal(compound)
    for compound, reductant in (("TiCl4", "Mg"), ("ZrCl4", "Mg"), ("HfCl4", "Mg"),
                                ("DyF3", "Ca"), ("TbF3", "Ca")):
        metal = next(iter(parse_formula(compound)))
        out[f"{compound} per {metal}"] = oxide_per_metal(compound)
        out[f"{reductant} per {metal} ({compound})"] = reductant_per_metal(compound, reductant)
    return out


@dataclass(frozen=True)
class Quantity:
    """A mass, or a mass rate, with its basis.

    Attributes
    ----------
    tonnes
        The amount in tonnes (per ``per`` for a rate).
    per
        ``None`` for a stock, else ``"month"``, ``"quarter"``, ``"year"`` or ``"period"``.
    basis
        What the tonnes are of: a commodity family (``"oxide"``, ``"alloy"``...) or ``"REO"``.

    """

    tonnes: float
    per: str | None
    basis: str | None

    def per_period(self, months: int) -> float:
        """The rate in tonnes per model period of ``months`` months."""
        if self.per is None or self.per == "period":
            return self.tonnes
        return self.tonnes * months / _MONTHS_PER[self.per]

    def __str__(self) -> str:
        per = f"/{self.per}" if self.per else ""
        basis = f" {self.basis}" if self.basis else ""
        return f"{_exact(self.tonnes)} t{per}{basis}"


@dataclass(frozen=True)
class Price:
    """A price in a currency per tonne."""

    per_tonne: float
    currency: str

    def __str__(self) -> str:
        return f"{_exact(self.per_tonne)} {self.currency}/t"


def _exact(value: float) -> str:
    """Shortest text that reads back as exactly ``value``: ``3000000``, ``0.355``.

    (``:g`` would keep only 6 digits and write ``3e+06``.)
    """
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _number(text: str, whole: str) -> float:
    try:
        return float(text.replace(",", "").replace("_", ""))
    except ValueError as exc:  # pragma: no cover - regex guards this
        raise UnitError(f"cannot read the number in {whole!r}") from exc


def parse_quantity(value: object, *, rate: bool | None = None) -> Quantity:
    """Read ``"<number> <unit>[/<period>] <basis>"`` into a :class:`Quantity`.

    Parameters
    ----------
    value
        A string such as ``"30 t/month oxide"`` or ``"355 kg oxide"``.
    rate
        ``True`` requires a rate (``t/yr``), ``False`` forbids one, ``None`` allows both.

    Raises
    ------
    UnitError
        When the unit, period or basis is missing or unknown; the message gives an example.

    """
    if isinstance(value, Quantity):
        return value
    text = str(value)
    example = "'30 t/month oxide'" if rate else "'355 kg oxide'"
    match = _QUANTITY.match(text)
    if match is None:
        raise UnitError(
            f"cannot read quantity {text!r}; write '<number> <unit>[/<period>] <basis>', "
            f"e.g. {example}"
        )
    unit, per, basis = match.group("unit"), match.group("per"), match.group("basis")
    if unit not in _MASS_UNITS:
        raise UnitError(
            f"unknown mass unit {unit!r} in {text!r}; use one of {', '.join(_MASS_UNITS)}"
        )
    per_norm: str | None = None
    if per is not None:
        if per.lower() not in _RATE_UNITS:
            raise UnitError(
                f"unknown period {per!r} in {text!r}; use /month, /quarter, /yr or /period"
            )
        per_norm = _RATE_UNITS[per.lower()]
    if rate is True and per_norm is None:
        raise UnitError(f"{text!r} is a stock, a rate is needed here, e.g. {example}")
    if rate is False and per_norm is not None:
        raise UnitError(f"{text!r} is a rate, a plain mass is needed here, e.g. {example}")
    if basis is None:
        raise UnitError(
            f"quantity {text!r} has no basis; add what it is of ({', '.join(BASES)}), "
            f"e.g. {example}"
        )
    basis_norm = "REO" if basis.upper() == "REO" else basis.lower()
    if basis_norm not in BASES:
        raise UnitError(f"unknown basis {basis!r} in {text!r}; use one of {', '.join(BASES)}")
    tonnes = _number(match.group("value"), text) * _MASS_UNITS[unit]
    return Quantity(tonnes=tonnes, per=per_norm, basis=basis_norm)


def parse_price(value: object, currency: str | None = None) -> Price:
    """Read ``"<number> <CUR>/<kg|t>"`` into a :class:`Price` per tonne.

    Raises
    ------
    UnitError
        When the form, unit or currency is wrong.

    """
    if isinstance(value, Price):
        return value
    text = str(value)
    match = _PRICE.match(text)
    if match is None:
        raise UnitError(f"cannot read price {text!r}; write e.g. '123 USD/kg' or '85000 USD/t'")
    unit, cur = match.group("unit"), match.group("cur")
    if unit not in _MASS_UNITS:
        raise UnitError(f"unknown mass unit {unit!r} in price {text!r}; use kg or t")
    if currency is not None and cur != currency:
        raise UnitError(
            f"price {text!r} is in {cur} but the scenario's currency is {currency}; "
            f"convert it to {currency}"
        )
    return Price(per_tonne=_number(match.group("value"), text) / _MASS_UNITS[unit], currency=cur)
