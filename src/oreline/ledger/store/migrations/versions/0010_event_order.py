"""Index the entries by event time, so ``orderBy=eventTime`` pages through an index.

``orderBy=eventTime`` pages through ``entries(event_time, seq)``: capture has always
written each event's time in UTC as Python's ``isoformat`` does, which sorts byte by
byte as the instants do (see :mod:`oreline.ledger.store.eventorder`); on PostgreSQL the
index compares the text under ``COLLATE "C"``, as the queries do. ``orderBy=recordTime``
pages by sequence number (the primary key). An index only: the append-only entries are
not changed, and a capture pays one index insertion per event and no more rows.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the index where it is missing."""
    bind = op.get_bind()
    have = {ix["name"] for ix in sa.inspect(bind).get_indexes("entries")}
    if bind.dialect.name == "postgresql":
        if "ix_entries_event_time_c" not in have:
            op.execute('CREATE INDEX ix_entries_event_time_c ON entries '
                       '(event_time COLLATE "C", seq)')
    elif "ix_entries_event_time" not in have:
        op.create_index("ix_entries_event_time", "entries", ["event_time", "seq"])


def downgrade() -> None:
    """Drop the index."""
    bind = op.get_bind()
    name = ("ix_entries_event_time_c" if bind.dialect.name == "postgresql"
            else "ix_entries_event_time")
    op.drop_index(name, "entries")
