"""Lot ledger: EPCIS 2.0 custody, element balance, DFARS/CRMA checks, tamper evidence.

The ``oreline trace`` commands sit on top of it.

Public names are re-exported here; modules are split by responsibility:
``store`` (schema, migrations, write path), ``epcis`` (JSON-LD in/out and our profile),
``parse`` (documents checked event by event),
``hashing`` (CBV 2.0 event hash ID, RFC 8785 entry hashes), ``capture`` (checks against
the ledger), ``campaign`` (transformation campaigns across documents), ``custody``
(origins, mass balance, process-loss debits), ``compliance`` (DFARS, CRMA,
certificates), ``queries``, ``chain`` (verify, checkpoints, audit packs), ``replay``
(deep verify), ``builder``, ``csvimport``, ``demo`` and ``cli``.
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
