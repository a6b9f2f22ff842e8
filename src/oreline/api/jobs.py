"""Background jobs: long runs (a plan, a stress sweep) with progress and kept results.

A job's state lives in the app database, so that any worker answers its status URL; the
work runs on a thread of the process that accepted it. A job function gets the job's
parameters and a ``progress(phase, done, total)`` callback and returns JSON-ready data.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, insert, select, update

from oreline.api import owners
from oreline.api.appdb import jobs
from oreline.errors import OrelineError

if TYPE_CHECKING:
    from oreline.api.routing import JSONResponse

__all__ = ["Job", "JobFunction", "JobRunner", "Progress", "accepted", "finished_run"]

Progress = Callable[[str, int, int], None]
JobFunction = Callable[[Mapping[str, Any], Progress], Any]


@dataclass(frozen=True)
class Job:
    """A job as stored: what it runs, how far it is, and its result when done."""

    id: str
    kind: str
    params: dict[str, Any]
    status: str
    phase: str
    done: int
    total: int
    message: str
    result: Any
    created: float
    finished: float | None

    def public(self, with_result: bool = True) -> dict[str, Any]:
        """The job as its JSON twin shows it."""
        out: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "params": self.params, "status": self.status,
            "phase": self.phase, "done": self.done, "total": self.total,
            "message": self.message, "created": self.created, "finished": self.finished,
            "status_url": f"/api/jobs/{self.id}", "page": f"/jobs/{self.id}"}
        if with_result:
            out["result"] = self.result
        return out


class JobRunner:
    """Starts jobs on a small thread pool and records their progress."""

    def __init__(self, engine: Engine, functions: Mapping[str, JobFunction],
                 threads: int = 2) -> None:
        self.engine = engine
        self.functions = dict(functions)
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="oreline-job")
        self._lock = threading.Lock()

    def submit(self, kind: str, params: Mapping[str, Any]) -> Job:
        """Record a job and start it; returns the queued job.

        Raises
        ------
        KeyError
            For a kind without a job function (the caller checks kinds first).
        """
        fn = self.functions[kind]
        jid = uuid.uuid4().hex
        with self._lock, self.engine.begin() as conn:
            conn.execute(insert(jobs).values(
                id=jid, kind=kind, params=json.dumps(dict(params)), status="queued",
                done=0, total=0, phase="", message="", result=None, created=time.time()))
            owners.claim(conn, jid)
        self.pool.submit(self._run, jid, fn, dict(params))
        job = self.get(jid)
        assert job is not None
        return job

    def _set(self, jid: str, **values: Any) -> None:
        with self._lock, self.engine.begin() as conn:
            conn.execute(update(jobs).where(jobs.c.id == jid).values(**values))
            if values.get("status") in ("done", "failed"):
                owners.release(conn, jid)

    def reap(self, jid: str | None = None) -> int:
        """Fail the unfinished jobs (``jid``, or all) whose server process is gone.

        Returns how many were failed. ``oreline serve`` calls it on start-up, and
        :meth:`get` for a job it finds queued or running.
        """
        with self._lock, self.engine.begin() as conn:
            return owners.fail_orphans(conn, jobs, ("queued", "running"),
                                       lambda message: {"message": message}, jid)

    def _run(self, jid: str, fn: JobFunction, params: dict[str, Any]) -> None:
        self._set(jid, status="running")

        def progress(phase: str, done: int, total: int) -> None:
            self._set(jid, phase=phase, done=done, total=total)

        try:
            result = fn(params, progress)
        except OrelineError as exc:
            self._set(jid, status="failed", message=str(exc), finished=time.time())
        except Exception as exc:  # a job must end with a status, whatever went wrong
            self._set(jid, status="failed", message=f"{type(exc).__name__}: {exc}",
                      finished=time.time())
        else:
            self._set(jid, status="done", result=json.dumps(result), finished=time.time())

    def get(self, jid: str) -> Job | None:
        """The job with id ``jid``, or None.

        Reads take the runner's lock as writes do: on an in-memory app database every
        thread shares one connection, and a read closing it mid-write would roll the job's
        status back.
        """
        with self._lock, self.engine.connect() as conn:
            r = conn.execute(select(jobs).where(jobs.c.id == jid)).first()
        if r is None:
            return None
        if r.status in ("queued", "running") and self.reap(jid):
            return self.get(jid)
        return Job(r.id, r.kind, json.loads(r.params), r.status, r.phase, r.done, r.total,
                   r.message, json.loads(r.result) if r.result else None, r.created,
                   r.finished)

    def recent(self, limit: int = 50) -> list[Job]:
        """The latest jobs, newest first (without their results)."""
        with self._lock, self.engine.connect() as conn:
            rows = conn.execute(select(jobs.c.id).order_by(jobs.c.created.desc())
                                .limit(limit)).scalars().all()
        return [j for j in (self.get(i) for i in rows) if j is not None]

    def close(self) -> None:
        """Stop taking jobs; wait for the running ones (queued ones are dropped)."""
        self.pool.shutdown(wait=True, cancel_futures=True)


def finished_run(runner: JobRunner, job_id: str, kind: str) -> dict[str, Any]:
    """The result of a finished job of ``kind``, with the job itself under ``"job"``.

    Raises
    ------
    HTTPException
        404 for no such job of this kind, 409 for one not done yet (with where to follow
        it).
    """
    from fastapi import HTTPException

    job = runner.get(job_id)
    if job is None or job.kind != kind:
        raise HTTPException(404, f"no {kind} run {job_id!r}; /{kind} lists them")
    if job.status != "done":
        raise HTTPException(409, f"{kind} run {job_id} is {job.status}; follow it at "
                                 f"/jobs/{job_id}")
    return {"job": job.public(with_result=False), **(job.result or {})}


def accepted(job: Job) -> JSONResponse:
    """The 202 answer to a started job: the job, and its status URL in ``Location``."""
    from oreline.api.routing import JSONResponse

    return JSONResponse(job.public(), status_code=202,
                        headers={"Location": f"/api/jobs/{job.id}"})
