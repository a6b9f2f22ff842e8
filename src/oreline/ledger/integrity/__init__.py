"""Tamper evidence: the hash chain verified, checkpoints, signatures, audit packs, replay.

``chain`` (verify, checkpoints, audit packs) and ``replay`` (deep verify). How an entry is
hashed is :mod:`oreline.ledger.store.entryhash`, below capture, which chains entries.
"""
