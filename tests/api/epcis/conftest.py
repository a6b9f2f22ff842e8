"""Fixtures of the EPCIS binding tests: an app on a fresh ledger, documents, a receiver.

The app has small capture limits (100 events, 400 kB) so that 413 is reachable; the
documents are built with the ledger's own builders (receipts of whole lots at one
declared site) or are the GS1 and openEPCIS examples vendored under tests/ledger.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oreline.api.app import create_app
from oreline.api.config import ServeConfig
from oreline.api.tokens import create_token
from oreline.ledger import receive_event
from oreline.ledger.epcis.document import make_document
from oreline.ledger.profile.builder import site_master_data
from oreline.ledger.profile.model import OUR_PREFIXES

SITE = "urn:oreline:site:rest"
DATA = Path(__file__).parents[2] / "ledger" / "epcis" / "data"


def receipts(prefix: str, n: int, kg: float = 1000.0) -> list[dict[str, Any]]:
    """``n`` receipts of new lots ``urn:oreline:lot:{prefix}-{i}`` at :data:`SITE`."""
    return [receive_event(f"urn:oreline:lot:{prefix}-{i}", kg=kg, site=SITE,
                          time=f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:00:00+09:00",
                          material="NdPr oxide", form="oxide", assay={"Nd": 0.5, "Pr": 0.2},
                          origin={"mined": "AU", "separated": "MY"}) for i in range(n)]


def document(events: list[dict[str, Any]]) -> dict[str, Any]:
    """An EPCISDocument of ``events`` declaring :data:`SITE` in its header."""
    master = site_master_data([{"id": SITE, "name": "REST test site", "country": "KR",
                                "stage": "alloying"}])
    return make_document(events, master, prefixes=OUR_PREFIXES)


def wait_job(client: Any, location: str, headers: dict[str, str],
             timeout: float = 60.0) -> dict[str, Any]:
    """Poll a capture job until it is no longer running."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(location, headers=headers).json()
        if not job["running"] or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def event_list(answer: Any) -> list[dict[str, Any]]:
    """The events of an EPCISQueryDocument answer."""
    events: list[dict[str, Any]] = \
        answer.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return events


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("epcis")
    config = ServeConfig(str(folder), f"sqlite:///{folder / 'ledger.sqlite'}",
                         f"sqlite:///{folder / 'serve.sqlite'}", epcis_capture_events=100,
                         epcis_capture_bytes=400_000)
    with TestClient(create_app(config)) as c:
        yield c


@pytest.fixture(scope="module")
def auth(app_client: TestClient) -> dict[str, dict[str, str]]:
    engine = app_client.app.state.engine  # type: ignore[attr-defined]
    return {s: {"Authorization": f"Bearer {create_token(engine, [s], days=1).secret}"}
            for s in ("read", "plan", "capture", "admin")}


@dataclass
class Receiver:
    """A local HTTP server that records what is POSTed to it."""

    url: str
    status: int = 200
    posts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def wait(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.posts) < count and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            box[0].posts.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(box[0].status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def body_json(raw: bytes) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(raw)
    return out
