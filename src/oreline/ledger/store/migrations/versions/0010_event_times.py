"""Keep each event's time as sortable UTC, so ``orderBy=eventTime`` pages by an index.

``entries.event_time`` holds the time with the offset the event was written with
(``2026-03-01T09:00:00+09:00``), which does not sort as text across offsets, and
``entries`` is append-only. The new derived table ``event_times`` holds, for each event
entry, its time as fixed-width UTC text, indexed with ``seq``. This revision fills it
for the events already held; captures write it from now on. ``orderBy=recordTime``
pages through the new index ``ix_entries_recorded`` (``recorded_at``, ``seq``): an index
only, the append-only entries are not changed.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

from oreline.ledger.store.eventorder import sortable_utc
from oreline.ledger.store.schema import event_times

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_BATCH = 5000


def upgrade() -> None:
    """Create ``event_times`` where it is missing and fill it from the event entries."""
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if "ix_entries_recorded" not in {ix["name"] for ix in inspector.get_indexes("entries")}:
        op.create_index("ix_entries_recorded", "entries", ["recorded_at", "seq"])
    if "event_times" not in inspector.get_table_names():
        event_times.create(bind)
    held = bind.execute(sa.select(sa.func.count()).select_from(event_times)).scalar()
    if held:
        return  # a ledger made at this revision: filled by its captures
    entries = sa.table("entries", sa.column("seq"), sa.column("kind"),
                       sa.column("event_time"))
    rows = bind.execute(sa.select(entries.c.seq, entries.c.event_time).where(
        entries.c.kind == "event").order_by(entries.c.seq)).all()
    batch: list[dict[str, object]] = []
    for seq, text in rows:
        batch.append({"seq": seq, "event_at": sortable_utc(datetime.fromisoformat(text))})
        if len(batch) >= _BATCH:
            bind.execute(sa.insert(event_times), batch)
            batch = []
    if batch:
        bind.execute(sa.insert(event_times), batch)


def downgrade() -> None:
    """Drop the table and the index."""
    op.drop_table("event_times")
    op.drop_index("ix_entries_recorded", "entries")
