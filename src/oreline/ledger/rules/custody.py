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
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from oreline.ledger.store.schema import mb_entries
from oreline.origin import STAGES

__all__ = [
    "RARE_EARTHS",
    "STEP_RULES",
    "StepRule",
    "account",
    "account_entries",
    "check_balance",
    "compliant_share",
    "element_kg",
    "loss_rows",
    "merge_parts",
    "process_losses",
    "re_kg",
    "receipt_parts",
    "reversal_rows",
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
#: Countries whose stages fail the DFARS magnet rule.


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
) -> list[dict[str, Any]]:
    """Origin parts of a received lot: one part with the declared stage countries."""
    stages = {stage: origin.get(stage) for stage in STAGES}
    return [{"share": 1.0, "stages": stages, "custody": custody,
             "evidence": sorted(set(evidence)), "lots": [lot] if lot else []}]


def _key(part: Mapping[str, Any]) -> tuple[Any, ...]:
    return (tuple(part["stages"].get(s) for s in STAGES), part["custody"])


def merge_parts(
    contributions: Iterable[tuple[float, list[dict[str, Any]]]],
    stage: str | None,
    country: str | None,
) -> list[dict[str, Any]]:
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
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for weight, parts in items:
        for part in parts:
            stages = dict(part["stages"])
            if stage is not None:
                stages[stage] = country
            new = {"share": weight / total * part["share"], "stages": stages,
                   "custody": part["custody"], "evidence": list(part["evidence"]),
                   "lots": list(part.get("lots", []))}
            key = _key(new)
            if key in merged:
                old = merged[key]
                old["share"] += new["share"]
                old["evidence"] = sorted(set(old["evidence"]) | set(new["evidence"]))
                old["lots"] = sorted(set(old["lots"]) | set(new["lots"]))[:MAX_ROOTS]
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


def reversal_rows(conn: Connection, pending: Iterable[Mapping[str, Any]], target: str,
                  stored: int | None, seq: int, available: Callable[[str, str, str], float],
                  period: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Mass-balance rows undoing those of an event declared in error, or why they cannot.

    Each row of ``target`` (stored, found by ``stored``, the seq of its entry, or
    ``pending`` in this capture) is negated, with kind
    ``retract-<kind>``: a retracted receipt takes its credit back (refused when claims
    have spent it since), a retracted claim or process loss gives its debit back. The
    reversal is booked in ``period`` (the declaration's month), as corrections are, so a
    closed month's account does not change after the fact.
    """
    c = mb_entries.c
    cols = ("site", "element", "characteristic", "period", "input_kg", "credit_kg",
            "debit_kg", "kind")
    rows = [dict(r._mapping) for r in conn.execute(select(*[c[k] for k in cols]).where(
        c.seq == stored).order_by(c.id))] if stored is not None else []
    rows += [{k: r[k] for k in cols} for r in pending if r["event_id"] == target]
    undo = [{**r, "seq": seq, "event_id": target, "period": period or r["period"],
             "input_kg": -float(r["input_kg"]),
             "credit_kg": -float(r["credit_kg"]), "debit_kg": -float(r["debit_kg"]),
             "kind": f"retract-{r['kind']}"} for r in rows
            if not str(r["kind"]).startswith("retract")]
    net: dict[tuple[str, str, str], float] = {}
    for r in undo:
        key = (r["site"], r["element"], r["characteristic"])
        net[key] = net.get(key, 0.0) + r["credit_kg"] - r["debit_kg"]
    problem = next((f"its {-v:.3f} kg {k[1]} {k[2]} credits at {k[0]} were spent since"
                    for k, v in net.items() if available(*k) + v < -1e-6), None)
    return undo, problem


#: ``mb_entries.kind`` values that are process losses and claims (with their reversals).
LOSS_KINDS = ("loss", "retract-loss")
CLAIM_KINDS = ("claim", "retract-claim")


def account(
    conn: Connection,
    site: str,
    element: str,
    characteristic: str = "ex-china",
    period: str | None = None,
    method: str = "credit",
) -> dict[str, Any]:
    """Mass-balance account of a site x element x characteristic for a period.

    Parameters
    ----------
    conn
        Open connection.
    site, element, characteristic
        The account's boundary (site URI, element symbol, e.g. ``"ex-china"``).
    period
        ``YYYY-MM``; ``None`` covers everything to date.
    method
        ``"credit"`` (opening, credits, debits, closing; debits split into claims and
        process losses) or ``"rolling"`` (compliant share of the material a site took in
        over the 12 months up to ``period``, or up to the account's latest month when
        ``period`` is ``None``).

    """
    c = mb_entries.c
    base = select(c.kind, func.coalesce(func.sum(c.input_kg), 0.0), func.coalesce(func.sum(
        c.credit_kg), 0.0), func.coalesce(func.sum(c.debit_kg), 0.0)).where(
        c.site == site, c.element == element, c.characteristic == characteristic
    ).group_by(c.kind)

    def sums(*where: Any) -> dict[str, tuple[float, float, float]]:
        return {str(k): (float(i), float(cr), float(d))
                for k, i, cr, d in conn.execute(base.where(*where))}

    def total(rows: dict[str, tuple[float, float, float]], col: int,
              kinds: tuple[str, ...] | None = None) -> float:
        return sum((v[col] for k, v in rows.items() if kinds is None or k in kinds), 0.0)

    if method == "rolling":
        end = period or conn.execute(select(func.max(c.period)).where(
            c.site == site, c.element == element, c.characteristic == characteristic)
        ).scalar() or datetime.now(UTC).strftime("%Y-%m")
        year, month = int(end[:4]), int(end[5:7])
        start_month = month - 11
        start_year = year + (start_month - 1) // 12
        start = f"{start_year:04d}-{(start_month - 1) % 12 + 1:02d}"
        rows = sums(c.period >= start, c.period <= end)
        inp = total(rows, 0)  # receipts, net of the element lost in processing
        lost = total(rows, 2, LOSS_KINDS)
        compliant = total(rows, 1) - lost
        return {"site": site, "element": element, "characteristic": characteristic,
                "method": "rolling", "window": f"{start}..{end}", "input_kg": inp,
                "compliant_kg": compliant, "claimed_kg": total(rows, 2, CLAIM_KINDS),
                "lost_kg": -total(rows, 0, LOSS_KINDS), "compliant_lost_kg": lost,
                "percentage": compliant / inp if inp > 1e-12 else 0.0}
    if period is None:
        rows = sums()
        opening = 0.0
    else:
        before = sums(c.period < period)
        opening = total(before, 1) - total(before, 2)
        rows = sums(c.period == period)
    cred, deb = total(rows, 1), total(rows, 2)
    return {"site": site, "element": element, "characteristic": characteristic,
            "method": "credit", "period": period or "all", "opening_kg": opening,
            "credits_kg": cred, "debits_kg": deb, "claims_kg": total(rows, 2, CLAIM_KINDS),
            "losses_kg": total(rows, 2, LOSS_KINDS), "closing_kg": opening + cred - deb}


def account_entries(
    conn: Connection,
    site: str,
    element: str,
    characteristic: str = "ex-china",
    period: str | None = None,
) -> list[dict[str, Any]]:
    """Rows of a mass-balance account in ledger order, each with its ``kind``.

    ``kind`` is ``receipt``, ``claim`` or ``loss`` (a transformation's or campaign's
    process loss), or ``retract-<kind>`` for the reversal of an event declared in error.
    """
    c = mb_entries.c
    stmt = select(c.seq, c.event_id, c.period, c.kind, c.input_kg, c.credit_kg,
                  c.debit_kg).where(c.site == site, c.element == element,
                                    c.characteristic == characteristic).order_by(c.id)
    if period is not None:
        stmt = stmt.where(c.period == period)
    return [dict(r._mapping) for r in conn.execute(stmt)]
