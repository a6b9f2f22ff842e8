"""The lot search index gives what the plain ``LIKE`` gives: rows, order and count.

Lots are written through the store's one insert path with odd texts (upper and lower
case, ``LIKE`` wildcards, quotes, letters whose case folding differs between Python,
SQLite and Unicode), then searched with the index and with the plain query.
"""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, create_engine, make_url

from oreline.ledger import Ledger
from oreline.ledger.store import lotsearch, queries
from oreline.ledger.store.engine import Store
from tests.ledger.ledgerkit import PG_URL, SKIP_PG, ledger_at_revision, receipt

# ASCII both cases, LIKE's wildcards and escape, FTS5's quote, and letters that fold
# differently: Kelvin sign (lower: k), dotted capital I (lower: i + dot), long s, sharp s
_ALPHABET = "aAbBkKzZ09 -:%_\\\"'ÉéİıſßKǅΣσς中"
_TEXT = st.text(alphabet=_ALPHABET, min_size=0, max_size=12)
_LOT = st.tuples(_TEXT, _TEXT, _TEXT, _TEXT)
_SERIAL = itertools.count()


def _insert(conn: Connection, lots: list[tuple[str, str, str, str]], tie: int = 3) -> None:
    """Write lots (about ``tie`` to one ``seq``, so ties are broken by lot ID)."""
    rows = []
    for lot_id, material, form, site in lots:
        n = next(_SERIAL)
        rows.append({"lot_id": f"{lot_id}#{n}", "material": material, "form": form,
                     "custody": "segregated", "assay": "{}", "origin": "[]", "claim": None,
                     "site": site, "kg": 1.0, "seq": n // tie, "event_id": f"e{n}",
                     "event_time": "2026-03-02T00:00:00Z"})
    Store.insert_rows(conn, {"lots": rows})


def _both(conn: Connection, needle: str, limit: int) -> None:
    want = queries.find_lots(conn, needle, limit, indexed=False)
    for dense in (1, 10**9):  # walk lots newest first / fetch the index's matches
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(queries, "_DENSE", dense)
            assert queries.find_lots(conn, needle, limit) == want, needle


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lots=st.lists(_LOT, min_size=1, max_size=8), data=st.data(),
       limit=st.integers(0, 5))
def test_indexed_search_equals_the_plain_query(ledger: Ledger, lots: list[tuple[str, ...]],
                                               data: st.DataObject, limit: int) -> None:
    with ledger.store.write() as conn:
        _insert(conn, lots)  # type: ignore[arg-type]
        if data.draw(st.booleans(), label="index now") and lotsearch.installed(conn):
            assert lotsearch.catch_up(conn) > 0  # else these lots stay above the mark
    texts = [v for lot in lots for v in lot if v]
    part = st.sampled_from(texts).flatmap(lambda v: st.tuples(
        st.integers(0, len(v)), st.integers(0, len(v)), st.booleans()).map(
        lambda ijk: (v[min(ijk[:2]):max(ijk[:2])].upper() if ijk[2]
                     else v[min(ijk[:2]):max(ijk[:2])]))) if texts else _TEXT
    needles = data.draw(st.lists(st.one_of(part, _TEXT), min_size=1, max_size=4))
    with ledger.store.read() as conn:
        assert lotsearch.installed(conn) == (conn.dialect.name == "sqlite")
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")  # the trigram indexes, please
        for needle in needles:
            _both(conn, needle, limit)


def test_capture_leaves_indexing_to_the_next_search(sqlite_ledger: Ledger) -> None:
    """New lots wait above the mark (found by LIKE); the next search indexes them."""
    with sqlite_ledger.store.write() as conn:
        _insert(conn, [("urn:x:late-1", "NdPr oxide", "oxide", "urn:site:kmp"),
                       ("urn:x:late-2", "metal", "metal", "urn:site:kmp")], tie=1)
    with sqlite_ledger.store.read() as conn:
        before = lotsearch.indexed_upto(conn)
        assert lotsearch.pending(conn) == 2
        assert lotsearch.count_matching(conn, "late-") == 0  # not in the index yet
        assert queries.find_lots(conn, "late-", 10)[0] == 2  # found by the tail's LIKE
    assert sqlite_ledger.find_lots("LATE-2")[0] == 1  # indexes first, then searches
    with sqlite_ledger.store.read() as conn:
        assert lotsearch.pending(conn) == 0 and lotsearch.indexed_upto(conn) == before + 2
        assert lotsearch.count_matching(conn, "late-") == 2
    assert sqlite_ledger.index_lots() == 0  # nothing waits


def test_a_hand_checked_search(sqlite_ledger: Ledger) -> None:
    with sqlite_ledger.store.write() as conn:
        _insert(conn, [("urn:x:ABC-1", "NdPr oxide", "oxide", "urn:site:kmp"),
                       ("urn:x:abc-2", "metal", "metal", "urn:site:KMP"),
                       ("urn:x:q", "50%_off", "alloy", "s")], tie=1)
    with sqlite_ledger.store.read() as conn:
        total, rows = queries.find_lots(conn, "aBc-", 10)
        assert total == 2 and [r["lot"].split("#")[0] for r in rows] == ["urn:x:abc-2",
                                                                           "urn:x:ABC-1"]
        assert queries.find_lots(conn, "kmp", 1)[0] == 2
        assert queries.find_lots(conn, "0%_", 10)[0] == 1  # wildcards are literal
        assert queries.find_lots(conn, "0%x", 10)[0] == 0
        assert queries.find_lots(conn, "zzz", 10) == (0, [])


def test_postgres_search_uses_the_trigram_indexes(ledger: Ledger) -> None:
    with ledger.store.read() as conn:
        if conn.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only")
        conn.exec_driver_sql("SET enable_seqscan = off")
        plan = "\n".join(conn.exec_driver_sql(
            "EXPLAIN SELECT count(*) FROM lots WHERE lower(lot_id) LIKE %s ESCAPE '\\' "
            "OR lower(site) LIKE %s ESCAPE '\\'", ("%abc%", "%abc%")).scalars())
    assert "ix_lots_trgm_lot_id" in plan and "ix_lots_trgm_site" in plan


def test_a_ledger_of_revision_0010_gets_the_index(tmp_path: Path) -> None:
    undo = ["DROP TRIGGER lot_search_update",
            "DROP TRIGGER lot_search_delete", "DROP TABLE lot_search"]
    led = ledger_at_revision(tmp_path / "old.sqlite", "0010", undo,
                             receipt("OX-old-1", 10.0), receipt("OX-old-2", 20.0))
    try:
        with led.store.read() as conn:
            assert lotsearch.installed(conn)
            assert lotsearch.count_matching(conn, "ox-old-") == 2
        assert led.find_lots("old-2")[0] == 1
    finally:
        led.close()


def test_postgres_without_pg_trgm_warns_searches_all_lots_and_builds_it_later(
        caplog: pytest.LogCaptureFixture) -> None:
    """A user who may not create extensions: a warning, the plain search; a superuser
    creates pg_trgm, and the next open builds the indexes."""
    if not PG_URL:
        pytest.skip(SKIP_PG)
    name = "noext_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {name} LOGIN PASSWORD '{name}'")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = make_url(PG_URL).set(username=name, password=name, database=name)
    owner_url = make_url(PG_URL).set(database=name)
    db_admin = create_engine(owner_url, isolation_level="AUTOCOMMIT")
    try:
        with db_admin.connect() as conn:
            conn.exec_driver_sql(f"GRANT CREATE ON SCHEMA public TO {name}")
        with caplog.at_level("WARNING", logger="oreline.ledger.store.lotsearch"):
            led = Ledger.open(url.render_as_string(hide_password=False))
        assert [r.message for r in caplog.records if "pg_trgm" in r.message] != []
        with led.store.write() as conn:
            _insert(conn, [("urn:x:abc-1", "oxide", "oxide", "urn:site:kmp")])
        assert led.find_lots("ABC-")[0] == 1
        led.close()
        with db_admin.connect() as conn:
            conn.exec_driver_sql("CREATE EXTENSION pg_trgm")
        led = Ledger.open(url.render_as_string(hide_password=False))
        with led.store.read() as conn:
            assert not lotsearch.missing_on_postgres(conn)
        led.close()
    finally:
        db_admin.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")
        admin.dispose()


def test_the_sqlite_index_merges_segments_by_eights(tmp_path: Path) -> None:
    """FTS5's automerge is 8 (capture pays less merging); search still finds every lot."""
    from oreline.ledger import Ledger

    led = Ledger.open(f"sqlite:///{tmp_path / 'l.sqlite'}")
    try:
        with led.store.read() as conn:
            if not lotsearch.installed(conn):
                pytest.skip("this SQLite has no FTS5 trigram tokenizer")
            got = conn.exec_driver_sql(
                "SELECT v FROM lot_search_config WHERE k = 'automerge'").scalar()
        assert got == 8
    finally:
        led.close()
