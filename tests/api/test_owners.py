"""Jobs whose server process died fail with a reason instead of running forever.

A real subprocess starts a job (a plan-like run that blocks, an EPCIS capture waiting
for the ledger's write lock) and is killed with SIGKILL; this process then reads the
job's status, or starts the app on the same data folder.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from oreline.api import epcis, owners
from oreline.api.app import create_app
from oreline.api.appdb import job_owners, open_app_db
from oreline.api.config import ServeConfig
from oreline.api.epcis.capture import CaptureJobs
from oreline.api.jobs import JobRunner
from oreline.ledger import Ledger
from tests.ledger.ledgerkit import KMP, doc, receipt

_RUNNER = """
import sys, time
from oreline.api.appdb import open_app_db
from oreline.api.jobs import JobRunner
runner = JobRunner(open_app_db(sys.argv[1]), {"plan": lambda p, progress: time.sleep(600)})
job = runner.submit("plan", {"scenario": "kmp"})
while runner.get(job.id).status != "running":
    time.sleep(0.02)
print(job.id, flush=True)
time.sleep(600)
"""

_CAPTURE = """
import json, sys, time
from oreline.api.appdb import open_app_db
from oreline.api.epcis.capture import CaptureJobs
from oreline.ledger import Ledger
jobs = CaptureJobs(open_app_db(sys.argv[1]), Ledger.open(sys.argv[2]), lambda a, b: None)
print("ready", flush=True)
sys.stdin.readline()  # the test now holds the ledger's write lock
jid, _ = jobs.submit(json.loads(sys.argv[3]))
print(jid, flush=True)
time.sleep(600)
"""


def _killed_after_start(script: str, *args: str, lock: Path | None = None) -> str:
    """Run ``script``, read the job id it prints, then SIGKILL it; the job id.

    With ``lock``, the ledger at that path is locked for writing when the script says
    it is ready, and until it is killed.
    """
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    held = None
    try:
        assert proc.stdout is not None and proc.stdin is not None
        if lock is not None:
            assert proc.stdout.readline().strip() == "ready"
            held = sqlite3.connect(lock, isolation_level=None)
            held.execute("BEGIN IMMEDIATE")
            proc.stdin.write("go\n")
            proc.stdin.flush()
        line = proc.stdout.readline()
        assert line.strip(), "the job process printed no job id"
        return line.strip()
    finally:
        proc.kill()
        proc.wait(timeout=30)
        for stream in (proc.stdin, proc.stdout):
            if stream:
                stream.close()
        if held is not None:
            held.execute("ROLLBACK")
            held.close()


def test_a_job_of_a_killed_process_fails_when_its_status_is_read(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.sqlite'}"
    runner = JobRunner(open_app_db(url), {})
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(_RUNNER), url],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        jid = proc.stdout.readline().strip()
        alive = runner.get(jid)
        assert alive is not None and alive.status == "running"  # its owner still runs
    finally:
        proc.kill()
        proc.wait(timeout=30)
        if proc.stdout:
            proc.stdout.close()
    job = runner.get(jid)
    assert job is not None and job.status == "failed" and job.finished is not None
    assert "the server stopped during the run" in job.message
    assert f":{proc.pid}:" in job.message
    with runner.engine.connect() as conn:  # the owner row goes with the job
        assert conn.execute(job_owners.select()).all() == []


def test_serve_start_up_fails_the_jobs_of_a_stopped_server(tmp_path: Path) -> None:
    config = ServeConfig.default(tmp_path / "data", db=str(tmp_path / "ledger.sqlite"))
    Path(config.data_dir).mkdir(parents=True)
    jid = _killed_after_start(_RUNNER, config.app_url)
    engine = open_app_db(config.app_url)
    with engine.connect() as conn:  # nobody has read it: still "running" as stored
        assert conn.exec_driver_sql("SELECT status FROM serve_jobs").scalar() == "running"
    app = create_app(config)
    try:
        with engine.connect() as conn:
            status, message = conn.exec_driver_sql(
                "SELECT status, message FROM serve_jobs WHERE id = ?", (jid,)).one()
        assert status == "failed" and "server stopped during the run" in message
    finally:  # what the app's lifespan does when the server stops
        epcis.close(app)
        app.state.runner.close()
        app.state.heartbeat.close()
        app.state.ledger.close()
        app.state.engine.dispose()
        engine.dispose()


def test_a_capture_of_a_killed_process_fails_and_leaves_the_ledger_as_it_was(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.sqlite'}"
    ledger_path = tmp_path / "ledger.sqlite"
    led = Ledger.open(ledger_path)
    led.register_site(KMP, "KMP Ochang", "KR", "alloying")
    entries = led.verify()["entries"]
    # the capture waits for the ledger's write lock and is killed meanwhile
    jid = _killed_after_start(_CAPTURE, url, str(ledger_path),
                              json.dumps(doc(receipt("OX-killed", 10.0))), lock=ledger_path)
    jobs = CaptureJobs(open_app_db(url), led, lambda a, b: None)
    job = jobs.get(jid)
    assert job is not None and job["status"] == "failed" and not job["running"]
    assert "server stopped during the run" in job["errors"][0]["detail"]
    assert led.verify()["entries"] == entries and led.find_lots("killed")[0] == 0
    jobs.close()
    led.close()


def test_a_live_owner_elsewhere_is_judged_by_its_heartbeat() -> None:
    now = time.time()
    other = "another-host:123:abc"
    assert not owners.gone(other, heartbeat=now - 10, now=now)
    assert owners.gone(other, heartbeat=now - owners.STALE_S - 1, now=now)
    assert not owners.gone(owners.me(), heartbeat=None, now=now)


def test_an_owner_on_this_host_is_gone_when_its_pid_is() -> None:
    now = time.time()
    host = socket.gethostname()
    assert not owners.gone(f"{host}:1:x", heartbeat=now, now=now)  # pid 1 always runs
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    assert owners.gone(f"{host}:{done.stdout.strip()}:x", heartbeat=now, now=now)
