"""Index the event of lots and mass-balance rows, which error declarations look up.

Declaring an event in error finds the lots it made and the mass-balance rows it wrote by
``event_id``; without these indexes each declaration read both tables whole.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_INDEXES = (("ix_lots_event", "lots"), ("ix_mb_event", "mb_entries"))


def upgrade() -> None:
    """Create the two indexes on ledgers that lack them (0007 replaces them by seq indexes).

    A ledger created at a later revision gets its tables from 0001 with the seq indexes
    already, so it gets these two here only for 0007 to drop them again.
    """
    inspector = sa.inspect(op.get_bind())
    for name, table in _INDEXES:
        if name not in {ix["name"] for ix in inspector.get_indexes(table)}:
            op.create_index(name, table, ["event_id"])


def downgrade() -> None:
    """Drop the two indexes."""
    for name, table in _INDEXES:
        op.drop_index(name, table)
