"""Custody rules: origin propagation, element mass balance and mass-balance accounts.

* **Origin propagation** (identity preserved and segregated custody): a lot's origin is a
  list of *parts*, each a share of the lot's rare-earth content with the country of every
  stage reached so far. A transformation merges its inputs' parts, weighted by the rare
  earth mass each input brings (so a 1.5 % Dy addition shows up), then stamps its own
  stage with the site's country. Scrap and swarf outputs carry the same parts.
* **Element mass balance**: for each element, output mass / input mass must lie within
  the step's expected recovery +- tolerance and never above 1 (nothing from nowhere);
  an element in an output that no input holds breaks assay continuity.
* **Mass-balance accounts** (ISO 22095): per site x element x characteristic; the credit
  method (credits in, debits out, closing >= 0, a credit spent once, never moved between
  sites) and the rolling-average percentage method. Only claims spend credits; a closed
  transformation's element losses debit their compliant part (:func:`process_losses`),
  so credits never exceed the compliant material that entered less what processes lost.
  The accounts' arithmetic is :mod:`oreline.ledger.rules.accounts`; reading them,
  ``ledger/store/accounts.py``.

Examples
--------
>>> parts = receipt_parts({"mined": "AU", "separated": "MY"}, "segregated", [])
>>> merged = merge_parts([(0.95, parts), (0.05, receipt_parts({"mined": "CN",
...     "separated": "CN"}, "segregated", []))], "refined", "KR")
>>> [(round(p["share"], 2), p["stages"]["separated"]) for p in merged]
[(0.95, 'MY'), (0.05, 'CN')]
>>> check_balance("electrolytic_reduction", {"Nd": 100.0}, {"Nd": 96.0})
[]

"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from oreline.ledger.records import OriginPart
from oreline.origin import STAGES

__all__ = [
    "RARE_EARTHS",
    "STEP_RULES",
    "StepRule",
    "check_balance",
    "compliant_share",
    "element_kg",
    "loss_rows",
    "merge_parts",
    "process_losses",
    "re_kg",
    "receipt_parts",
]

#: Rare-earth elements (the controlled content whose origin is tracked).
RARE_EARTHS = frozenset(
    {"Sc", "Y", "La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb",
     "Lu"}
)
#: Elements not balanced (anions, reagents, electrolyte) because they enter or leave as gas,
#: salt or slag outside the lots the ledger tracks.
UNBALANCED = frozenset({"O", "F", "C", "H", "N", "Cl", "Li", "Ca", "Mg", "Si", "Al"})
#: Most root lots an origin part names (the genealogy in ``edges`` holds them all).
MAX_ROOTS = 200


@dataclass(frozen=True)
class StepRule:
    """Expected element recovery of a step and its tolerance."""

    recovery: float
    tolerance: float

    @property
    def low(self) -> float:
        """Lowest recovery accepted."""
        return self.recovery - self.tolerance

    @property
    def high(self) -> float:
        """Highest recovery accepted (never above 1)."""
        return min(1.0, self.recovery + self.tolerance)


#: Per-step expected recovery (output element mass / input element mass) and tolerance.
STEP_RULES: dict[str, StepRule] = {
    "separation": StepRule(0.95, 0.05),
    "electrolytic_reduction": StepRule(0.96, 0.035),
    "calciothermic_reduction": StepRule(0.90, 0.06),
    "alloying": StepRule(0.99, 0.012),
    "strip_casting": StepRule(0.99, 0.012),
    "sintering": StepRule(0.97, 0.03),
    "recycling": StepRule(0.90, 0.10),
}


def element_kg(items: Iterable[tuple[float, Mapping[str, float]]]) -> dict[str, float]:
    """Element masses of ``(kg, assay)`` items, summed.

    Examples
    --------
    >>> element_kg([(100.0, {"Nd": 0.5}), (50.0, {"Nd": 0.2, "Fe": 0.8})])
    {'Nd': 60.0, 'Fe': 40.0}

    """
    out: dict[str, float] = {}
    for kg, assay in items:
        for el, frac in assay.items():
            out[el] = out.get(el, 0.0) + kg * frac
    return out


def re_kg(kg: float, assay: Mapping[str, float]) -> float:
    """Rare-earth mass in ``kg`` of a lot with ``assay``."""
    return kg * sum(f for el, f in assay.items() if el in RARE_EARTHS)


def check_balance(
    step: str, inputs: Mapping[str, float], outputs: Mapping[str, float], *,
    floor: bool = True,
) -> list[str]:
    """Element balance messages for one transformation (empty when it balances).

    Parameters
    ----------
    step
        Short step name, a key of :data:`STEP_RULES`.
    inputs, outputs
        Element masses in kg (running totals for a campaign).
    floor
        Also check the minimum recovery (an unexplained loss). ``False`` for a campaign
        still open: its material may still be in the cell, so only the ceiling (output
        above input x maximum recovery) and assay continuity apply until it closes.

    Examples
    --------
    >>> check_balance("alloying", {"Nd": 290.0}, {"Nd": 290.0, "Dy": 15.0})[0][:40]
    'Dy appears from nowhere: outputs hold 15'

    """
    rule = STEP_RULES[step]
    messages: list[str] = []
    for el in sorted(set(inputs) | set(outputs)):
        if el in UNBALANCED:
            continue
        kin, kout = inputs.get(el, 0.0), outputs.get(el, 0.0)
        if kin <= 1e-9:
            if kout > 1e-6:
                messages.append(
                    f"{el} appears from nowhere: outputs hold {kout:.3f} kg {el} but no input "
                    f"contains {el} (assay continuity); add the {el}-bearing input or correct "
                    "the output assay"
                )
            continue
        ratio = kout / kin
        if ratio > rule.high + 1e-9:
            messages.append(
                f"output heavier than input x yield for {el}: {kout:.3f} kg out of "
                f"{kin:.3f} kg in is {ratio:.1%} recovery, above the {step} maximum "
                f"{rule.high:.1%}; check the output quantity or assay"
            )
        elif floor and ratio < rule.low - 1e-9:
            messages.append(
                f"unexplained loss of {el}: {kout:.3f} kg out of {kin:.3f} kg in is "
                f"{ratio:.1%} recovery, below the {step} minimum {rule.low:.1%}; record "
                "the scrap, swarf or residue as an output"
            )
    return messages


def process_losses(
    inputs: Iterable[tuple[float, Mapping[str, float], float]], outputs: Mapping[str, float]
) -> dict[str, tuple[float, float]]:
    """Rare-earth kg a transformation lost, and the compliant part of that loss.

    Parameters
    ----------
    inputs
        ``(kg, assay, compliant share)`` of each quantity consumed.
    outputs
        Element kg of everything produced.

    The loss of an element (input minus output) is spread over the inputs in proportion
    to the element each brought, so its compliant part is the inputs' compliant share of
    that element times the loss fraction. Returns ``{element: (loss_kg, compliant_kg)}``.

    Examples
    --------
    >>> process_losses([(100.0, {"Nd": 0.5, "O": 0.2}, 1.0), (100.0, {"Nd": 0.5}, 0.0)],
    ...                {"Nd": 90.0})
    {'Nd': (10.0, 5.0)}

    """
    brought: dict[str, float] = {}
    compliant: dict[str, float] = {}
    for kg, assay, share in inputs:
        for el, frac in assay.items():
            if el in RARE_EARTHS and frac > 0:
                brought[el] = brought.get(el, 0.0) + kg * frac
                compliant[el] = compliant.get(el, 0.0) + kg * frac * share
    losses: dict[str, tuple[float, float]] = {}
    for el in sorted(brought):
        loss = brought[el] - outputs.get(el, 0.0)
        if loss > 1e-9:
            losses[el] = (loss, compliant[el] * loss / brought[el])
    return losses


def receipt_parts(
    origin: Mapping[str, str | None], custody: str, evidence: Iterable[str],
    lot: str | None = None,
) -> list[OriginPart]:
    """Origin parts of a received lot: one part with the declared stage countries."""
    stages: dict[str, str | None] = {stage: origin.get(stage) for stage in STAGES}
    return [{"share": 1.0, "stages": stages, "custody": custody,
             "evidence": sorted(set(evidence)), "lots": [lot] if lot else []}]


def _key(part: Mapping[str, Any]) -> tuple[Any, ...]:
    return (tuple(part["stages"].get(s) for s in STAGES), part["custody"])


def merge_parts(
    contributions: Iterable[tuple[float, list[OriginPart]]],
    stage: str | None,
    country: str | None,
) -> list[OriginPart]:
    """Merge input origin parts weighted by rare-earth mass and stamp this step's stage.

    Parameters
    ----------
    contributions
        ``(weight, parts)`` per input; weights are rare-earth kg brought by the input.
    stage
        Stage this step adds (``None`` for recycling, which keeps origins as they were).
    country
        Country of the site doing the step.

    """
    items = [(w, parts) for w, parts in contributions if w > 0]
    total = sum(w for w, _ in items)
    merged: dict[tuple[Any, ...], OriginPart] = {}
    for weight, parts in items:
        for part in parts:
            stages = dict(part["stages"])
            if stage is not None:
                stages[stage] = country
            new: OriginPart = {"share": weight / total * part["share"], "stages": stages,
                   "custody": part["custody"], "evidence": list(part["evidence"]),
                   "lots": list(part.get("lots", []))}
            key = _key(new)
            if key in merged:
                old = merged[key]
                old["share"] += new["share"]
                old["evidence"] = sorted(set(old["evidence"]) | set(new["evidence"]))
                old["lots"] = sorted(set(old.get("lots", [])) | set(new.get("lots", [])))[
                    :MAX_ROOTS]
            else:
                merged[key] = new
    return sorted(merged.values(), key=lambda p: -float(p["share"]))


def compliant_share(parts: Iterable[Mapping[str, Any]], claim_share: float | None) -> float:
    """Share of a lot that counts as ex-China for mass-balance accounting.

    A declared mass-balance claim gives the share; otherwise the physical parts count
    when every stage they reached is known and none is in China.

    Examples
    --------
    >>> compliant_share(receipt_parts({"mined": "AU", "separated": "MY"}, "segregated",
    ...                 []), None)
    1.0

    """
    if claim_share is not None:
        return claim_share
    share = 0.0
    for part in parts:
        countries = [c for c in part["stages"].values() if c is not None]
        if countries and "CN" not in countries and part["stages"].get("mined"):
            share += float(part["share"])
    return share


def loss_rows(inputs: Iterable[tuple[float, Mapping[str, float], float]],
              outputs: Mapping[str, float], available: Callable[[str], float],
              base: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Mass-balance rows debiting the compliant part of a closed transformation's losses.

    Credits never exceed the compliant material that entered less what processes lost,
    so what a process lost of it is debited (``kind`` loss; ``input_kg`` holds the
    physical loss, negative). The debit is capped at the remaining credit
    ``available(element)``: the loss of a lot moved in from another site, whose credit
    stayed there, cannot overdraw this account.

    Examples
    --------
    >>> rows = loss_rows([(100.0, {"Nd": 0.5}, 0.8)], {"Nd": 45.0}, lambda el: 100.0, {})
    >>> [(r["element"], r["input_kg"], r["debit_kg"], r["kind"]) for r in rows]
    [('Nd', -5.0, 4.0, 'loss')]

    """
    return [{**base, "element": el, "input_kg": -lost, "credit_kg": 0.0,
             "debit_kg": min(compliant, max(available(el), 0.0)), "kind": "loss"}
            for el, (lost, compliant) in process_losses(inputs, outputs).items()]
