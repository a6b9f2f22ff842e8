"""Ledgers written before the reference-conformant hash IDs still verify."""

from __future__ import annotations

import pytest

from oreline.errors import ChainError
from oreline.ledger.epcis.hashid import event_hash_id
from oreline.ledger.epcis.hashid_legacy import legacy_event_hash_id
from oreline.ledger.integrity.chain import _verify_chain
from oreline.ledger.store.entryhash import GENESIS_HASH, content_hash, entry_hash
from tests.ledger.epcis.test_hashing import SINGLE_EVENT

#: The value Oreline stored for SINGLE_EVENT before (ID before type; this test file's
#: predecessor pinned it as the published hash of the reference's 2022 revision).
OLD_HASH = "ni:///sha-256;3e0f2437f4cb5e8a1b832b769c0eed1bf3e1421f14061132e9800ded03f10182?ver=CBV2.0"


def _row(hash_id: str) -> dict[str, object]:
    body = dict(SINGLE_EVENT)
    fields = (1, GENESIS_HASH, hash_id, content_hash(body), "2026-01-01T00:00:00Z", "me")
    return {"seq": 1, "event_id": body["eventID"], "hash_id": hash_id,
            "content_hash": fields[3], "recorded_at": fields[4], "actor": "me",
            "context": None, "prev_hash": GENESIS_HASH, "entry_hash": entry_hash(*fields),
            "body": __import__("json").dumps(body)}


def test_legacy_algorithm_gives_the_stored_old_value() -> None:
    assert legacy_event_hash_id(SINGLE_EVENT) == OLD_HASH
    assert event_hash_id(SINGLE_EVENT) != OLD_HASH


@pytest.mark.parametrize("which", ["new", "old"])
def test_entries_with_either_id_verify(which: str) -> None:
    hid = event_hash_id(SINGLE_EVENT) if which == "new" else OLD_HASH
    assert _verify_chain([_row(hid)])[0] == 1


def test_an_id_of_neither_algorithm_is_refused() -> None:
    with pytest.raises(ChainError, match="hash ID differs"):
        _verify_chain([_row("ni:///sha-256;" + "0" * 64 + "?ver=CBV2.0")])
