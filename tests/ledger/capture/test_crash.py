"""Crash safety: a capture killed with SIGKILL mid-document leaves nothing of it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from oreline.ledger import Ledger
from tests.ledger.ledgerkit import KMP, PG_URL, SKIP_PG, doc, receipt

SCRIPT = textwrap.dedent("""
    import sys, time
    from oreline.ledger import Ledger
    from oreline.ledger.store.engine import Store
    sys.path.insert(0, {kit!r})
    from tests.ledger.ledgerkit import doc, receipt

    original = Store.insert_rows

    def slow_insert(conn, rows):
        original(conn, rows)           # every row of the document is now inserted...
        print("written", sum(len(v) for v in rows.values()), flush=True)
        time.sleep(120)                # ...but the transaction is not committed yet

    Store.insert_rows = staticmethod(slow_insert)
    led = Ledger.open({db!r}, schema={schema!r})
    big = doc(*[receipt(f"big-{{i}}", 10.0 + i) for i in range({n})])
    led.capture(big)
    print("committed", flush=True)
""")


def _run_and_kill(tmp_path: Path, db: str, schema: str | None, n: int) -> int:
    script = tmp_path / "capture_big.py"
    script.write_text(SCRIPT.format(kit=str(Path(__file__).parents[3]), db=db, schema=schema, n=n))
    env = dict(os.environ)
    with subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=env) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("written"):
            proc.kill()
            pytest.fail(f"capture subprocess did not reach the write: {proc.communicate()}")
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    return int(line.split()[1])


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres",
                                                            marks=pytest.mark.postgres)])
def test_sigkill_mid_capture_leaves_no_partial_document(tmp_path: Path, backend: str) -> None:
    schema = None
    if backend == "sqlite":
        db = str(tmp_path / "crash.sqlite")
    else:
        if not PG_URL:
            pytest.skip(SKIP_PG)
        db, schema = PG_URL, "t_" + uuid.uuid4().hex[:16]
    led = Ledger.open(db, schema=schema)
    try:
        led.register_site(KMP, "KMP", "KR", "alloying")
        led.capture(doc(receipt("base", 5.0)))
        before = {t: led.store.count(t) for t in ("entries", "lots", "movements",
                                                   "mb_entries")}
        led.close()
        rows_written = _run_and_kill(tmp_path, db, schema, n=1000)
        assert rows_written > 1000 * 3  # entries, lots, movements and more were inserted
        led = Ledger.open(db, schema=schema)
        after = {t: led.store.count(t) for t in before}
        assert after == before
        assert led.verify()["entries"] == 1
        # the ledger is not locked or damaged: the same document captures whole now
        res = led.capture(doc(*[receipt(f"big-{i}", 10.0 + i) for i in range(1000)]))
        assert (res.first_seq, res.last_seq) == (2, 1001)
        assert led.verify()["entries"] == 1001
    finally:
        led.close()
        if schema is not None:
            from sqlalchemy import create_engine

            eng = create_engine(PG_URL)
            with eng.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            eng.dispose()
