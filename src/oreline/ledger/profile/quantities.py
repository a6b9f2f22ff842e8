"""Quantities of any unit a partner writes: mass units converted exactly, pieces by mass.

EPCIS 2.0 writes a quantity element as ``epcClass``, ``quantity`` and an optional
``uom``, a UN/ECE Recommendation 20 code; without ``uom`` the quantity is a count of
instances (EPCIS 2.0 section 7.3.3.3). Our profile keeps stock and mass balance in
kilograms, so :func:`read_quantity` turns each element into kilograms where it can:

* every Rec 20 unit of mass (:data:`MASS_UNITS`) by its exact definition (the pound is
  0.45359237 kg by the international yard and pound agreement of 1959; the other
  imperial and troy units are multiples of the pound or the grain), rounded once;
* a count (no ``uom``, or ``H87`` piece, ``EA`` each, ``C62`` one, ``NAR`` number of
  articles) times the mass per piece the event's master data gives (``massPerPiece``
  in kg in the class's ``ilmd["oreline:lotMaster"]`` entry: the ILMD is in the hash
  chain, so a deep verify re-derives the same kilograms; a document header's master
  data is not).

Anything else (a count without a mass per piece, a volume or a length, no ``quantity``)
is valid EPCIS outside our profile: the event is kept and the element reported as a
finding (:class:`~oreline.errors.Issue` with a ``finding.*`` code), not refused.

Examples
--------
>>> mass_kg(1, "LBR"), mass_kg(1, "ONZ"), mass_kg(2500, "GRM")
(0.45359237, 0.028349523125, 2.5)
>>> read_quantity({"epcClass": "urn:l:1", "quantity": 12, "uom": "H87"}, 0.5)
QtyRead(kg=6.0, finding=None)
>>> read_quantity({"epcClass": "urn:l:1", "quantity": 12}, None).finding.code
'finding.pieces'

"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from oreline.errors import Issue

__all__ = ["COUNT_UNITS", "MASS_UNITS", "QtyRead", "mass_kg", "read_quantity"]

_LB = Fraction("0.45359237")  # kg, exact (1959)
_GRAIN = _LB / 7000  # 64.79891 mg, exact
#: Kilograms per unit of every UN/ECE Rec 20 unit of mass, as exact fractions.
MASS_UNITS: dict[str, Fraction] = {
    "KGM": Fraction(1),  # kilogram
    "GRM": Fraction(1, 10**3),  # gram
    "MGM": Fraction(1, 10**6),  # milligram
    "MC": Fraction(1, 10**9),  # microgram
    "DG": Fraction(1, 10**4),  # decigram
    "CGM": Fraction(1, 10**5),  # centigram
    "DJ": Fraction(1, 10**2),  # decagram
    "HGM": Fraction(1, 10),  # hectogram
    "TNE": Fraction(10**3),  # tonne (metric ton)
    "2U": Fraction(10**3),  # megagram
    "DTN": Fraction(10**2),  # decitonne (metric centner, quintal)
    "KTN": Fraction(10**6),  # kilotonne
    "CTM": Fraction(2, 10**4),  # metric carat (200 mg)
    "M86": Fraction(1, 2),  # pfund (500 g)
    "LBR": _LB,  # pound (avoirdupois)
    "ONZ": _LB / 16,  # ounce (avoirdupois) = 0.028349523125 kg
    "DRI": _LB / 256,  # dram (UK, avoirdupois)
    "GRN": _GRAIN,  # grain
    "SCR": _GRAIN * 20,  # scruple
    "DRA": _GRAIN * 60,  # dram (US, apothecaries')
    "APZ": _GRAIN * 480,  # troy ounce or apothecary ounce
    "LBT": _GRAIN * 5760,  # troy pound
    "STI": _LB * 14,  # stone (UK)
    "QTR": _LB * 28,  # quarter (UK)
    "CNT": _LB * 100,  # cental (UK)
    "CWA": _LB * 100,  # hundred pound (cwt, US)
    "CWI": _LB * 112,  # hundredweight (UK)
    "STN": _LB * 2000,  # ton (US), short ton
    "LTN": _LB * 2240,  # ton (UK), long ton
}
#: Rec 20 units of count (a quantity without ``uom`` is a count too).
COUNT_UNITS = frozenset({"H87", "EA", "C62", "NAR"})
_REC20 = re.compile(r"^[A-Z0-9]{2,3}$")  # the pattern of the EPCIS 2.0 JSON Schema


def mass_kg(quantity: float, uom: str) -> float:
    """``quantity`` of a Rec 20 unit of mass in kilograms, rounded once (exact factor).

    Raises
    ------
    KeyError
        When ``uom`` is not in :data:`MASS_UNITS`.

    """
    factor = MASS_UNITS[uom]
    if type(quantity) is float or (type(quantity) is int and abs(quantity) <= 2**53):
        # one IEEE operation by an exact integer is the exact result rounded once
        if factor.denominator == 1:
            return float(quantity) * factor.numerator
        if factor.numerator == 1:
            return float(quantity) / factor.denominator
    return float(Fraction(quantity) * factor)


@dataclass(frozen=True)
class QtyRead:
    """A quantity element read: its kilograms, or why it has none (a finding).

    ``kg`` and ``finding`` are both ``None`` for an element that is refused (the caller
    reports the problem); :func:`read_quantity` returns that only for bad ``uom`` codes.
    """

    kg: float | None
    finding: Issue | None = None  # without ``where``: the caller names the event


def _finding(field: str, message: str, fix: str, code: str) -> Issue:
    return Issue("", field, message, fix, code=code)


def read_quantity(q: Mapping[str, Any], per_piece: float | None,
                  field: str = "quantityList[0]") -> QtyRead:
    """Kilograms of a quantity element, or the finding that keeps it out of the balance.

    ``per_piece`` is the mass of one piece of the element's class in kilograms, when the
    master data gives it. The caller has checked ``epcClass`` and that ``quantity``,
    when given, is a positive number; a ``uom`` that is no Rec 20 code gives
    ``QtyRead(None, None)`` (refused by the caller).
    """
    lot = str(q.get("epcClass"))
    if "quantity" not in q:
        return QtyRead(None, _finding(
            field, f"lot {lot} is given without a quantity: not in stock or the mass "
            "balance", "give its quantity and uom (e.g. KGM) to include it",
            "finding.no_quantity"))
    qty = float(q["quantity"])
    uom = q.get("uom")
    if uom is not None and (type(uom) is not str or not _REC20.match(uom)):
        return QtyRead(None, None)
    if uom in MASS_UNITS:
        return QtyRead(mass_kg(q["quantity"], str(uom)))
    if uom is None or uom in COUNT_UNITS:
        if per_piece is not None:
            return QtyRead(float(Fraction(q["quantity"]) * Fraction(per_piece)))
        return QtyRead(None, _finding(
            field, f"lot {lot} is counted in pieces ({qty:g} {uom or 'pieces'}): not "
            "mass-balanced", "give the mass per piece to include it (massPerPiece in kg "
            "in the lot's ilmd.oreline:lotMaster entry)",
            "finding.pieces"))
    return QtyRead(None, _finding(
        f"{field}.uom", f"lot {lot} is measured in {uom}, not a unit of mass or a count: "
        "not mass-balanced", "give the quantity in a unit of mass (KGM, TNE, LBR...) to "
        "include it", "finding.not_mass"))
