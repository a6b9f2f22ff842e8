"""Running balances of the mass-balance accounts (credit method).

Every capture that writes rows to an account (site x element x characteristic) also
writes the account's closing balance as of its last entry ``seq`` (table
``mb_balances``, append-only like the rest). The available credit at the next capture is
the latest balance plus the account's rows written after it, one index range, so a
capture costs the same with ten or ten million rows in the account. Ledgers written
before balances existed start from the full sum once. ``verify --deep`` recomputes every
stored balance from the rows.

Examples
--------
>>> from oreline.ledger.store.engine import Store
>>> store = Store.open("sqlite://")
>>> rows = [{"seq": 1, "site": "s", "element": "Nd", "characteristic": "ex-china",
...          "credit_kg": 60.0, "debit_kg": 0.0}]
>>> with store.write() as conn:
...     balance_rows(conn, rows, 1)
[{'seq': 1, 'site': 's', 'element': 'Nd', 'characteristic': 'ex-china', 'balance_kg': 60.0}]

"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, func, select

from oreline.errors import ChainError
from oreline.ledger.store.schema import mb_balances, mb_entries

__all__ = ["balance_rows", "check_balances", "credit_balance"]

Account = tuple[str, str, str]


def credit_balance(conn: Connection, site: str, element: str, characteristic: str) -> float:
    """Credits minus debits of an account over every row in the ledger."""
    b = mb_balances.c
    latest = conn.execute(
        select(b.seq, b.balance_kg)
        .where(b.site == site, b.element == element, b.characteristic == characteristic)
        .order_by(b.seq.desc()).limit(1)).first()
    since, opening = (int(latest[0]), float(latest[1])) if latest is not None else (0, 0.0)
    c = mb_entries.c
    after = conn.execute(
        select(func.coalesce(func.sum(c.credit_kg - c.debit_kg), 0.0))
        .where(c.site == site, c.element == element, c.characteristic == characteristic,
               c.seq > since)).scalar_one()
    return opening + float(after)


def balance_rows(conn: Connection, rows: Iterable[Mapping[str, Any]], seq: int,
                 opening: Mapping[Account, float] | None = None) -> list[dict[str, Any]]:
    """Closing balances, as of ``seq``, of the accounts that ``rows`` (not yet stored) touch.

    Each is the balance before the capture plus the capture's own rows, in their order;
    ``opening`` holds balances before the capture already read (the others are read).
    """
    known = opening or {}
    moved: dict[Account, float] = {}
    for r in rows:
        key = (str(r["site"]), str(r["element"]), str(r["characteristic"]))
        moved[key] = moved.get(key, 0.0) + (float(r["credit_kg"]) - float(r["debit_kg"]))
    return [{"seq": seq, "site": site, "element": el, "characteristic": char,
             "balance_kg": (known[(site, el, char)] if (site, el, char) in known
                            else credit_balance(conn, site, el, char)) + delta}
            for (site, el, char), delta in moved.items()]


def check_balances(conn: Connection) -> int:
    """Check every stored balance against the sum of its account's rows; returns the count.

    Raises
    ------
    ChainError
        Naming the first balance that differs from its rows (beyond rounding).

    """
    c, b = mb_entries.c, mb_balances.c
    count = 0
    accounts = conn.execute(select(b.site, b.element, b.characteristic).distinct()).all()
    for site, el, char in accounts:
        rows = iter(conn.execute(
            select(c.seq, c.credit_kg - c.debit_kg)
            .where(c.site == site, c.element == el, c.characteristic == char)
            .order_by(c.seq)))
        pending = next(rows, None)
        total = 0.0
        for seq, stored in conn.execute(
                select(b.seq, b.balance_kg)
                .where(b.site == site, b.element == el, b.characteristic == char)
                .order_by(b.seq)):
            while pending is not None and pending[0] <= seq:
                total += float(pending[1])
                pending = next(rows, None)
            count += 1
            if abs(total - float(stored)) > 1e-6 * max(1.0, abs(total)):
                raise ChainError(
                    f"mb_balances row {(site, el, char, seq)} is changed in the ledger: "
                    f"stored {float(stored)!r} kg, the account's rows give {total!r} kg; "
                    "the derived tables were edited outside the write path")
    return count
