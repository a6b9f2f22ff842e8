"""Index entries by hash ID, and store GS1 lot IDs under their canonical key.

Idempotent capture finds an event the ledger already holds by its CBV 2.0 hash ID
(:mod:`oreline.ledger.capture.idempotence`), so ``entries.hash_id`` is indexed where it
differs from the eventID (an event captured without eventID has its hash ID as eventID,
and the eventID index finds it; a partial index costs capture less). Lots are
stored under :func:`oreline.ledger.epcis.identity.canonical_key` since this revision: a
lot captured before as ``urn:epc:class:lgtin:...`` is re-keyed to its canonical GS1 Digital
Link in every derived table (the events themselves, and so the hash chain, are unchanged;
a replay derives the same keys). Should a ledger hold one lot under two spellings (two
lots then), both are left as they are.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from oreline.ledger.epcis.identity import canonical_key

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: Columns holding lot IDs, by table.
_LOT_COLUMNS = (("lots", "lot_id"), ("movements", "lot_id"), ("edges", "child"),
                ("edges", "parent"), ("campaign_lines", "lot_id"))


def upgrade() -> None:
    """Create the index (a new ledger has it from 0001) and re-key GS1 lot IDs."""
    bind = op.get_bind()
    if "ix_entries_hash_id" not in {ix["name"] for ix in sa.inspect(bind).get_indexes(
            "entries")}:
        op.create_index("ix_entries_hash_id", "entries", ["hash_id"],
                        sqlite_where=sa.text("hash_id <> event_id"),
                        postgresql_where=sa.text("hash_id <> event_id"))
    lots = sa.table("lots", sa.column("lot_id"), sa.column("origin"))
    held = set(bind.execute(sa.select(lots.c.lot_id)).scalars())
    renamed = {old: new for old in held if (new := canonical_key(old)) != old
               and new not in held}
    if not renamed:
        return
    for name, column in _LOT_COLUMNS:
        table = sa.table(name, sa.column(column))
        for old, new in renamed.items():
            bind.execute(sa.update(table).where(table.c[column] == old).values({column: new}))
    for lot_id, origin in bind.execute(sa.select(lots.c.lot_id, lots.c.origin)).all():
        parts = json.loads(origin)
        if any(lot in renamed for part in parts for lot in part.get("lots", [])):
            for part in parts:
                part["lots"] = [renamed.get(lot, lot) for lot in part.get("lots", [])]
            bind.execute(sa.update(lots).where(lots.c.lot_id == lot_id).values(
                origin=json.dumps(parts, sort_keys=True)))


def downgrade() -> None:
    """Drop the index (lot IDs keep their canonical keys)."""
    op.drop_index("ix_entries_hash_id", "entries")
