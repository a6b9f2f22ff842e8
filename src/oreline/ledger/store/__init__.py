"""Persistence only: schema, migrations, queries, accounts and balances read from the database.

``schema`` (the tables), ``engine`` (the ``Store``: open, migrate, lock, the one insert
path), ``entryhash`` (the genesis hash and how an entry is chained, needed from the store
up), ``queries`` (lots, trace back and forward, stock), ``accounts`` and ``balances``
(mass-balance accounts), ``campaigns`` (campaign rows), ``reports`` (a period's lots, a
certificate's entries) and ``migrations`` (alembic).
"""
