"""The ledger's database: opening, migrating, locking and the one insert path.

A document is written inside one transaction that first takes the ledger's write lock
(``BEGIN IMMEDIATE`` on SQLite, a table lock on PostgreSQL), so it is written whole or
not at all. The tables are in :mod:`oreline.ledger.store.schema`.

Examples
--------
>>> store = Store.open("sqlite://")
>>> store.last_entry()
(0, '0000000000000000000000000000000000000000000000000000000000000000')

"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, insert, select
from sqlalchemy.pool import StaticPool

from oreline.errors import ConfigError, LedgerError
from oreline.ledger.store import lotsearch
from oreline.ledger.store.entryhash import GENESIS_HASH
from oreline.ledger.store.schema import entries, metadata

__all__ = ["Store", "to_url"]

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _check_sqlite_path(path: Path) -> None:
    """A clear error for a SQLite ledger path that cannot be a database file."""
    if path.is_dir():
        raise ConfigError(f"--db {path} is a directory; give a file path such as "
                          f"{path / 'ledger.sqlite'}")
    parent = path.parent
    if not parent.is_dir():
        raise ConfigError(f"--db {path}: the directory {parent} does not exist; create it "
                          "(mkdir -p) or choose another path")


def to_url(db: str | Path) -> str:
    """A SQLAlchemy URL for a path or URL.

    Examples
    --------
    >>> to_url("ledger.sqlite")
    'sqlite:///ledger.sqlite'

    """
    text_db = str(db)
    return text_db if "://" in text_db else f"sqlite:///{text_db}"


class Store:
    """Database access for the ledger: schema, migrations, locking and the insert path."""

    def __init__(self, engine: Engine, schema: str | None = None) -> None:
        self.engine = engine
        self.schema = schema
        self.dialect = engine.dialect.name

    @classmethod
    def open(cls, db: str | Path, *, schema: str | None = None, migrate: bool = True) -> Store:
        """Open (and create or upgrade) the ledger at a path or SQLAlchemy URL.

        Parameters
        ----------
        db
            SQLite file path, ``sqlite://`` for memory, or e.g.
            ``postgresql+psycopg://user:pw@host/db``.
        schema
            PostgreSQL schema to use (created if missing); tests use one per test.
        migrate
            Create or upgrade the schema with alembic (default).

        """
        url = to_url(db)
        kwargs: dict[str, Any] = {}
        if "://" not in str(db):  # a SQLite file path
            _check_sqlite_path(Path(db))
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if url in ("sqlite://", "sqlite:///:memory:"):
                kwargs["poolclass"] = StaticPool
        try:
            engine = create_engine(url, **kwargs)
        except ModuleNotFoundError as exc:
            raise ConfigError(f"cannot open ledger database {db!r}: its driver is not "
                              f"installed ({exc}); for PostgreSQL install Oreline with it: "
                              "pip install 'oreline[postgres]' (or pip install -e "
                              "'.[postgres]' in a checkout)") from exc
        except Exception as exc:
            raise ConfigError(f"cannot open ledger database {db!r}: {exc}; give a file path "
                              "or a URL like postgresql+psycopg://user:pw@host/db") from exc
        if engine.dialect.name == "sqlite":
            _sqlite_hooks(engine)
        elif engine.dialect.name == "postgresql" and schema is not None:
            if not _SCHEMA_NAME.match(schema):
                raise ConfigError(f"schema name {schema!r} is not a plain lower-case name")
            _pg_schema_hooks(engine, schema)
        store = cls(engine, schema)
        if migrate:
            store.migrate()
        return store

    def migrate(self) -> None:
        """Bring the schema to the latest alembic revision.

        On PostgreSQL the upgrade holds a transaction-level advisory lock keyed by the
        schema, so processes opening one ledger at once upgrade it one after another
        (the later ones find it at the head revision and change nothing).
        """
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        try:
            with self._begin_write() as conn:
                if self.dialect == "postgresql":
                    _pg_schema_lock(conn, self.schema or "public")
                if self.dialect == "postgresql" and self.schema:
                    conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                    conn.exec_driver_sql(f'SET search_path TO "{self.schema}"')
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                tried = conn.info.pop(lotsearch.TRIED, False)  # by this upgrade's 0010
                # pg_trgm may have been created since the ledger was: build the index then
                if not tried and lotsearch.missing_on_postgres(conn):
                    lotsearch.install(conn)
                    conn.info.pop(lotsearch.TRIED, None)
        except LedgerError:
            raise
        except Exception as exc:
            reason = getattr(exc, "orig", None) or exc  # the driver's words, not SQLAlchemy's
            where = self.engine.url.render_as_string(hide_password=True)
            raise ConfigError(f"cannot open or prepare the ledger database {where}: {reason}; "
                              "check the path or URL (server running, user, password, "
                              "database name) and that you may write there") from exc

    @contextmanager
    def _begin_write(self) -> Iterator[Connection]:
        """A transaction that takes SQLite's write lock at its start (``BEGIN IMMEDIATE``).

        Reads begin deferred, so on WAL they run beside a writer and each other instead of
        queueing for the write lock (a long read then never makes a capture or another read
        fail with "database is locked").
        """
        with self.engine.connect() as conn:
            conn.execution_options(oreline_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction holding the ledger's write lock; commits or rolls back."""
        with self._begin_write() as conn:
            if self.dialect == "postgresql":
                conn.exec_driver_sql("LOCK TABLE entries IN SHARE ROW EXCLUSIVE MODE")
                # Capture only looks rows up by indexed keys (lists of up to 1,000 IDs).
                # With statistics that lag a fast-growing ledger the planner may scan
                # whole tables instead, comparing every row with every ID: seconds per
                # document at 100,000 lots. Index lookups are right at any size.
                conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only connection."""
        with self.engine.connect() as conn:
            yield conn

    def last_entry(self, conn: Connection | None = None) -> tuple[int, str]:
        """Sequence number and entry hash of the newest entry (``0`` and genesis if empty)."""
        stmt = select(entries.c.seq, entries.c.entry_hash).order_by(entries.c.seq.desc()).limit(1)
        if conn is None:
            with self.read() as c:
                row = c.execute(stmt).first()
        else:
            row = conn.execute(stmt).first()
        return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))

    @staticmethod
    def insert_rows(conn: Connection, rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """Insert prepared rows, table by table (the only place rows are written).

        Rows go to the driver's ``executemany`` with bound parameters, or on PostgreSQL
        with psycopg to ``COPY ... FROM STDIN`` (values travel apart from the statement in
        both cases, never spliced into SQL); column names come from the schema, not from
        the data. Either way the rows join the caller's transaction.
        """
        style = conn.dialect.paramstyle
        copy_conn = _psycopg_connection(conn)
        for name in ("entries", "sites", "lots", "edges", "movements", "retractions", "flags",
                     "mb_entries", "mb_balances", "campaign_lines", "findings", "items",
                     "checkpoints"):
            data = rows.get(name)
            if not data:
                continue
            table = metadata.tables[name]
            cols = [c.name for c in table.columns if c.name in data[0]]
            if len(cols) != len(data[0]):
                unknown = sorted(set(data[0]) - set(cols))
                raise LedgerError(f"internal: unknown columns {unknown} for table {name}")
            row_values = itemgetter(*cols)
            if style == "qmark":
                marks = ", ".join("?" for _ in cols)
            elif style in ("format", "pyformat"):
                marks = ", ".join("%s" for _ in cols)
            else:  # pragma: no cover - other drivers go through SQLAlchemy Core
                conn.execute(insert(table), list(data))
                continue
            params: list[Any] = (list(map(row_values, data)) if len(cols) > 1
                                 else [(row_values(r),) for r in data])
            if copy_conn is not None and len(data) >= _COPY_MIN_ROWS:
                with copy_conn.cursor() as cur, cur.copy(
                        f"COPY {name} ({', '.join(cols)}) FROM STDIN") as copy:
                    for values in params:
                        copy.write_row(values)
                continue
            conn.exec_driver_sql(f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({marks})",
                                 params)

    def count(self, table: str) -> int:
        """Row count of a table."""
        with self.read() as conn:
            return int(conn.execute(select(func.count()).select_from(
                metadata.tables[table])).scalar_one())

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


#: Below this many rows a table's rows go through ``executemany`` even on PostgreSQL.
_COPY_MIN_ROWS = 50


def _psycopg_connection(conn: Connection) -> Any:
    """The psycopg 3 connection under ``conn`` (for ``COPY``), or ``None`` for other drivers."""
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        return None
    driver_conn = conn.connection.driver_connection
    return driver_conn if hasattr(driver_conn, "cursor") else None


def _sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("oreline_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _pg_schema_lock(conn: Any, schema: str) -> None:
    """Wait for a transaction-level advisory lock on ``schema`` (SQLAlchemy or DBAPI)."""
    statement = "SELECT pg_advisory_xact_lock(hashtext(%s))"
    key = f"oreline-ledger:{schema}"
    if isinstance(conn, Connection):
        conn.exec_driver_sql(statement, (key,))
    else:
        conn.execute(statement, (key,))


def _pg_schema_hooks(engine: Engine, schema: str) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        _pg_schema_lock(cur, schema)  # CREATE SCHEMA IF NOT EXISTS races with itself
        cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        cur.execute(f'SET search_path TO "{schema}"')
        cur.close()
        dbapi_conn.commit()

