"""Fixtures of the server tests: an in-process app (TestClient) and a real ``oreline serve``.

The in-process app and the subprocess share one data folder per test session, so the
demo ledger is built once.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oreline.api.app import create_app
from oreline.api.config import ServeConfig
from oreline.api.tokens import create_token

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve-data")


@pytest.fixture(scope="session")
def config(data_dir: Path) -> ServeConfig:
    return ServeConfig.default(data_dir)


@pytest.fixture(scope="session")
def client(config: ServeConfig) -> Iterator[TestClient]:
    with TestClient(create_app(config)) as c:
        yield c


@pytest.fixture(scope="session")
def tokens(client: TestClient) -> dict[str, str]:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    return {s: create_token(engine, [s], days=1).secret for s in ("read", "plan", "capture",
                                                                  "admin")}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    process: subprocess.Popen[bytes]


def _start(data_dir: Path) -> Iterator[Server]:
    """A real ``oreline serve`` on a free port in ``data_dir``, with a plan token."""
    port = _free_port()
    exe = [sys.executable, "-m", "oreline.cli.app", "serve", "--data-dir", str(data_dir)]
    token = subprocess.run([*exe, "token", "create", "--scope", "plan", "--days", "1"],
                           check=True, capture_output=True, text=True).stdout.split()[-1]
    proc = subprocess.Popen([*exe, "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONWARNINGS": ""})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/", timeout=5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                proc.kill()
                proc.wait()
                if proc.stderr is not None:
                    proc.stderr.close()
                pytest.fail(f"oreline serve did not start: {err[-2000:]}")
            time.sleep(0.3)
    try:
        yield Server(url, token, proc)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if proc.stderr is not None:
            proc.stderr.close()


@pytest.fixture(scope="session")
def server(data_dir: Path, client: TestClient) -> Iterator[Server]:
    """The server of the browser tests, on the data folder the API tests use."""
    yield from _start(data_dir)


@pytest.fixture(scope="session")
def clean_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server on a fresh data folder, as a newcomer sees it (for the screenshots)."""
    yield from _start(tmp_path_factory.mktemp("serve-clean"))


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        pytest.skip("needs Debian package chromium (apt-get install chromium; .ci/run "
                    "installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    yield from _page(browser, server)


@pytest.fixture
def clean_page(browser: Any, clean_server: Server) -> Iterator[Any]:
    """A page of a server that no other test has written to (for the docs' screenshots)."""
    yield from _page(browser, clean_server)


def _page(browser: Any, server: Server) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1300, "height": 900}, base_url=server.url,
                              accept_downloads=True)
    outside: list[str] = []

    def air_gap(route: Any) -> None:  # users run air-gapped: nothing may leave the host
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ctx.route("**/*", air_gap)
    p = ctx.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    yield p
    ctx.close()
    assert errors == [], errors
    assert outside == [], f"requests outside the server: {outside}"


def copy_scenario(client: TestClient, token: str, source: str = "tiny",
                  prefix: str = "wi") -> str:
    """A what-if copy of ``source`` under a fresh name (made through the API)."""
    import uuid

    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    r = client.post(f"/api/scenarios/{source}/copy", json={"name": name},
                    headers=bearer(token))
    assert r.status_code == 201, r.text
    return name
