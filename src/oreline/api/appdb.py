"""The server's own tables: tokens, jobs, cached plans, and the EPCIS binding's state.

The EPCIS REST binding keeps its capture jobs, named queries, webhook subscriptions and
the key that signs its page tokens here (``epcis_*`` and ``serve_settings``).

These live beside the ledger, never in it: the ledger holds only custody events. All
access goes through SQLAlchemy expressions (no SQL is built from request text).
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

__all__ = ["epcis_captures", "epcis_queries", "epcis_subscriptions", "job_owners", "jobs",
           "metadata", "open_app_db", "plan_cache", "settings", "tokens"]

metadata = MetaData()

tokens = Table(
    "serve_tokens", metadata,
    Column("id", String(32), primary_key=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("scopes", String(100), nullable=False),
    Column("note", String(200), nullable=False, default=""),
    Column("created", Float, nullable=False),
    Column("expires", Float, nullable=False),
    Column("revoked", Integer, nullable=False, default=0),
)

jobs = Table(
    "serve_jobs", metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("params", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("done", Integer, nullable=False, default=0),
    Column("total", Integer, nullable=False, default=0),
    Column("phase", String(100), nullable=False, default=""),
    Column("message", Text, nullable=False, default=""),
    Column("result", Text, nullable=True),
    Column("created", Float, nullable=False),
    Column("finished", Float, nullable=True),
)

#: The server process running each unfinished job (``serve_jobs`` and ``epcis_captures``
#: alike) and its latest heartbeat: see :mod:`oreline.api.owners`.
job_owners = Table(
    "serve_job_owners", metadata,
    Column("job_id", String(32), primary_key=True),
    Column("owner", String(300), nullable=False, index=True),
    Column("heartbeat", Float, nullable=False),
)

plan_cache = Table(
    "serve_plan_cache", metadata,
    Column("key", String(64), primary_key=True),
    Column("scenario", String(200), nullable=False),
    Column("data", Text, nullable=False),
    Column("created", Float, nullable=False),
)

#: EPCIS capture jobs (``/epcis/capture/{id}``): the document is not kept, only the outcome
epcis_captures = Table(
    "epcis_captures", metadata,
    Column("id", String(32), primary_key=True),
    Column("status", String(10), nullable=False),  # running | success | failed
    Column("created", Float, nullable=False),
    Column("finished", Float, nullable=True),
    Column("result", Text, nullable=False, default="{}"),  # counts and errors, as JSON
)

epcis_queries = Table(
    "epcis_queries", metadata,
    Column("name", String(200), primary_key=True),
    Column("query", Text, nullable=False),  # the parameters as JSON
    Column("created", Float, nullable=False),
)

epcis_subscriptions = Table(
    "epcis_subscriptions", metadata,
    Column("id", String(32), primary_key=True),
    Column("query_name", String(200), nullable=False),
    Column("dest", String(2000), nullable=False),
    Column("secret", String(500), nullable=False),
    Column("report_if_empty", Integer, nullable=False, default=0),
    Column("created", Float, nullable=False),
    Column("last_notified", Float, nullable=True),
    Column("deliveries", Integer, nullable=False, default=0),
    Column("failures", Integer, nullable=False, default=0),
    Column("last_status", String(20), nullable=False, default=""),
    Column("last_error", Text, nullable=False, default=""),
)

#: Values the server makes once and every worker shares (the page-token key)
settings = Table(
    "serve_settings", metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)


def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def open_app_db(url: str) -> Engine:
    """An engine on the app database, its tables created if missing.

    ``sqlite://`` (in memory) is one connection that every thread shares.
    """
    if url in ("sqlite://", "sqlite:///:memory:"):  # one shared connection for all threads
        engine = create_engine(url, poolclass=StaticPool,
                               connect_args={"check_same_thread": False})
    else:
        engine = create_engine(url)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    metadata.create_all(engine)
    return engine
