"""Events outside the Oreline profile: their findings, and serialised items.

* ``findings``: what keeps a captured event (or part of it) outside the profile.
* ``items``: serialised EPCs (and uncounted classes) with what they were made from or
  packed in, so a magnet serial traces back to its alloy lot.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from oreline.ledger.store.schema import findings, items

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``findings`` and ``items`` on ledgers that lack them."""
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table in (findings, items):
        if not inspector.has_table(table.name):  # created by 0001 on a new ledger
            table.create(bind)


def downgrade() -> None:
    """Drop ``findings`` and ``items``."""
    op.drop_table("items")
    op.drop_table("findings")
