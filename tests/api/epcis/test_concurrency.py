"""Eight clients capturing at once against a real ``oreline serve`` (two workers).

Each client posts a document of its own lots and the same shared document; afterwards
every event is in the ledger once (the shared document captured by one client, held
for the seven others), the hash chain verifies as one unbroken chain, and the stock is
the sum of what was received.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oreline.ledger import Ledger
from tests.api.conftest import _free_port
from tests.api.epcis.conftest import document, receipts


def call(url: str, body: Any = None, token: str | None = None,
         method: str | None = None) -> tuple[int, dict[str, str], Any]:
    """One HTTP request with the standard library: status, headers, JSON body."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            raw = r.read()
            return r.status, {k.lower(): v for k, v in r.headers.items()}, \
                json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read().decode()


CLIENTS = 8
OWN = 60
SHARED = 10


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    folder = tmp_path_factory.mktemp("epcis-live")
    db = folder / "ledger.sqlite"
    exe = [sys.executable, "-m", "oreline.cli.app", "serve", "--data-dir", str(folder),
           "--db", str(db)]
    token = subprocess.run([*exe, "token", "create", "--scope", "capture", "--days", "1"],
                           check=True, capture_output=True, text=True).stdout.split()[-1]
    port = _free_port()
    proc = subprocess.Popen([*exe, "--port", str(port), "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONWARNINGS": ""})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if call(f"{url}/epcis", method="OPTIONS")[0] == 204:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            err = proc.communicate()[1].decode()
            pytest.fail(f"oreline serve did not start: {err[-2000:]}")
        time.sleep(0.3)
    try:
        yield url, token, db
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stderr is not None:
            proc.stderr.close()


def _post_all(url: str, token: str) -> list[dict[str, Any]]:
    shared = document(receipts("shared", SHARED))
    barrier = threading.Barrier(CLIENTS)
    jobs: list[dict[str, Any]] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        own = document(receipts(f"c{i}", OWN))
        barrier.wait()
        locations = []
        for doc in (own, shared):
            status, headers, answer = call(f"{url}/epcis/capture", doc, token)
            if status != 202:
                with lock:
                    errors.append(str(answer))
                return
            locations.append(headers["location"])
        for loc in locations:
            while (job := call(url + loc, token=token)[2])["running"]:
                time.sleep(0.1)
            with lock:
                jobs.append(job)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:2]
    return jobs


def test_concurrent_captures_lose_nothing_and_keep_one_chain(live: tuple[str, str, Path]):
    url, token, db = live
    jobs = _post_all(url, token)
    assert len(jobs) == 2 * CLIENTS
    assert all(j["success"] for j in jobs), [j["errors"][:1] for j in jobs if not j["success"]]
    total = CLIENTS * OWN + SHARED
    assert sum(j["captured"] for j in jobs) == total
    assert sum(j["held"] for j in jobs) == (CLIENTS - 1) * SHARED
    # every event once over HTTP, walking the pages
    seen: list[str] = []
    next_url = "/epcis/events?perPage=100"
    while next_url:
        _, headers, answer = call(url + next_url)
        seen += [e["eventID"] for e in
                 answer["epcisBody"]["queryResults"]["resultsBody"]["eventList"]]
        link = headers.get("link")
        next_url = link[1:link.index(">")] if link else ""
    assert len(seen) == len(set(seen)) == total
    led = Ledger.open(db)
    try:
        report = led.verify()
        assert report["entries"] == total
        assert sum(s["kg"] for s in led.stock()) == pytest.approx(total * 1000.0)
        lots = {r["lot"] for r in led.lots()}
        assert len(lots) == total
    finally:
        led.close()
