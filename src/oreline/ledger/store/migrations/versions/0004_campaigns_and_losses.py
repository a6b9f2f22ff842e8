"""Campaigns across documents and process-loss debits.

* ``campaign_lines``: what each ``transformationID`` campaign has consumed and produced.
* ``mb_entries.kind``: receipt, claim, loss (or ``retract-<kind>``); rows written before
  this revision are receipts (``input_kg`` > 0) or claims.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from oreline.ledger.store.schema import campaign_lines

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``campaign_lines`` and add ``mb_entries.kind`` on ledgers that lack them."""
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if not inspector.has_table("campaign_lines"):  # created by 0001 on a new ledger
        campaign_lines.create(bind)
    columns = {c["name"] for c in inspector.get_columns("mb_entries")}
    if "kind" not in columns:
        op.add_column("mb_entries", sa.Column("kind", sa.String(16), nullable=False,
                                              server_default="receipt"))
        op.execute("UPDATE mb_entries SET kind = 'claim' WHERE input_kg = 0 AND debit_kg > 0")


def downgrade() -> None:
    """Drop ``campaign_lines`` and ``mb_entries.kind``."""
    op.drop_table("campaign_lines")
    op.drop_column("mb_entries", "kind")
