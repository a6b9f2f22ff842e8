"""Custody, campaigns, mass balance, DFARS and CRMA as pure functions (no SQL).

``custody`` (origin parts, element balance, loss debits), ``accounts`` (mass-balance
account arithmetic and reversals), ``campaign`` (transformation campaigns across
documents) and ``compliance`` (DFARS and CRMA verdicts). They take rows and records as
values; the store reads them.
"""
