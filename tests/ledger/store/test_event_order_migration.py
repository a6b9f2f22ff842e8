"""Revision 0010: ordered queries page through indexes of the entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, select

from oreline.ledger import receive_event
from oreline.ledger.profile.query import parse_query
from oreline.ledger.store.eventquery import find_page
from oreline.ledger.store.schema import entries
from tests.ledger.ledgerkit import AU_MY, KMP, OX, ledger_at_revision

TIMES = ["2026-03-01T09:00:00.250+09:00",  # 00:00:00.250Z
         "2026-03-01T23:30:00-05:00",       # 04:30Z on the 2nd
         "2026-03-01T00:00:00Z",            # 00:00Z, before the first
         "2026-03-01T01:00:00+01:00"]       # 00:00Z too: tie broken by capture order


def test_a_ledger_of_revision_0009_gets_the_indexes_and_orders_by_event_time(
        tmp_path: Path) -> None:
    """Events written with four offsets come back in instant order (ties by capture)."""
    events = [receive_event(f"urn:oreline:lot:m{i}", kg=10.0, site=KMP, time=when,
                            material="NdPr oxide", form="oxide", assay=OX, origin=AU_MY)
              for i, when in enumerate(TIMES)]
    led = ledger_at_revision(tmp_path / "old.sqlite", "0009",
                             ["DROP INDEX ix_entries_event_time"], *events)
    try:
        with led.store.read() as conn:
            names = {ix["name"] for ix in inspect(conn).get_indexes("entries")}
            assert "ix_entries_event_time" in names
            times = conn.execute(select(entries.c.event_time).order_by(entries.c.seq)
                                 ).scalars().all()
            page = find_page(conn, parse_query({"orderBy": ["eventTime"],
                                                "orderDirection": ["ASC"]}), limit=10)
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT seq FROM entries WHERE kind = 'event' "
                "ORDER BY event_time, seq"))
        assert times == ["2026-03-01T00:00:00.250000+00:00", "2026-03-02T04:30:00+00:00",
                         "2026-03-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00"]
        lots = [e.body["quantityList"][0]["epcClass"] for e in page.events]
        assert lots == [f"urn:oreline:lot:m{i}" for i in (2, 3, 0, 1)]
        assert "ix_entries_event_time" in plan and "TEMP B-TREE" not in plan
    finally:
        led.close()


@settings(max_examples=200)
@given(st.lists(st.tuples(st.datetimes(min_value=datetime(1970, 1, 2),
                                       max_value=datetime(9998, 12, 30)),
                          st.integers(-14 * 60, 14 * 60)), min_size=2, max_size=8))
def test_utc_isoformat_at_millisecond_precision_sorts_as_the_instants(
        moments: list[tuple[datetime, int]]) -> None:
    """What capture stores (the event time normalised to UTC milliseconds, isoformat)
    sorts as text exactly as the instants sort."""
    instants = [(d.replace(microsecond=d.microsecond // 1000 * 1000)
                 .replace(tzinfo=timezone(timedelta(minutes=m))).astimezone(UTC))
                for d, m in moments]
    texts = [t.isoformat() for t in instants]
    assert sorted(range(len(texts)), key=lambda i: (texts[i], i)) == \
        sorted(range(len(texts)), key=lambda i: (instants[i], i))
