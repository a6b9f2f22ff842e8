"""Jobs: queued, running with progress, done with a result, or failed with a message."""

from __future__ import annotations

import threading
import time

from oreline.api.appdb import open_app_db
from oreline.api.jobs import JobRunner
from oreline.errors import ConfigError


def _wait(runner: JobRunner, jid: str) -> object:
    for _ in range(200):
        job = runner.get(jid)
        if job is not None and job.status in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("job did not end")


def test_job_reports_progress_and_keeps_its_result():
    gate = threading.Event()

    def count(params, progress):
        for i in range(params["n"]):
            progress("counting", i + 1, params["n"])
        gate.wait(5)
        return {"sum": sum(range(params["n"]))}

    runner = JobRunner(open_app_db("sqlite://"), {"count": count}, threads=1)
    job = runner.submit("count", {"n": 4})
    assert job.status in ("queued", "running")
    mid = runner.get(job.id)
    for _ in range(200):  # the job thread reports while it waits at the gate
        if mid is not None and mid.done == 4:
            break
        time.sleep(0.05)
        mid = runner.get(job.id)
    assert mid is not None and (mid.done, mid.total, mid.phase) == (4, 4, "counting")
    assert mid.status == "running"
    gate.set()
    done = _wait(runner, job.id)
    assert done.status == "done" and done.result == {"sum": 6}  # type: ignore[attr-defined]
    assert runner.recent()[0].id == job.id


def test_failed_job_keeps_the_message():
    def fail(params, progress):
        raise ConfigError("no such thing; use another")

    runner = JobRunner(open_app_db("sqlite://"), {"fail": fail})
    job = _wait(runner, runner.submit("fail", {}).id)
    assert job.status == "failed"  # type: ignore[attr-defined]
    assert "no such thing" in job.message  # type: ignore[attr-defined]
    assert runner.get("nope") is None
