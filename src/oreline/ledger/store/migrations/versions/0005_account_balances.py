"""Mass-balance account balances, so capture never sums an account's whole history.

* ``mb_balances``: each capture's closing balance of every account it touched.
* ``mb_entries`` index on (site, element, characteristic, seq), replacing the index on
  (site, element, characteristic): the rows after a balance are one range.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from oreline.ledger.store.schema import mb_balances

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``mb_balances`` and the account index on ledgers that lack them."""
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if not inspector.has_table("mb_balances"):  # created by 0001 on a new ledger
        mb_balances.create(bind)
    indexes = {ix["name"] for ix in inspector.get_indexes("mb_entries")}
    if "ix_mb_account_seq" not in indexes:
        op.create_index("ix_mb_account_seq", "mb_entries",
                        ["site", "element", "characteristic", "seq"])
    if "ix_mb_site" in indexes:
        op.drop_index("ix_mb_site", "mb_entries")


def downgrade() -> None:
    """Drop ``mb_balances``; index the accounts as before."""
    op.create_index("ix_mb_site", "mb_entries", ["site", "element", "characteristic"])
    op.drop_index("ix_mb_account_seq", "mb_entries")
    op.drop_table("mb_balances")
