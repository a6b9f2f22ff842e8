"""Account balances: each capture's closing balance equals the account's rows, capture
reads it instead of the whole history, and an edited balance is found by verify --deep."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select

from oreline.errors import CaptureError, ChainError
from oreline.ledger import Ledger
from oreline.ledger.store.balances import check_balances, credit_balance
from oreline.ledger.store.schema import mb_balances, mb_entries
from tests.ledger.ledgerkit import KMP, L, doc, ledger_at_revision, receipt, ship

OXIDE = {"Nd": 0.6, "Pr": 0.2, "O": 0.2}
CN = {"mined": "CN", "separated": "CN"}


def _full_sum(led: Ledger, element: str) -> float:
    c = mb_entries.c
    with led.store.read() as conn:
        return float(conn.execute(select(func.coalesce(func.sum(c.credit_kg - c.debit_kg),
                                                       0.0))
                                  .where(c.site == KMP, c.element == element)).scalar_one())


def test_each_capture_writes_the_closing_balance_of_the_accounts_it_touched(
        ledger: Ledger) -> None:
    ledger.capture(doc(receipt("a", 1000.0, assay=OXIDE), receipt("b", 500.0, assay=OXIDE)))
    ledger.capture(doc(receipt("c", 100.0, CN, assay=OXIDE)))  # no credit: not ex-China
    ledger.capture(doc(ship("a", 250.0, claim_share=1.0)))
    with ledger.store.read() as conn:
        rows = conn.execute(select(mb_balances.c.seq, mb_balances.c.element,
                                   mb_balances.c.balance_kg)
                            .order_by(mb_balances.c.seq, mb_balances.c.element)).all()
        # hand-computed: 1,500 kg x 0.6 Nd / 0.2 Pr credited, the CN lot credits nothing,
        # the claim debits 250 kg x 0.6 / 0.2
        assert [(s, e, round(b, 6)) for s, e, b in rows] == [
            (2, "Nd", 900.0), (2, "Pr", 300.0), (3, "Nd", 900.0), (3, "Pr", 300.0),
            (4, "Nd", 750.0), (4, "Pr", 250.0)]
        assert check_balances(conn) == 6
        assert credit_balance(conn, KMP, "Nd", "ex-china") == pytest.approx(750.0)
    assert ledger.verify(deep=True)["derived_rows"]["mb_balances"] == 6


def test_claims_are_checked_against_balance_plus_later_rows(ledger: Ledger) -> None:
    ledger.capture(doc(receipt("a", 1000.0, assay=OXIDE)))
    for i in range(3):  # three more captures: each reads the latest balance
        ledger.capture(doc(receipt(f"x{i}", 100.0, assay=OXIDE)))
    # 1,300 kg of ex-China oxide credited; claims up to exactly that pass
    ledger.capture(doc(ship("a", 1000.0, claim_share=1.0)))
    with pytest.raises(CaptureError, match="credits at"):
        ledger.capture(doc(ship("x0", 100.0, claim_share=1.0),
                           ship("x1", 100.0, claim_share=1.0),
                           ship("x2", 100.0, claim_share=1.0),
                           receipt("y", 10.0, CN, assay=OXIDE),
                           ship("y", 10.0, claim_share=1.0)))
    ledger.capture(doc(ship("x0", 100.0, claim_share=1.0), ship("x1", 100.0, claim_share=1.0),
                       ship("x2", 100.0, claim_share=1.0)))
    assert _full_sum(ledger, "Nd") == pytest.approx(0.0, abs=1e-9)


def test_an_edited_balance_is_named_by_deep_verify(sqlite_ledger: Ledger) -> None:
    led = sqlite_ledger
    led.capture(doc(receipt("a", 1000.0, assay=OXIDE)))
    led.capture(doc(ship("a", 100.0, claim_share=1.0)))
    with led.store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE mb_balances SET balance_kg = balance_kg + 50 "
                             "WHERE seq = 2 AND element = 'Pr'")
    with pytest.raises(ChainError, match=r"mb_balances row .*'Pr', 'ex-china', 2\) is changed"):
        led.verify(deep=True)


def test_migration_0005_upgrades_a_ledger_of_revision_0004(tmp_path: Any) -> None:
    led = ledger_at_revision(tmp_path / "old.sqlite", "0004", [
        "DROP TABLE mb_balances", "DROP INDEX ix_mb_account_seq",
        "CREATE INDEX ix_mb_site ON mb_entries (site, element, characteristic)"],
        receipt("a", 1000.0, assay=OXIDE))
    insp = inspect(led.store.engine)
    assert insp.has_table("mb_balances")
    assert {ix["name"] for ix in insp.get_indexes("mb_entries")} == {"ix_mb_account_seq",
                                                                     "ix_mb_seq"}
    # no balance yet: the first capture sums the history, then writes one
    with pytest.raises(CaptureError, match="credits at"):
        led.capture(doc(receipt("c", 10.0, CN, assay=OXIDE), ship("c", 10.0,
                                                                  claim_share=1.0),
                        ship("a", 991.0, claim_share=1.0)))
    led.capture(doc(ship("a", 900.0, claim_share=1.0)))
    with led.store.read() as conn:
        assert credit_balance(conn, KMP, "Nd", "ex-china") == pytest.approx(60.0)
        assert check_balances(conn) == 2
    assert led.verify(deep=True)["entries"] == 2
    led.close()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.tuples(st.booleans(), st.floats(1.0, 500.0)), min_size=1,
                         max_size=4), min_size=1, max_size=6))
def test_balances_equal_the_rows_over_random_captures(docs: list[list[tuple[bool, float]]]
                                                       ) -> None:
    led = Ledger.open("sqlite://")
    try:
        led.register_site(KMP, "KMP", "KR", "alloying")
        n = 0
        for d in docs:
            events = []
            for cn, kg in d:
                n += 1
                events.append(receipt(f"r{n}", kg, CN if cn else None, assay=OXIDE))
                if n % 2 == 0 and not cn:
                    events.append(ship(f"r{n}", kg / 2, claim_share=1.0))
            led.capture(doc(*events))
            for el in ("Nd", "Pr"):
                expected = _full_sum(led, el)
                with led.store.read() as conn:
                    assert credit_balance(conn, KMP, el, "ex-china") == pytest.approx(
                        expected, abs=1e-6)
        with led.store.read() as conn:
            assert check_balances(conn) > 0
        total = _full_sum(led, "Nd")
        assert led.account(KMP, "Nd")["closing_kg"] == pytest.approx(total, abs=1e-6)
    finally:
        led.close()



def test_migration_0007_finds_an_events_rows_by_seq(tmp_path: Any) -> None:
    """A ledger of revision 0006 (event_id indexes) gets seq indexes; corrections work."""
    import copy

    rec = receipt("a", 1000.0, assay=OXIDE)
    led = ledger_at_revision(tmp_path / "old.sqlite", "0006", [
        "DROP INDEX ix_lots_seq", "DROP INDEX ix_movements_seq", "DROP INDEX ix_mb_seq",
        "CREATE INDEX ix_lots_event ON lots (event_id)",
        "CREATE INDEX ix_movements_event ON movements (event_id)",
        "CREATE INDEX ix_mb_event ON mb_entries (event_id)"], rec,
        receipt("b", 500.0, assay=OXIDE))
    try:
        with led.store.read() as conn:
            names = {r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index'")}
            for table, index in (("lots", "ix_lots_seq"), ("movements", "ix_movements_seq"),
                                 ("mb_entries", "ix_mb_seq")):
                plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN SELECT * FROM {table} WHERE seq = 2"))
                assert index in plan, plan
        assert not names & {"ix_lots_event", "ix_movements_event", "ix_mb_event"}
        decl = copy.deepcopy(rec)
        decl["errorDeclaration"] = {"declarationTime": "2026-03-20T09:00:00+09:00"}
        led.capture(doc(decl))  # finds the stored receipt's rows through the new indexes
        assert led.account(KMP, "Nd")["closing_kg"] == pytest.approx(300.0)  # 500 x 0.6
        assert [(r["lot"], r["kg"]) for r in led.lots_on_hand()] == [(L + "b", 500.0)]
    finally:
        led.close()


def test_a_correction_is_booked_in_the_month_it_is_declared(ledger: Ledger) -> None:
    import copy

    rec = receipt("a", 1000.0, assay=OXIDE)  # March
    ledger.capture(doc(rec, receipt("b", 500.0, assay=OXIDE)))
    march = ledger.account(KMP, "Nd", "2026-03")["closing_kg"]
    decl = copy.deepcopy(rec)
    decl["errorDeclaration"] = {"declarationTime": "2026-04-02T09:00:00+09:00",
                                "reason": "incorrect_data"}
    ledger.capture(doc(decl))
    assert ledger.account(KMP, "Nd", "2026-03")["closing_kg"] == pytest.approx(march)
    assert march == pytest.approx(900.0)  # 1,500 kg x 0.6 Nd, all ex-China
    april = ledger.account(KMP, "Nd", "2026-04")
    assert april["opening_kg"] == pytest.approx(900.0)
    assert april["closing_kg"] == pytest.approx(300.0)  # the 1,000 kg receipt taken back
