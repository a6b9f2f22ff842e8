"""The substring index behind lot search: SQLite FTS5 ``trigram``, PostgreSQL ``pg_trgm``.

:func:`~oreline.ledger.store.queries.find_lots` finds the lots whose id, material, form
or site contains a text (any case): ``lower(column) LIKE '%text%'`` over the four
columns. Without an index that reads every lot (4.4 s on a million).

* **SQLite**: a contentless FTS5 table ``lot_search`` (``tokenize='trigram
  case_sensitive 1'``) holding ``lower()`` of the four columns under the lot's rowid.
  Since it holds exactly what the ``LIKE`` compares, and ``lower()`` leaves no
  upper-case ASCII for ``LIKE`` to fold, a phrase query for a text of three characters
  or more finds exactly the rows the ``LIKE`` finds (:func:`matching`,
  :func:`count_matching`). Capture does not index: :func:`catch_up` indexes the lots
  above the mark ``lot_search_mark`` when a search comes (in its own write
  transaction), and the lots above the mark are searched by ``LIKE`` (:func:`tail`), so
  a search is exact whether or not the catch-up could run.
* **PostgreSQL**: a GIN index ``gin_trgm_ops`` on ``lower()`` of each column, which the
  planner uses for the very ``LIKE`` query (nothing changes at query time). It needs the
  ``pg_trgm`` extension; when the extension cannot be created (no privilege), the ledger
  works without the index and a warning says so.

A text of fewer than three characters, or a SQLite built without FTS5 or its trigram
tokenizer, falls back to the plain query. :func:`install` is what migration 0010 runs.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, TextClause, text

__all__ = ["MIN_CHARS", "TRIED", "catch_up", "count_matching", "indexed_upto", "install",
           "installed", "matching", "missing_on_postgres", "pending", "phrase", "tail",
           "uninstall"]

_log = logging.getLogger(__name__)

#: Key of ``Connection.info`` set by :func:`install`.
TRIED = "oreline_lot_search_tried"
#: The shortest text the trigram index answers (a shorter one has no trigram).
MIN_CHARS = 3

_COLUMNS = ("lot_id", "material", "form", "site")
_LOWER = ", ".join(f"lower({c})" for c in _COLUMNS)
_LOWER_OLD = ", ".join(f"lower(old.{c})" for c in _COLUMNS)
_LOWER_NEW = ", ".join(f"lower(new.{c})" for c in _COLUMNS)
#: New lots are indexed by :func:`catch_up`, off the capture path (a trigger per row cost
#: capture 13 times as much, a statement per capture about 4 %); ``lot_search_mark``
#: holds the last rowid indexed. The triggers cover the rare update and delete of an
#: indexed lot (a lot above the mark is not in the index yet).
_INDEXED = "(SELECT upto FROM lot_search_mark)"
_SQLITE_DDL = (
    "CREATE VIRTUAL TABLE lot_search USING fts5(lot_id, material, form, site, content='', "
    "columnsize=0, tokenize='trigram case_sensitive 1')",
    # FTS5 merges a level's segments once 8 of them (not 4) wait: a lot is indexed in
    # about a fifth less time (13.2 -> 10.9 us a lot over 1M lots), queries as fast
    "INSERT INTO lot_search (lot_search, rank) VALUES ('automerge', 8)",
    "CREATE TABLE IF NOT EXISTS lot_search_mark (upto INTEGER NOT NULL)",
    "INSERT INTO lot_search_mark (upto) SELECT 0 WHERE NOT EXISTS "
    "(SELECT 1 FROM lot_search_mark)",
    "CREATE TRIGGER lot_search_delete AFTER DELETE ON lots "
    f"WHEN old.rowid <= {_INDEXED} BEGIN "
    f"INSERT INTO lot_search (lot_search, rowid, {', '.join(_COLUMNS)}) "
    f"VALUES ('delete', old.rowid, {_LOWER_OLD}); END",
    "CREATE TRIGGER lot_search_update AFTER UPDATE ON lots "
    f"WHEN old.rowid <= {_INDEXED} BEGIN "
    f"INSERT INTO lot_search (lot_search, rowid, {', '.join(_COLUMNS)}) "
    f"VALUES ('delete', old.rowid, {_LOWER_OLD}); "
    f"INSERT INTO lot_search (rowid, {', '.join(_COLUMNS)}) SELECT new.rowid, {_LOWER_NEW} "
    f"WHERE new.rowid <= {_INDEXED}; "
    "END",
)
_INDEX_NEW = (f"INSERT INTO lot_search (rowid, {', '.join(_COLUMNS)}) "
              f"SELECT rowid, {_LOWER} FROM lots WHERE rowid > ? AND rowid <= ?")
_PG_INDEXES = tuple(f"ix_lots_trgm_{c}" for c in _COLUMNS)


def phrase(needle: str) -> str:
    """An FTS5 query for ``needle`` as one phrase (so every character is literal).

    Examples
    --------
    >>> phrase('odd"lot')
    '"odd""lot"'

    """
    return '"' + needle.replace('"', '""') + '"'


def installed(conn: Connection) -> bool:
    """Whether this SQLite ledger has the FTS5 index (always ``False`` on other databases)."""
    if conn.dialect.name != "sqlite":
        return False
    return conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lot_search'").first() \
        is not None


def matching(needle: str) -> TextClause:
    """A condition on ``lots``: the lot contains ``needle`` (from the SQLite index).

    ``needle`` is lower case and at least :data:`MIN_CHARS` long.
    """
    return text("lots.rowid IN (SELECT rowid FROM lot_search WHERE lot_search MATCH :q)"
                ).bindparams(q=phrase(needle))


def indexed_upto(conn: Connection) -> int:
    """The last rowid of ``lots`` in the index (lots after it are searched by ``LIKE``)."""
    return int(conn.exec_driver_sql("SELECT upto FROM lot_search_mark").scalar_one())


def _last_lot(conn: Connection) -> int:
    return int(conn.exec_driver_sql("SELECT coalesce(max(rowid), 0) FROM lots").scalar_one())


def pending(conn: Connection) -> int:
    """How many lots wait to be indexed (0 without the index)."""
    if not installed(conn):
        return 0
    return max(0, _last_lot(conn) - indexed_upto(conn))


def catch_up(conn: Connection) -> int:
    """Index the lots captured since the last call, in the caller's write transaction.

    Returns how many rowids it covered. Capture does not index (it would cost it about
    4 %); :meth:`oreline.ledger.Ledger.find_lots` calls this before it searches, and a
    search that cannot write (a read-only ledger) stays exact: :func:`tail` finds the
    lots above the mark by ``LIKE``.
    """
    upto, top = indexed_upto(conn), _last_lot(conn)
    if top <= upto:
        return 0
    conn.exec_driver_sql(_INDEX_NEW, (upto, top))
    conn.exec_driver_sql("UPDATE lot_search_mark SET upto = ?", (top,))
    return top - upto


def tail(upto: int) -> TextClause:
    """A condition on ``lots``: captured after the index's mark ``upto``."""
    return text("lots.rowid > :lot_search_upto").bindparams(lot_search_upto=upto)


def count_matching(conn: Connection, needle: str) -> int:
    """How many indexed lots contain ``needle`` (lower case, :data:`MIN_CHARS` or more)."""
    return int(conn.execute(text("SELECT count(*) FROM lot_search WHERE lot_search MATCH :q"),
                            {"q": phrase(needle)}).scalar_one())


def install(conn: Connection) -> None:
    """Create the index for the ledger's lots (idempotent); warn and go on where it cannot.

    Marks ``conn.info[TRIED]``, so that opening a ledger tries (and warns) once.
    """
    conn.info[TRIED] = True
    if conn.dialect.name == "sqlite":
        _install_sqlite(conn)
    elif conn.dialect.name == "postgresql":
        _install_postgres(conn)


def uninstall(conn: Connection) -> None:
    """Drop the index (migration 0010's downgrade)."""
    if conn.dialect.name == "sqlite":
        for trigger in ("delete", "update"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS lot_search_{trigger}")
        conn.exec_driver_sql("DROP TABLE IF EXISTS lot_search")
        conn.exec_driver_sql("DROP TABLE IF EXISTS lot_search_mark")
    elif conn.dialect.name == "postgresql":
        for name in _PG_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def _install_sqlite(conn: Connection) -> None:
    if installed(conn):
        return
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(_SQLITE_DDL[0])
    except Exception as exc:  # no FTS5, or an FTS5 older than the trigram tokenizer (3.34)
        reason = getattr(exc, "orig", None) or exc
        _log.warning("lot search: this SQLite (%s) cannot build the FTS5 trigram index "
                     "(%s); lot search reads every lot instead (slow on large ledgers: use "
                     "Python with SQLite 3.34 or later)", _sqlite_version(conn), reason)
        return
    for statement in _SQLITE_DDL[1:]:
        conn.exec_driver_sql(statement)
    catch_up(conn)


def _sqlite_version(conn: Connection) -> str:
    return str(conn.exec_driver_sql("SELECT sqlite_version()").scalar_one())


def _trgm_schema(conn: Connection) -> str | None:
    """The schema holding ``pg_trgm``, creating the extension if it is missing and allowed."""
    find = ("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
            "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")
    found = conn.exec_driver_sql(find).scalar()
    if found is not None:
        return str(found)
    has_public = conn.exec_driver_sql(
        "SELECT 1 FROM pg_namespace WHERE nspname = 'public'").scalar() is not None
    # In public, not in a ledger's own schema: dropping that schema must not drop the
    # extension under the indexes of every other ledger in the database.
    create = "CREATE EXTENSION IF NOT EXISTS pg_trgm" + (" SCHEMA public" if has_public else "")
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(create)
    except Exception as exc:
        found = conn.exec_driver_sql(find).scalar()  # another process may have just made it
        if found is not None:
            return str(found)
        reason = getattr(exc, "orig", None) or exc
        _log.warning("lot search: cannot create the PostgreSQL extension pg_trgm (%s); lot "
                     "search reads every lot instead (slow on large ledgers). Have a "
                     "superuser or the database owner run CREATE EXTENSION pg_trgm; in this "
                     "database, then open the ledger again to build the index",
                     str(reason).strip())
        return None
    return str(conn.exec_driver_sql(find).scalar_one())


def _install_postgres(conn: Connection) -> None:
    schema = _trgm_schema(conn)
    if schema is None:
        return
    ops = f'"{schema}".gin_trgm_ops'
    for name, column in zip(_PG_INDEXES, _COLUMNS, strict=True):
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON lots "
                             f"USING gin (lower({column}) {ops})")


def missing_on_postgres(conn: Connection) -> bool:
    """Whether this PostgreSQL ledger lacks the trigram indexes (``False`` elsewhere)."""
    if conn.dialect.name != "postgresql":
        return False
    have = set(conn.exec_driver_sql(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'lots' "
        "AND schemaname = current_schema()").scalars())
    return not set(_PG_INDEXES) <= have
