"""Who runs a background job, and whether that process is still there.

A job (a plan, stress or invest run, an EPCIS capture) runs on a thread of the server
process that accepted it. If that process dies (killed, out of memory, the machine
restarted) nothing would ever finish the job, and it would stay "running" for good. So
each unfinished job has an owner row in ``serve_job_owners``: the process
(``host:pid:token``, the token telling apart two processes that got one pid, as a
restarted container does) and a heartbeat that the owner renews while it runs jobs.

An owner is gone when it is not this process and either runs on this host under a pid
that no longer exists, or has not renewed its heartbeat for :data:`STALE_S` seconds (a
worker on another host). :func:`gone` answers that; the job stores call it when the
server starts and whenever a job's status is read, and fail such jobs with
:data:`MESSAGE`.

Examples
--------
>>> owner = me()
>>> gone(owner, heartbeat=None, now=0.0)
False
>>> gone(owner.rsplit(":", 1)[0] + ":another-token", heartbeat=None, now=0.0)
True

"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, Table, delete, insert, select, update
from sqlalchemy.engine import Connection

from oreline.api.appdb import job_owners

__all__ = ["MESSAGE", "STALE_S", "Heartbeat", "claim", "fail_orphans", "gone", "me",
           "orphans", "release"]

#: A worker on another host is taken as gone when its heartbeat is this old (seconds).
STALE_S = 120.0
#: Why a job whose owner is gone failed.
MESSAGE = ("the server stopped during the run (its process {owner} is gone), so the run "
           "never finished; start it again")

_TOKEN = uuid.uuid4().hex[:12]


def me() -> str:
    """The owner name of this process: ``host:pid:token``."""
    return f"{socket.gethostname()}:{os.getpid()}:{_TOKEN}"


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def gone(owner: str, heartbeat: float | None, now: float) -> bool:
    """Whether the process ``owner`` no longer runs (see the module docstring)."""
    if owner == me():
        return False
    host, pid, _token = [*owner.rsplit(":", 2), "", ""][:3]
    if host == socket.gethostname() and pid.isdigit() and (
            int(pid) == os.getpid() or not _pid_exists(int(pid))):
        return True  # this pid is this process (not the owner), or no process at all
    return heartbeat is None or now - heartbeat > STALE_S


def claim(conn: Connection, job_id: str) -> None:
    """Record this process as the owner of ``job_id`` (in the job's own transaction)."""
    conn.execute(insert(job_owners).values(job_id=job_id, owner=me(), heartbeat=time.time()))


def release(conn: Connection, job_id: str) -> None:
    """Forget the owner of a finished job."""
    conn.execute(delete(job_owners).where(job_owners.c.job_id == job_id))


def orphans(conn: Connection, job_ids: list[str]) -> dict[str, str]:
    """The unfinished jobs among ``job_ids`` whose owner is gone, each with why it failed.

    A job without an owner row was started by a server older than owner rows, which
    has stopped since.
    """
    rows = conn.execute(select(job_owners).where(job_owners.c.job_id.in_(job_ids))).all()
    held = {r.job_id: (r.owner, r.heartbeat) for r in rows}
    now = time.time()
    out: dict[str, str] = {}
    for jid in job_ids:
        owner, beat = held.get(jid, ("of an older version", None))
        if gone(owner, beat, now):
            out[jid] = MESSAGE.format(owner=owner)
    return out


def fail_orphans(conn: Connection, table: Table, unfinished: tuple[str, ...],
                 failed: Callable[[str], dict[str, Any]], job_id: str | None = None) -> int:
    """Fail the unfinished jobs of ``table`` (``job_id``, or all) whose owner is gone.

    ``unfinished`` are the statuses of a job not yet ended; ``failed(message)`` gives the
    columns a failed job gets besides its status and end time. A job that ended since it
    was read keeps its end. Returns how many jobs were failed.
    """
    stmt = select(table.c.id).where(table.c.status.in_(unfinished))
    if job_id is not None:
        stmt = stmt.where(table.c.id == job_id)
    count = 0
    for jid, message in orphans(conn, list(conn.execute(stmt).scalars())).items():
        count += conn.execute(update(table).where(
            table.c.id == jid, table.c.status.in_(unfinished)).values(
            status="failed", finished=time.time(), **failed(message))).rowcount
        release(conn, jid)
    return count


class Heartbeat:
    """A daemon thread renewing this process's owner rows every ``STALE_S / 4`` seconds."""

    def __init__(self, engine: Engine, every: float = STALE_S / 4) -> None:
        self.engine = engine
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="oreline-heartbeat",
                                        daemon=True)
        self._thread.start()

    def beat(self) -> None:
        """Renew the heartbeat of this process's unfinished jobs now."""
        with self.engine.begin() as conn:
            conn.execute(update(job_owners).where(job_owners.c.owner == me())
                         .values(heartbeat=time.time()))

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.beat()
            except Exception:  # a busy database: beat again next time
                continue

    def close(self) -> None:
        """Stop beating (the process is closing)."""
        self._stop.set()
        self._thread.join(timeout=5)
