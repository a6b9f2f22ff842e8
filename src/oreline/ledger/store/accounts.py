"""Mass-balance accounts read from the ledger: sums by kind, rows, and reversals.

The arithmetic is :mod:`oreline.ledger.rules.accounts`; this module reads the rows it
needs (``mb_entries``) and hands them over. Every function takes an open connection and
never writes. Running balances for capture are in :mod:`oreline.ledger.store.balances`.

Examples
--------
>>> from oreline.ledger.store.engine import Store
>>> store = Store.open("sqlite://")
>>> with store.read() as conn:
...     account(conn, "urn:oreline:site:s", "Nd")["closing_kg"]
0.0

"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select

from oreline.ledger.records import Account, AccountEntry
from oreline.ledger.rules.accounts import (
    ROW_COLUMNS,
    KindSums,
    credit_account,
    reversal,
    rolling_account,
    rolling_window,
)
from oreline.ledger.store.schema import mb_entries

__all__ = ["account", "account_entries", "kind_sums", "reversal_rows"]


def kind_sums(conn: Connection, site: str, element: str, characteristic: str,
              *where: ColumnElement[bool]) -> dict[str, tuple[float, float, float]]:
    """An account's rows summed by kind (``input_kg``, ``credit_kg``, ``debit_kg``)."""
    c = mb_entries.c
    stmt = select(c.kind, func.coalesce(func.sum(c.input_kg), 0.0), func.coalesce(func.sum(
        c.credit_kg), 0.0), func.coalesce(func.sum(c.debit_kg), 0.0)).where(
        c.site == site, c.element == element, c.characteristic == characteristic, *where
    ).group_by(c.kind)
    return {str(k): (float(i), float(cr), float(d)) for k, i, cr, d in conn.execute(stmt)}


def _latest_period(conn: Connection, site: str, element: str, characteristic: str) -> str:
    """The account's latest month, or this month (UTC) when it has no rows."""
    c = mb_entries.c
    latest = conn.execute(select(func.max(c.period)).where(
        c.site == site, c.element == element, c.characteristic == characteristic)).scalar()
    return str(latest or datetime.now(UTC).strftime("%Y-%m"))


def account(
    conn: Connection,
    site: str,
    element: str,
    characteristic: str = "ex-china",
    period: str | None = None,
    method: str = "credit",
) -> Account:
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
    key = (site, element, characteristic)
    if method == "rolling":
        start, end = rolling_window(period or _latest_period(conn, *key))
        rows: KindSums = kind_sums(conn, *key, c.period >= start, c.period <= end)
        return rolling_account(*key, (start, end), rows)
    if period is None:
        return credit_account(*key, None, None, kind_sums(conn, *key))
    return credit_account(*key, period, kind_sums(conn, *key, c.period < period),
                          kind_sums(conn, *key, c.period == period))


def account_entries(
    conn: Connection,
    site: str,
    element: str,
    characteristic: str = "ex-china",
    period: str | None = None,
) -> list[AccountEntry]:
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
    return [{"seq": int(r.seq), "event_id": r.event_id, "period": r.period, "kind": r.kind,
             "input_kg": float(r.input_kg), "credit_kg": float(r.credit_kg),
             "debit_kg": float(r.debit_kg)} for r in conn.execute(stmt)]


def reversal_rows(conn: Connection, pending: Iterable[Mapping[str, Any]], target: str,
                  stored: int | None, seq: int, available: Callable[[str, str, str], float],
                  period: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Mass-balance rows undoing those of an event declared in error, or why they cannot.

    The rows of ``target`` are read (stored, found by ``stored``, the seq of its entry)
    or taken from ``pending`` (this capture's rows), then undone by
    :func:`oreline.ledger.rules.accounts.reversal`.
    """
    c = mb_entries.c
    rows: list[Mapping[str, Any]] = [dict(r._mapping) for r in conn.execute(select(
        *[c[k] for k in ROW_COLUMNS]).where(c.seq == stored).order_by(c.id))] if (
        stored is not None) else []
    rows += [r for r in pending if r["event_id"] == target]
    return reversal(rows, target, seq, available, period)
