"""Find an event's lots, movements and mass-balance rows by seq, not by event ID.

Error declarations look up the rows the declared event wrote. Revisions 0001 and 0006
indexed them by ``event_id``: hash IDs, in random order, so every capture inserted into
three indexes at random places. The rows also carry the ``seq`` of the event's entry,
which only grows: indexed instead, each insert goes to the end of the index, and a
capture of receipts runs about a tenth faster.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: (index on event_id dropped, index on seq created, table)
_CHANGES = (("ix_lots_event", "ix_lots_seq", "lots"),
            ("ix_movements_event", "ix_movements_seq", "movements"),
            ("ix_mb_event", "ix_mb_seq", "mb_entries"))


def upgrade() -> None:
    """Swap the three indexes (a new ledger has the seq indexes from 0001)."""
    inspector = sa.inspect(op.get_bind())
    for old, new, table in _CHANGES:
        names = {ix["name"] for ix in inspector.get_indexes(table)}
        if old in names:
            op.drop_index(old, table)
        if new not in names:
            op.create_index(new, table, ["seq"])


def downgrade() -> None:
    """Restore the event_id indexes."""
    for old, new, table in _CHANGES:
        op.drop_index(new, table)
        op.create_index(old, table, ["event_id"])
