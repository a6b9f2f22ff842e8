"""Ledger benchmark: capture throughput and trace-back latency (one command).

    .venv/bin/python benchmarks/ledger_bench.py                  # 1M lots (long)
    .venv/bin/python benchmarks/ledger_bench.py --lots 70000     # quick
    ORELINE_PG_URL=postgresql+psycopg://... .venv/bin/python benchmarks/ledger_bench.py

1. Capture throughput (events/s) through the real write path (parse, profile checks,
   CBV hash IDs, RFC 8785 content hashes, hash chain, custody checks, one transaction per
   document) for receipt documents, on SQLite and, when ORELINE_PG_URL is set, PostgreSQL:
   one process capturing document after document, then ``--writers`` processes capturing
   into one ledger at once (each parses its next document while another writes).
2. A ledger of ``--lots`` lots built from chains of seven lots: an oxide receipt and six
   transformations (electrolysis, strip casting, sintering, recycling, alloying,
   sintering), each within its step's recovery window; the build rate is reported too.
3. Trace-back latency (median and p95) of the last lot of random chains, six stages deep.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from oreline.ledger import Ledger, lot_master, receive_event, transform_event
from oreline.ledger.epcis.document import make_document
from oreline.ledger.profile.model import OUR_PREFIXES
from oreline.ledger.store.queries import trace_back

SITE = "urn:oreline:site:bench"
STEPS = [("electrolytic_reduction", 0.96), ("strip_casting", 0.99), ("sintering", 0.97),
         ("recycling", 0.90), ("alloying", 0.99), ("sintering", 0.97)]
ASSAY = {"Nd": 0.5, "Pr": 0.2}


def _time(i: int) -> str:
    day = 1 + (i // 100_000) % 28
    return f"2026-03-{day:02d}T{(i // 5000) % 24:02d}:{(i // 60) % 60:02d}:00+09:00"


def receipts(n: int, start: int) -> list[dict[str, Any]]:
    return [receive_event(f"urn:oreline:lot:r{start + i}", kg=1000.0, site=SITE,
                          time=_time(start + i), material="NdPr oxide", form="oxide",
                          assay=ASSAY, origin={"mined": "AU", "separated": "MY"})
            for i in range(n)]


def chain(c: int) -> list[dict[str, Any]]:
    lot = f"urn:oreline:lot:c{c}-0"
    kg = 1000.0
    events = [receive_event(lot, kg=kg, site=SITE, time=_time(c), material="oxide",
                            form="oxide", assay=ASSAY,
                            origin={"mined": "AU", "separated": "MY"})]
    for s, (step, rec) in enumerate(STEPS, start=1):
        out = f"urn:oreline:lot:c{c}-{s}"
        out_kg = round(kg * rec, 3)
        events.append(transform_event(step, site=SITE, time=_time(c), inputs={lot: kg},
                                      outputs={out: (out_kg, lot_master("x", "alloy", ASSAY))}))
        lot, kg = out, out_kg
    return events


def open_ledger(backend: str, tmp: Path) -> tuple[Ledger, str | None]:
    if backend == "sqlite":
        led = Ledger.open(tmp / f"bench-{uuid.uuid4().hex[:6]}.sqlite")
        schema = None
    else:
        schema = "bench_" + uuid.uuid4().hex[:10]
        led = Ledger.open(os.environ["ORELINE_PG_URL"], schema=schema)
    led.register_site(SITE, "bench", "KR", "alloying")
    return led, schema


def drop(schema: str | None) -> None:
    if schema:
        eng = create_engine(os.environ["ORELINE_PG_URL"])
        with eng.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        eng.dispose()


def bench_capture(backend: str, tmp: Path, events: int, batch: int,
                  repeat: int = 1) -> dict[str, Any]:
    """Capture throughput on a fresh ledger, ``repeat`` times; the median run is reported."""
    runs = []
    for _ in range(repeat):
        led, schema = open_ledger(backend, tmp)
        try:
            docs = [make_document(receipts(min(batch, events - i), i), prefixes=OUR_PREFIXES)
                    for i in range(0, events, batch)]
            t0 = time.perf_counter()
            for d in docs:
                led.capture(d)
            runs.append(time.perf_counter() - t0)
        finally:
            led.close()
            drop(schema)
    dt = statistics.median(runs)
    return {"backend": backend, "events": events, "batch": batch, "seconds": dt,
            "events_per_s": events / dt, "runs_events_per_s": [events / r for r in runs]}


def _writer(backend: str, target: str, schema: str | None, first: int, events: int,
            batch: int, barrier: Any, out: Any) -> None:
    """One writer process: capture its documents into the shared ledger after the barrier."""
    led = Ledger.open(target, schema=schema)
    try:
        docs = [make_document(receipts(min(batch, first + events - i), i),
                              prefixes=OUR_PREFIXES)
                for i in range(first, first + events, batch)]
        barrier.wait()
        t0 = time.perf_counter()
        for d in docs:
            led.capture(d)
        out.put((t0, time.perf_counter()))
    finally:
        led.close()


def bench_writers(backend: str, tmp: Path, events: int, batch: int, writers: int
                  ) -> dict[str, Any]:
    """Aggregate capture throughput of ``writers`` processes sharing one ledger.

    Each process captures ``events / writers`` receipt events in documents of ``batch``;
    a capture parses its document before it takes the ledger's write lock, so one
    writer's parsing overlaps another's writing. Wall time runs from the first start to
    the last finish; the ledger is verified afterwards.
    """
    import multiprocessing as mp

    led, schema = open_ledger(backend, tmp)
    target = str(led.store.engine.url.database) if backend == "sqlite" \
        else os.environ["ORELINE_PG_URL"]
    led.close()
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(writers, timeout=300), ctx.Queue()  # a dead writer ends it
    share = events // writers
    procs = [ctx.Process(target=_writer, args=(backend, target, schema, w * share, share,
                                              batch, barrier, out), daemon=True)
             for w in range(writers)]
    try:
        for p in procs:
            p.start()
        spans: list[tuple[float, float]] = []
        while len(spans) < writers:
            try:
                spans.append(out.get(timeout=1))
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in procs):
                    raise RuntimeError("a writer process failed (its traceback is above)") from None
        for p in procs:
            p.join()
        led = Ledger.open(target, schema=schema)
        try:
            assert led.verify()["entries"] == share * writers
        finally:
            led.close()
    finally:
        drop(schema)
    dt = max(e for _, e in spans) - min(s for s, _ in spans)
    return {"backend": backend, "writers": writers, "events": share * writers,
            "batch": batch, "seconds": dt, "events_per_s": share * writers / dt}


def bench_trace(backend: str, tmp: Path, lots: int, batch: int, samples: int,
                keep: bool) -> dict[str, Any]:
    led, schema = open_ledger(backend, tmp)
    chains = max(1, lots // 7)
    per_doc = max(1, batch // 7)
    try:
        t0 = time.perf_counter()
        for c0 in range(0, chains, per_doc):
            evs = [e for c in range(c0, min(chains, c0 + per_doc)) for e in chain(c)]
            led.capture(make_document(evs, prefixes=OUR_PREFIXES))
            done = min(chains, c0 + per_doc)
            if done % (per_doc * 20) == 0 or done == chains:
                rate = done * 7 / (time.perf_counter() - t0)
                print(f"  {backend}: {done * 7:,} lots captured ({rate:,.0f} events/s)",
                      file=sys.stderr, flush=True)
        build = time.perf_counter() - t0
        with led.store.engine.begin() as conn:  # fresh planner statistics, as autovacuum would
            conn.exec_driver_sql("ANALYZE")
        rng = random.Random(1)
        picks = [f"urn:oreline:lot:c{rng.randrange(chains)}-6" for _ in range(samples)]
        times = []
        with led.store.read() as conn:
            trace_back(conn, picks[0])  # warm caches
            for lot in picks:
                t = time.perf_counter()
                tree = trace_back(conn, lot)
                times.append((time.perf_counter() - t) * 1000)
                assert tree["depth"] == 6, tree["depth"]
        times.sort()
        return {"backend": backend, "lots": chains * 7, "events": chains * 7,
                "build_seconds": build, "build_events_per_s": chains * 7 / build,
                "trace_depth": 6, "samples": samples,
                "trace_ms_median": statistics.median(times),
                "trace_ms_p95": times[int(0.95 * (len(times) - 1))]}
    finally:
        led.close()
        if not keep:
            drop(schema)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lots", type=int, default=1_000_000, help="lots in the trace ledger")
    ap.add_argument("--events", type=int, default=20_000, help="events for the capture test")
    ap.add_argument("--batch", type=int, default=5_000, help="events per captured document")
    ap.add_argument("--samples", type=int, default=200, help="trace-back samples")
    ap.add_argument("--repeat", type=int, default=1,
                    help="capture runs per backend (the median is reported)")
    ap.add_argument("--pg-lots", type=int, default=None,
                    help="lots for the PostgreSQL trace ledger (default: --lots)")
    ap.add_argument("--writers", type=int, default=2,
                    help="processes capturing into one ledger at once (0 to skip)")
    ap.add_argument("--out", type=Path, default=None, help="write results as JSON here")
    ap.add_argument("--keep-sqlite", type=Path, default=None,
                    help="keep the SQLite trace ledger at this path (for serve_bench --db)")
    args = ap.parse_args()
    backends = ["sqlite"] + (["postgres"] if os.environ.get("ORELINE_PG_URL") else [])
    results: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count(),
                               "capture": [], "trace": []}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        for backend in backends:
            res = bench_capture(backend, tmp, args.events, args.batch, args.repeat)
            runs = ", ".join(f"{r:,.0f}" for r in res["runs_events_per_s"])
            print(f"capture {backend}: {res['events_per_s']:,.0f} events/s "
                  f"({res['events']} events in documents of {res['batch']}"
                  + (f"; median of {args.repeat} runs: {runs}" if args.repeat > 1 else "")
                  + ")", flush=True)
            results["capture"].append(res)
            if args.writers > 1:
                res = bench_writers(backend, tmp, args.events, args.batch, args.writers)
                print(f"capture {backend}, {args.writers} writers at once: "
                      f"{res['events_per_s']:,.0f} events/s in all", flush=True)
                results["capture"].append(res)
        for backend in backends:
            lots = args.lots if backend == "sqlite" or args.pg_lots is None else args.pg_lots
            res = bench_trace(backend, tmp, lots, args.batch, args.samples, keep=False)
            if backend == "sqlite" and args.keep_sqlite is not None:
                built = max(tmp.glob("bench-*.sqlite"), key=lambda p: p.stat().st_mtime)
                shutil.move(built, args.keep_sqlite)
                print(f"kept the trace ledger at {args.keep_sqlite}", flush=True)
            print(f"trace {backend}: {res['lots']:,} lots, six stages deep: median "
                  f"{res['trace_ms_median']:.2f} ms, p95 {res['trace_ms_p95']:.2f} ms "
                  f"(built at {res['build_events_per_s']:,.0f} events/s)", flush=True)
            results["trace"].append(res)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
