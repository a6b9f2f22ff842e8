"""The ledger's tables (SQLAlchemy 2 Core), as data.

Tables are append-only: rows are only ever inserted, through
:meth:`~oreline.ledger.store.engine.Store.insert_rows`. alembic (``migrations/``)
creates and upgrades them when a store opens; the migrations import the tables from
here.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    column,
    text,
)

__all__ = ["campaign_lines", "checkpoints", "edges", "entries", "findings", "flags", "items",
           "lots", "mb_balances", "mb_entries", "metadata", "movements", "retractions",
           "sites"]

metadata = MetaData()

entries = Table(
    "entries", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("event_id", String(300), nullable=False),
    Column("hash_id", String(120), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("event_time", String(40), nullable=False),
    Column("biz_step", String(300), nullable=False),
    Column("doc_id", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    Column("context", Text, nullable=False, server_default="{}"),
    Index("ix_entries_event_id", "event_id"),
    # orderBy=eventTime pages through it: the column holds the event time in UTC as
    # Python's isoformat writes it (capture normalises every eventTime to UTC, ms), which
    # sorts as the instants do byte by byte; PostgreSQL compares it under "C" for that
    Index("ix_entries_event_time", "event_time", "seq").ddl_if(dialect="sqlite"),
    Index("ix_entries_event_time_c", column("event_time").collate("C"),
          "seq").ddl_if(dialect="postgresql"),
    # partial: an entry whose eventID is its hash ID is found by the eventID index
    Index("ix_entries_hash_id", "hash_id", sqlite_where=text("hash_id <> event_id"),
          postgresql_where=text("hash_id <> event_id")),
)
sites = Table(
    "sites", metadata,
    Column("site_id", String(300), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("policy", String(8), nullable=False),
)
lots = Table(
    "lots", metadata,
    Column("lot_id", String(300), primary_key=True),
    Column("material", String(200), nullable=False),
    Column("form", String(20), nullable=False),
    Column("custody", String(20), nullable=False),
    Column("assay", Text, nullable=False),
    Column("origin", Text, nullable=False),
    Column("claim", Text, nullable=True),
    Column("site", String(300), nullable=False),
    Column("kg", Float, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("event_id", String(300), nullable=False),
    Column("event_time", String(40), nullable=False),
    Index("ix_lots_seq", "seq"),
)
edges = Table(
    "edges", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("child", String(300), nullable=False),
    Column("parent", String(300), nullable=False),
    Column("kg", Float, nullable=False),
    Column("seq", Integer, nullable=False),
    Index("ix_edges_child", "child"),
    Index("ix_edges_parent", "parent"),
)
movements = Table(
    "movements", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("seq", Integer, nullable=False),
    Column("lot_id", String(300), nullable=False),
    Column("site", String(300), nullable=False),
    Column("delta_kg", Float, nullable=False),
    Column("kind", String(12), nullable=False),
    Column("event_id", String(300), nullable=False),
    Index("ix_movements_lot", "lot_id"),
    Index("ix_movements_seq", "seq"),
)
retractions = Table(
    "retractions", metadata,
    Column("event_id", String(300), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("reason", String(300), nullable=False),
)
flags = Table(
    "flags", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("seq", Integer, nullable=False),
    Column("event_id", String(300), nullable=False),
    Column("message", Text, nullable=False),
)
mb_entries = Table(
    "mb_entries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("seq", Integer, nullable=False),
    Column("site", String(300), nullable=False),
    Column("element", String(3), nullable=False),
    Column("characteristic", String(40), nullable=False),
    Column("period", String(7), nullable=False),
    Column("input_kg", Float, nullable=False),
    Column("credit_kg", Float, nullable=False),
    Column("debit_kg", Float, nullable=False),
    Column("event_id", String(300), nullable=False),
    # receipt | claim | loss, or retract-<kind> for the reversal of a retracted event's row
    Column("kind", String(16), nullable=False, server_default="receipt"),
    Index("ix_mb_account_seq", "site", "element", "characteristic", "seq"),
    Index("ix_mb_seq", "seq"),
)
#: Closing balance (credits - debits) of each mass-balance account touched by a capture,
#: as of the capture's last entry ``seq``: the next capture reads the latest one and adds
#: the few rows written after it, instead of summing the account's whole history.
mb_balances = Table(
    "mb_balances", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("seq", Integer, nullable=False),
    Column("site", String(300), nullable=False),
    Column("element", String(3), nullable=False),
    Column("characteristic", String(40), nullable=False),
    Column("balance_kg", Float, nullable=False),
    Index("ix_mb_balances_account", "site", "element", "characteristic", "seq"),
)
#: What each transformation campaign (``transformationID``) has consumed and produced so
#: far: one row per input or output quantity (``role`` input | output), one ``close`` row
#: when the campaign is closed, and negated rows (``kind`` retract) for retracted events.
campaign_lines = Table(
    "campaign_lines", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("seq", Integer, nullable=False),
    Column("campaign", String(300), nullable=False),
    Column("site", String(300), nullable=False),
    Column("step", String(40), nullable=False),
    Column("role", String(8), nullable=False),
    Column("lot_id", String(300), nullable=False),
    Column("kg", Float, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("event_id", String(300), nullable=False),
    Index("ix_campaign_lines_campaign", "campaign"),
    Index("ix_campaign_lines_event", "event_id"),
)
#: What keeps a captured event (or part of it) outside the Oreline profile: one row per
#: finding, with its code (``finding.pieces``, ``outside.aggregation``...), field and fix.
findings = Table(
    "findings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("seq", Integer, nullable=False),
    Column("event_id", String(300), nullable=False),
    Column("code", String(40), nullable=False),
    Column("field", String(300), nullable=False),
    Column("message", Text, nullable=False),
    Column("fix", Text, nullable=False),
    Index("ix_findings_seq", "seq"),
)
#: Serialised items (EPCs) and uncounted classes and what they relate to: ``made_from``
#: an input of a transformation, ``contained_in`` / ``removed_from`` an aggregation's
#: parent, ``associated_with`` / ``dissociated_from`` an association's parent.
items = Table(
    "items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("seq", Integer, nullable=False),
    Column("event_id", String(300), nullable=False),
    Column("item", String(300), nullable=False),
    Column("relation", String(20), nullable=False),
    Column("other", String(300), nullable=False),
    Index("ix_items_item", "item"),
    Index("ix_items_other", "other"),
)
checkpoints = Table(
    "checkpoints", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("upto_seq", Integer, nullable=False),
    Column("root", String(64), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("signature", String(128), nullable=False),
    Column("created_at", String(40), nullable=False),
)
