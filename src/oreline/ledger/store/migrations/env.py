"""Alembic environment: runs on the connection that the store hands over.

See :class:`oreline.ledger.store.engine.Store`.

Importing this module outside alembic (e.g. by doctest collection) does nothing.
"""

from __future__ import annotations

from typing import Any

from alembic import context

from oreline.ledger.store.schema import metadata


def _config() -> Any:
    try:
        return context.config
    except (NameError, AttributeError):  # no alembic run under way
        return None


def run() -> None:
    """Run the migrations on the connection given in ``config.attributes``."""
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


if _config() is not None:
    run()
