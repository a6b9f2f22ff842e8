"""Tamper evidence: entries, the hash chain, checkpoints, signatures, replay and verify."""
