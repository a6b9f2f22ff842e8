"""Several processes capturing into one ledger at once (what a capture service does).

Each capture parses its document before it takes the write lock and reads the chain's
last entry, stock and account balances inside it; these tests hold that the result of
concurrent captures is a single unbroken chain in which every document is contiguous,
with the same stock and accounts as the same documents captured one after another.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from oreline.ledger import Ledger
from oreline.ledger.store.schema import entries
from tests.ledger.ledgerkit import KMP, OX, PG_URL, SKIP_PG, doc, receipt, ship

WRITERS, DOCS, LOTS = 3, 4, 15


def _documents(writer: int) -> list[dict[str, Any]]:
    """Writer ``writer``'s documents: receipts, and shipments claiming ex-China credit."""
    out = []
    for d in range(DOCS):
        lots = [f"w{writer}-d{d}-{i}" for i in range(LOTS)]
        out.append(doc(*[receipt(lot, 100.0 + i, day=1 + d) for i, lot in enumerate(lots)],
                       *[ship(lot, 10.0, day=2 + d, claim_share=1.0) for lot in lots[::3]]))
    return out


def _writer(target: str, schema: str | None, writer: int, barrier: Any, out: Any) -> None:
    led = Ledger.open(target, schema=schema)
    try:
        docs = _documents(writer)
        barrier.wait()
        out.put([led.capture(d).doc_id for d in docs])
    finally:
        led.close()


def _state(led: Ledger) -> tuple[Any, ...]:
    return (led.lots_on_hand(), led.account(KMP, "Nd"), led.account(KMP, "Pr"),
            led.stock())


def test_concurrent_captures_chain_every_document_whole(ledger: Ledger,
                                                        tmp_path: Path) -> None:
    store = ledger.store
    target = store.engine.url.render_as_string(hide_password=False)
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(WRITERS, timeout=120), ctx.Queue()  # no wait for the dead
    procs = [ctx.Process(target=_writer, args=(target, store.schema, w, barrier, out),
                         daemon=True) for w in range(WRITERS)]
    for p in procs:
        p.start()
    docs: list[str] = []
    try:
        while len(docs) < WRITERS * DOCS:
            try:
                docs += out.get(timeout=1)
            except queue.Empty:
                assert all(p.exitcode in (None, 0) for p in procs), "a writer failed"
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.terminate()
    events = WRITERS * DOCS * (LOTS + len(range(0, LOTS, 3)))
    assert ledger.verify(deep=True)["entries"] == events  # one chain, replayed whole
    with store.read() as conn:
        spans = conn.execute(select(entries.c.doc_id, func.min(entries.c.seq),
                                    func.max(entries.c.seq), func.count())
                             .where(entries.c.doc_id.in_(docs))
                             .group_by(entries.c.doc_id)).all()
    assert len(spans) == WRITERS * DOCS
    assert all(hi - lo + 1 == n for _, lo, hi, n in spans)  # no document interleaved

    serial = Ledger.open(tmp_path / "serial.sqlite")
    try:
        serial.register_site(KMP, "KMP Ochang", "KR", "alloying")
        for w in range(WRITERS):
            for d in _documents(w):
                serial.capture(d)
        assert _state(ledger) == _state(serial)
    finally:
        serial.close()
    received = sum(100.0 + i for i in range(LOTS)) * WRITERS * DOCS
    claimed = 10.0 * len(range(0, LOTS, 3)) * WRITERS * DOCS
    assert ledger.account(KMP, "Nd")["closing_kg"] == pytest.approx(
        (received - claimed) * OX["Nd"])  # every claim spent its ex-China credit once


def _opener(url: str, schema: str, barrier: Any, out: Any) -> None:
    barrier.wait()
    try:
        Ledger.open(url, schema=schema).close()
        out.put("ok")
    except Exception as exc:  # reported to the test, which names it
        out.put(f"{type(exc).__name__}: {exc}")


@pytest.mark.postgres
def test_processes_opening_a_new_postgresql_ledger_at_once_all_succeed() -> None:
    """Creating the schema and migrating it are serialised (they raced: duplicate keys)."""
    import uuid

    from sqlalchemy import create_engine

    if not PG_URL:
        pytest.skip(SKIP_PG)
    schema = "t_" + uuid.uuid4().hex[:16]
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(4, timeout=120), ctx.Queue()
    procs = [ctx.Process(target=_opener, args=(PG_URL, schema, barrier, out), daemon=True)
             for _ in range(4)]
    try:
        for p in procs:
            p.start()
        results = [out.get(timeout=180) for _ in procs]
        assert results == ["ok"] * 4
    finally:
        for p in procs:
            p.join(timeout=60)
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


def test_a_long_read_blocks_neither_a_capture_nor_another_read(tmp_path: Path) -> None:
    """On SQLite a read begins deferred: a page reading the whole ledger (a verify of a
    million entries takes minutes) must not hold the write lock, or every capture and
    every other page would wait and then fail with "database is locked"."""
    import time

    led = Ledger.open(tmp_path / "l.sqlite")
    try:
        led.register_site(KMP, "KMP", "KR", "alloying")
        led.capture(doc(receipt("ox1", 10.0)))
        with led.store.read() as reader:
            assert reader.execute(select(func.count()).select_from(entries)).scalar() == 1
            assert reader.in_transaction()  # a read transaction stays open meanwhile
            t = time.perf_counter()
            led.capture(doc(receipt("ox2", 10.0)))  # another connection writes
            assert led.lots_on_hand()  # and another reads
            assert time.perf_counter() - t < 10  # not a busy wait on the 30 s timeout
            # the open read keeps its snapshot (WAL): it still sees one entry
            assert reader.execute(select(func.count()).select_from(entries)).scalar() == 1
        assert led.verify()["entries"] == 2
    finally:
        led.close()
