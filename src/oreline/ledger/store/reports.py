"""Reads behind the compliance reports: a period's lots, a certificate's entries.

The verdicts are :mod:`oreline.ledger.rules.compliance`; the certificate is
:mod:`oreline.ledger.certificate`. Every function takes an open connection and never
writes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from oreline.ledger.records import Checkpoint, EntryRef, OriginPart
from oreline.ledger.store.schema import checkpoints, entries, lots

__all__ = ["REPORT_FORMS", "entry_refs", "latest_checkpoint", "lots_made_in"]

#: The forms a CRMA report covers by default.
REPORT_FORMS = ("alloy", "metal", "magnet")


def _next_period(period: str) -> str:
    """The period after ``period`` (``YYYY`` or ``YYYY-MM``).

    Examples
    --------
    >>> _next_period("2026"), _next_period("2026-12"), _next_period("2026-03")
    ('2027', '2027-01', '2026-04')

    """
    if len(period) == 4:
        return f"{int(period) + 1:04d}"
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def _utc_day(period: str, shift_days: int) -> str:
    """The UTC day (``YYYY-MM-DD``) ``shift_days`` from the first day of ``period``.

    Examples
    --------
    >>> _utc_day("2026-03", -1), _utc_day("2027", 1)
    ('2026-02-28', '2027-01-02')

    """
    first = datetime.strptime(period + ("-01-01" if len(period) == 4 else "-01"), "%Y-%m-%d")
    return (first + timedelta(days=shift_days)).strftime("%Y-%m-%d")


def lots_made_in(conn: Connection, period: str, forms: Sequence[str] = REPORT_FORMS
                 ) -> list[tuple[float, str, list[OriginPart]]]:
    """``(kg, form, origin parts)`` of the lots of ``forms`` produced in ``period``.

    A lot belongs to the period (``YYYY`` or ``YYYY-MM``) of its event's local time, as
    written with its offset (as mass-balance accounts do): a lot cast at 08:00 +09:00 on
    1 February is February's, though it is 31 January in UTC, the time
    ``lots.event_time`` holds. Lots within a day of the period in UTC are read, and
    their events' local time decides.
    """
    rows = conn.execute(
        select(lots.c.kg, lots.c.origin, lots.c.form, entries.c.body)
        .join(entries, entries.c.seq == lots.c.seq)
        .where(lots.c.event_time >= _utc_day(period, -1),
               lots.c.event_time < _utc_day(_next_period(period), 1),
               lots.c.form.in_(forms))).all()
    return [(float(r.kg), str(r.form), json.loads(r.origin)) for r in rows
            if str(json.loads(r.body).get("eventTime", "")).startswith(period)]


def entry_refs(conn: Connection, event_ids: Sequence[str]) -> list[EntryRef]:
    """Sequence number, event ID and entry hash of the entries of ``event_ids``, in order."""
    rows = conn.execute(select(entries.c.seq, entries.c.event_id, entries.c.entry_hash).where(
        entries.c.event_id.in_(event_ids)).order_by(entries.c.seq)).all()
    return [{"seq": r.seq, "event_id": r.event_id, "entry_hash": r.entry_hash} for r in rows]


def latest_checkpoint(conn: Connection) -> Checkpoint | None:
    """The newest signed checkpoint (without its creation time), if any."""
    cp = conn.execute(select(checkpoints).order_by(checkpoints.c.id.desc()).limit(1)).first()
    return None if cp is None else {"upto_seq": cp.upto_seq, "root": cp.root,
                                    "public_key": cp.public_key, "signature": cp.signature}
