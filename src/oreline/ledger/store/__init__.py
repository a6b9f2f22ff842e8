"""Persistence only: schema, migrations, queries, accounts and balances read from the database."""
