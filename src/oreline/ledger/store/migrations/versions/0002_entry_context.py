"""Chain the site master data a capture used: ``entries.context``.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``entries.context`` (JSON text, ``{}`` for entries captured before it)."""
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("entries")}
    if "context" not in columns:  # ledgers created before revision 0002
        op.add_column("entries", sa.Column("context", sa.Text(), nullable=False,
                                           server_default="{}"))


def downgrade() -> None:
    """Drop ``entries.context``."""
    op.drop_column("entries", "context")
