"""Page and API latency of ``oreline serve`` under a bounded load on localhost.

    .venv/bin/python benchmarks/serve_bench.py                 # 4 clients, 50 requests a URL
    .venv/bin/python benchmarks/serve_bench.py --clients 1 --requests 20
    .venv/bin/python benchmarks/ledger_bench.py --lots 1000000 --keep-sqlite /tmp/1m.sqlite
    .venv/bin/python benchmarks/serve_bench.py --db /tmp/1m.sqlite     # lot look-ups there

Starts a real ``oreline serve`` (one worker, a fresh data folder with the demo ledger),
runs ``oreline invest kmp --stress kmp`` on ``--invest-samples`` scenarios as a job
through the API (its time is reported apart) for the invest pages, opens each URL once
to warm the plan cache (the first kmp plan solves; that time is reported apart), then
sends ``--requests`` requests per URL from ``--clients`` threads
at once and prints p50 and p95 per URL in milliseconds, as JSON.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

URLS = ["/plan/kmp", "/api/plan/kmp", "/plan/exchina", "/api/plan/exchina",
        "/scenarios/kmp", "/api/scenarios", "/trace", "/trace/lots?q=alloy",
        "/trace/lot?lot={lot}", "/api/trace/lot?lot={lot}", "/trace/certificate?lot={lot}",
        "/invest", "/api/invest", "/invest/runs/{run}", "/api/invest/runs/{run}"]
TRACE_URLS = ["/trace", "/trace/lots?q=c12345-", "/trace/lots?q=alloy", "/trace/lot?lot={lot}",
              "/api/trace/lot?lot={lot}", "/trace/certificate?lot={lot}"]


def _get(url: str) -> float:
    t = time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as r:
        r.read()
    return (time.perf_counter() - t) * 1000


def _invest_run(base: str, data_dir: str, samples: int) -> tuple[str, float]:
    """Run ``oreline invest kmp --stress kmp`` as a job; its id and seconds to finish."""
    from oreline.api.appdb import open_app_db
    from oreline.api.config import ServeConfig
    from oreline.api.tokens import create_token

    engine = open_app_db(ServeConfig.default(Path(data_dir)).app_url)
    secret = create_token(engine, ["plan"], days=1, note="serve_bench").secret
    engine.dispose()
    body = json.dumps({"scenario": "kmp", "stress": "kmp", "samples": samples, "oos": 0,
                       "mrp": 0}).encode()
    t = time.perf_counter()
    req = urllib.request.Request(base + "/api/invest/runs", data=body, method="POST",
                                 headers={"Authorization": f"Bearer {secret}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        job = json.loads(r.read())
    while job["status"] not in ("done", "failed"):
        time.sleep(1)
        with urllib.request.urlopen(base + job["status_url"], timeout=60) as r:
            job = json.loads(r.read())
    if job["status"] != "done":
        raise RuntimeError(f"the invest run failed: {job['message']}")
    return job["id"], time.perf_counter() - t


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--db", default=None,
                    help="serve this ledger (e.g. ledger_bench --keep-sqlite) and time the "
                         "trace pages only, on random lots of it")
    ap.add_argument("--invest-samples", type=int, default=4,
                    help="scenarios of the invest run whose pages are timed")
    args = ap.parse_args()
    port = _port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        extra = ["--db", args.db] if args.db else []
        log = Path(tmp, "server.log").open("w+")  # noqa: SIM115 (closed below)
        proc = subprocess.Popen([sys.executable, "-m", "oreline.cli.app", "serve",
                                 "--data-dir", tmp, "--port", str(port), *extra],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            while True:
                try:
                    _get(base + "/api/")
                    break
                except OSError:
                    time.sleep(0.2)
            started = time.perf_counter() - t0
            lots = json.loads(urllib.request.urlopen(base + "/api/trace/lots?q=alloy").read())
            if lots["lots"]:
                lot = urllib.parse.quote(lots["lots"][0]["lot"], safe="")
            else:  # a ledger_bench ledger: the last lot of a chain, six stages deep
                lot = urllib.parse.quote("urn:oreline:lot:c12345-6", safe="")
            run, invest_s = ("", 0.0) if args.db else _invest_run(base, tmp,
                                                                  args.invest_samples)
            urls = [u.format(lot=lot, run=run) for u in (TRACE_URLS if args.db else URLS)]
            first = {u: round(_get(base + u)) for u in urls}  # warm: the first plan solves
            out: dict[str, object] = {"clients": args.clients, "requests": args.requests,
                                      "start_with_demo_ledger_s": round(started, 1),
                                      "invest_run_s": round(invest_s, 1),
                                      "first_visit_ms": first, "latency_ms": {}}
            with ThreadPoolExecutor(args.clients) as pool:
                for u in urls:
                    times = sorted(pool.map(_get, [base + u] * args.requests))
                    out["latency_ms"][u] = {  # type: ignore[index]
                        "p50": round(statistics.median(times), 1),
                        "p95": round(times[int(0.95 * (len(times) - 1))], 1)}
        except Exception:
            log.seek(0)
            print(log.read()[-6000:], file=sys.stderr)  # the server's side of the failure
            raise
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            log.close()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
