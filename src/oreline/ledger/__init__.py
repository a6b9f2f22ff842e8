"""Lot ledger: EPCIS 2.0 custody, element balance, DFARS/CRMA checks, tamper evidence.

The ``oreline trace`` commands sit on top of it.

Public names are re-exported here. Sub-packages, in import order (each imports only those
before it): ``epcis`` (the GS1 standard), ``profile`` (Oreline's profile, parsing,
builders), ``rules`` (pure custody, campaign, account and compliance rules), ``store``
(persistence), ``capture`` (the write transaction), ``integrity`` (verify, checkpoints,
audit packs, replay); then the façade ``ledger.py`` with ``records`` (the typed results),
``certificate`` and ``demo``, and ``csv`` (the CSV import) on top.
"""

from __future__ import annotations

from oreline.ledger.epcis.hashid import event_hash_id, prehash_string
from oreline.ledger.ledger import CaptureResult, Ledger
from oreline.ledger.profile.builder import lot_master, receive_event, ship_event, transform_event

__all__ = [
    "CaptureResult",
    "Ledger",
    "event_hash_id",
    "lot_master",
    "prehash_string",
    "receive_event",
    "ship_event",
    "transform_event",
]
