"""Custody, campaigns, mass balance, DFARS and CRMA as pure functions (no SQL)."""
