"""Revision 0010: the events a ledger held before it get their sortable UTC time."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from oreline.ledger import receive_event
from oreline.ledger.store.schema import event_times
from tests.ledger.ledgerkit import AU_MY, KMP, OX, ledger_at_revision


def test_a_ledger_of_revision_0009_gets_its_event_times(tmp_path: Path) -> None:
    """09:00+09:00 is 00:00Z; 23:30-05:00 on the 1st is 04:30Z on the 2nd."""
    events = [receive_event(f"urn:oreline:lot:m{i}", kg=10.0, site=KMP, time=when,
                            material="NdPr oxide", form="oxide", assay=OX, origin=AU_MY)
              for i, when in enumerate(["2026-03-01T09:00:00+09:00",
                                        "2026-03-01T23:30:00-05:00"])]
    led = ledger_at_revision(tmp_path / "old.sqlite", "0009", ["DROP TABLE event_times"],
                             *events)
    try:
        with led.store.read() as conn:
            got = conn.execute(select(event_times.c.event_at).order_by(event_times.c.seq)
                               ).scalars().all()
        assert got == ["2026-03-01T00:00:00.000000Z", "2026-03-02T04:30:00.000000Z"]
    finally:
        led.close()


def test_captures_write_the_event_time_in_utc(tmp_path: Path) -> None:
    from oreline.ledger import Ledger
    led = Ledger.open(f"sqlite:///{tmp_path / 'new.sqlite'}")
    led.register_site(KMP, "kmp", "KR", "alloying")
    led.capture({"type": "EPCISDocument", "schemaVersion": "2.0",
                 "creationDate": "2026-01-01T00:00:00Z",
                 "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                 "epcisBody": {"eventList": [receive_event(
                     "urn:oreline:lot:n1", kg=1.0, site=KMP, time="2026-03-01T00:00:00.250-03:00",
                     material="NdPr oxide", form="oxide", assay=OX, origin=AU_MY)]}})
    with led.store.read() as conn:
        assert conn.execute(select(event_times.c.event_at)).scalar() == \
            "2026-03-01T03:00:00.250000Z"
    led.close()
