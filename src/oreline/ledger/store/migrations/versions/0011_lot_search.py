"""Index lots for substring search (SQLite FTS5 trigram, PostgreSQL pg_trgm).

Lot search (``find_lots``: part of a lot ID, a material, a form or a site) read every lot
(4.4 s on a million). This revision builds the index of
:mod:`oreline.ledger.store.lotsearch` for the lots already held; from then on the
database keeps it in step with every insert, inside the capture's transaction. Where the
index cannot be built (a SQLite without the trigram tokenizer, a PostgreSQL user who may
not create the ``pg_trgm`` extension) a warning says so and search reads every lot.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

from oreline.ledger.store import lotsearch

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Build the index (a no-op where it exists)."""
    lotsearch.install(op.get_bind())


def downgrade() -> None:
    """Drop the index."""
    lotsearch.uninstall(op.get_bind())
