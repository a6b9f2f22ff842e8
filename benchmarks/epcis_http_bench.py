"""EPCIS capture throughput over HTTP against the library, and GET /epcis/events latency.

    .venv/bin/python benchmarks/epcis_http_bench.py                   # 4 documents x 5,000
    .venv/bin/python benchmarks/epcis_http_bench.py --docs 2 --repeat 1 --requests 10

*Library*: documents of ``--batch`` receipts (as ``ledger_bench.py`` builds them, the site
declared in the header) captured with ``Ledger.capture`` into a fresh SQLite ledger in
this process. *HTTP*: the same number of documents of other lots, already serialised
(a partner's system sends a file it has), POSTed one after another to
``/epcis/capture`` of a real ``oreline serve`` (one worker, a fresh SQLite ledger), each
job polled until it is done; the time runs from the first POST to the last job's end.
Each is run ``--repeat`` times on fresh ledgers and the median is reported. Then
``--requests`` GETs of each query URL from one client, p50 and p95 in milliseconds.
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).parent))

from ledger_bench import SITE, receipts  # the benchmark folder is on sys.path

from oreline.ledger import Ledger
from oreline.ledger.epcis.document import make_document
from oreline.ledger.profile.builder import site_master_data
from oreline.ledger.profile.model import OUR_PREFIXES

MASTER = site_master_data([{"id": SITE, "name": "bench", "country": "KR",
                            "stage": "alloying"}])


def _docs(count: int, batch: int, start: int) -> list[dict[str, Any]]:
    return [make_document(receipts(batch, start + i * batch), MASTER, prefixes=OUR_PREFIXES)
            for i in range(count)]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(url: str, data: bytes | None = None, token: str | None = None,
          method: str | None = None) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=600) as r:
        return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()


def bench_library(count: int, batch: int, tmp: Path) -> float:
    docs = _docs(count, batch, 0)
    led = Ledger.open(tmp / f"lib-{time.monotonic_ns()}.sqlite")
    try:
        t0 = time.perf_counter()
        for d in docs:
            led.capture(d)
        return count * batch / (time.perf_counter() - t0)
    finally:
        led.close()


class Server:
    """A real ``oreline serve`` on a fresh ledger, with a capture token."""

    def __init__(self, tmp: Path) -> None:
        folder = Path(tempfile.mkdtemp(dir=tmp))
        exe = [sys.executable, "-m", "oreline.cli.app", "serve", "--data-dir", str(folder),
               "--db", str(folder / "ledger.sqlite")]
        self.token = subprocess.run([*exe, "token", "create", "--scope", "capture"],
                                    check=True, capture_output=True,
                                    text=True).stdout.split()[-1]
        self.url = f"http://127.0.0.1:{_port()}"
        self.proc = subprocess.Popen([*exe, "--port", self.url.rsplit(":", 1)[1]],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env={**os.environ, "PYTHONWARNINGS": ""})
        deadline = time.monotonic() + 120
        while True:
            try:
                _call(f"{self.url}/epcis", method="OPTIONS")
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def capture(self, bodies: list[bytes]) -> float:
        t0 = time.perf_counter()
        for body in bodies:
            _, headers, _ = _call(f"{self.url}/epcis/capture", body, self.token)
            while True:
                job = json.loads(_call(self.url + headers["location"], token=self.token)[2])
                if not job["running"]:
                    break
                time.sleep(0.02)
            assert job["success"], job["errors"][:1]
        return time.perf_counter() - t0

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def _latency(server: Server, requests: int, batch: int, count: int) -> dict[str, Any]:
    first = f"{server.url}/epcis/events?perPage=30"
    link = _call(first)[1]["link"]
    late = f"urn:oreline:lot:r{count * batch - 10}"
    body = json.loads(_call(first)[2])
    event_id = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]["eventID"]
    urls = {
        "/epcis/events?perPage=30": first,
        "next page (Link)": server.url + link[1:link.index(">")],
        "EQ_bizStep=receiving": f"{server.url}/epcis/events?EQ_bizStep=receiving&perPage=30",
        # the receipts are at 2026-03-01T00-03:00+09:00, all before this: every body is read
        "GE_eventTime after every event (scans all)":
            f"{server.url}/epcis/events?perPage=30&GE_eventTime=2026-03-01T00:00:00Z",
        "MATCH_anyEPCClass, a lot of the last document (scans)":
            f"{server.url}/epcis/events?MATCH_anyEPCClass={late}",
        "/epcis/events/{eventID}": f"{server.url}/epcis/events/{quote(event_id, safe='')}",
    }
    out = {}
    for name, url in urls.items():
        times = []
        for _ in range(requests):
            t = time.perf_counter()
            _call(url)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out[name] = {"p50_ms": round(statistics.median(times), 1),
                     "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=5_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--requests", type=int, default=30)
    args = ap.parse_args()
    events = args.docs * args.batch
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        library = [bench_library(args.docs, args.batch, tmp) for _ in range(args.repeat)]
        bodies = [json.dumps(d).encode() for d in _docs(args.docs, args.batch, 0)]
        http, latency = [], {}
        for i in range(args.repeat):
            server = Server(tmp)
            try:
                http.append(events / server.capture(bodies))
                if i == args.repeat - 1:
                    latency = _latency(server, args.requests, args.batch, args.docs)
            finally:
                server.close()
    lib, web = statistics.median(library), statistics.median(http)
    print(json.dumps({
        "events": events, "batch": args.batch, "load": os.getloadavg(),
        "library_events_per_s": round(lib), "http_events_per_s": round(web),
        "http_over_library": round(web / lib, 3),
        "runs": {"library": [round(x) for x in library], "http": [round(x) for x in http]},
        "document_bytes": len(bodies[0]), "get_latency": latency}, indent=2))


if __name__ == "__main__":
    main()
