"""Mass-balance account arithmetic (ISO 22095), on rows already read: no database.

An account is a site x element x characteristic. Its rows carry ``input_kg``,
``credit_kg`` and ``debit_kg`` and a ``kind``: ``receipt``, ``claim``, ``loss`` (a
transformation's or campaign's process loss), or ``retract-<kind>`` for the reversal of
an event declared in error. The store sums the rows by kind
(``ledger/store/accounts.py``); these functions turn the sums into the
credit method (opening, credits, debits, closing) or the rolling-average percentage
method, and undo an event's rows.

Examples
--------
>>> sums = {"receipt": (100.0, 80.0, 0.0), "claim": (0.0, 0.0, 30.0),
...         "loss": (-5.0, 0.0, 4.0)}
>>> acct = credit_account("s", "Nd", "ex-china", "2026-03", {"receipt": (50.0, 50.0, 0.0)},
...                       sums)
>>> acct["opening_kg"], acct["claims_kg"], acct["losses_kg"], acct["closing_kg"]
(50.0, 30.0, 4.0, 96.0)
>>> rolling_account("s", "Nd", "ex-china", rolling_window("2026-03"), sums)["percentage"]
0.8

"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from oreline.ledger.records import CreditAccount, RollingAccount

__all__ = [
    "CLAIM_KINDS",
    "LOSS_KINDS",
    "ROW_COLUMNS",
    "KindSums",
    "credit_account",
    "reversal",
    "rolling_account",
    "rolling_window",
]

#: ``mb_entries.kind`` values that are process losses and claims (with their reversals).
LOSS_KINDS = ("loss", "retract-loss")
CLAIM_KINDS = ("claim", "retract-claim")
#: An account's rows summed by kind: ``kind -> (input_kg, credit_kg, debit_kg)``.
KindSums = Mapping[str, tuple[float, float, float]]
#: Columns of a mass-balance row that a reversal copies.
ROW_COLUMNS = ("site", "element", "characteristic", "period", "input_kg", "credit_kg",
               "debit_kg", "kind")


def _total(rows: KindSums, col: int, kinds: tuple[str, ...] | None = None) -> float:
    """Sum of column ``col`` (0 input, 1 credit, 2 debit) over ``kinds`` (or all)."""
    return sum((v[col] for k, v in rows.items() if kinds is None or k in kinds), 0.0)


def credit_account(site: str, element: str, characteristic: str, period: str | None,
                   before: KindSums | None, rows: KindSums) -> CreditAccount:
    """An account by the credit method from its rows' sums.

    Parameters
    ----------
    site, element, characteristic
        The account's boundary.
    period
        ``YYYY-MM``, or ``None`` for everything to date (then ``before`` is ``None``).
    before
        Sums of the rows before ``period`` (the opening balance).
    rows
        Sums of the rows in ``period`` (or of every row).

    """
    opening = 0.0 if before is None else _total(before, 1) - _total(before, 2)
    cred, deb = _total(rows, 1), _total(rows, 2)
    return {"site": site, "element": element, "characteristic": characteristic,
            "method": "credit", "period": period or "all", "opening_kg": opening,
            "credits_kg": cred, "debits_kg": deb, "claims_kg": _total(rows, 2, CLAIM_KINDS),
            "losses_kg": _total(rows, 2, LOSS_KINDS), "closing_kg": opening + cred - deb}


def rolling_window(end: str) -> tuple[str, str]:
    """The 12 months ending with ``end`` (``YYYY-MM``), as first and last month.

    Examples
    --------
    >>> rolling_window("2026-03"), rolling_window("2026-12")
    (('2025-04', '2026-03'), ('2026-01', '2026-12'))

    """
    year, month = int(end[:4]), int(end[5:7])
    start_month = month - 11
    start_year = year + (start_month - 1) // 12
    return f"{start_year:04d}-{(start_month - 1) % 12 + 1:02d}", end


def rolling_account(site: str, element: str, characteristic: str,
                    window: tuple[str, str], rows: KindSums) -> RollingAccount:
    """An account by the rolling-average percentage method from its window's sums.

    The percentage is the compliant share of the material the site took in over the
    window: credits less the compliant part of process losses, over the input (receipts
    net of the element lost in processing).
    """
    inp = _total(rows, 0)  # receipts, net of the element lost in processing
    lost = _total(rows, 2, LOSS_KINDS)
    compliant = _total(rows, 1) - lost
    return {"site": site, "element": element, "characteristic": characteristic,
            "method": "rolling", "window": f"{window[0]}..{window[1]}", "input_kg": inp,
            "compliant_kg": compliant, "claimed_kg": _total(rows, 2, CLAIM_KINDS),
            "lost_kg": -_total(rows, 0, LOSS_KINDS), "compliant_lost_kg": lost,
            "percentage": compliant / inp if inp > 1e-12 else 0.0}


def reversal(rows: Iterable[Mapping[str, Any]], target: str, seq: int,
             available: Callable[[str, str, str], float], period: str | None = None
             ) -> tuple[list[dict[str, Any]], str | None]:
    """Mass-balance rows undoing ``rows`` (those of event ``target``), or why they cannot.

    Each row is negated, with kind ``retract-<kind>``: a retracted receipt takes its
    credit back (refused when claims have spent it since: ``available(site, element,
    characteristic)`` is the credit left), a retracted claim or process loss gives its
    debit back. The reversal is booked in ``period`` (the declaration's month), as
    corrections are, so a closed month's account does not change after the fact.

    Examples
    --------
    >>> row = {"site": "s", "element": "Nd", "characteristic": "ex-china",
    ...        "period": "2026-01", "input_kg": 10.0, "credit_kg": 10.0, "debit_kg": 0.0,
    ...        "kind": "receipt"}
    >>> undo, problem = reversal([row], "ev-1", 7, lambda *k: 4.0, "2026-02")
    >>> undo[0]["credit_kg"], undo[0]["kind"], undo[0]["period"], problem
    (-10.0, 'retract-receipt', '2026-02', 'its 10.000 kg Nd ex-china credits at s were spent since')

    """
    undo = [{**{k: r[k] for k in ROW_COLUMNS}, "seq": seq, "event_id": target,
             "period": period or r["period"], "input_kg": -float(r["input_kg"]),
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
