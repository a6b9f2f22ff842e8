"""Enforce append-only entries in the database: UPDATE and DELETE raise.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_MESSAGE = "ledger entries are append-only; correct with an errorDeclaration"


def upgrade() -> None:
    """Add triggers refusing UPDATE and DELETE on ``entries``."""
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER IF NOT EXISTS entries_no_{action.lower()} BEFORE {action} "
                f"ON entries BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
            )
    else:
        op.execute(
            "CREATE OR REPLACE FUNCTION oreline_append_only() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{_MESSAGE}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute("DROP TRIGGER IF EXISTS entries_append_only ON entries")
        op.execute(
            "CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries "
            "FOR EACH ROW EXECUTE FUNCTION oreline_append_only()"
        )


def downgrade() -> None:
    """Drop the triggers."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS entries_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS entries_append_only ON entries")
