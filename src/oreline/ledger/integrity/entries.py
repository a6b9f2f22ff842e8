"""The ledger's entry hash chain, and the hashing API in one place.

Entries of the ledger are chained: ``entry_hash = SHA-256(JCS({seq, prev_hash,
event_hash, content_hash, recorded_at, actor[, context]}))`` with JCS the RFC 8785
canonical JSON (:mod:`oreline.ledger.epcis.canonical`), ``event_hash`` the CBV 2.0 event hash
ID (:mod:`oreline.ledger.epcis.hashid`) and ``context`` the site master data the capture used.

Examples
--------
>>> h = entry_hash(1, GENESIS_HASH, "ni:///sha-256;00?ver=CBV2.0", "ab", "t", "me")
>>> len(h)
64

"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oreline.ledger.epcis.canonical import (
    _MAX_SAFE,
    NotPlainError,
    _encode_str,
    canonical_json,
    canonical_json_python,
    canonical_json_reference,
    freeze,
    loads_json,
    sha256_hex,
)
from oreline.ledger.epcis.hashid import CBV_VERSION, event_hash_id, prehash_string
from oreline.ledger.epcis.values import (
    DEFAULT_PREFIXES,
    epc_to_digital_link,
    format_number,
    normalise_timestamp,
)

__all__ = [
    "CBV_VERSION",
    "DEFAULT_PREFIXES",
    "GENESIS_HASH",
    "NotPlainError",
    "canonical_json",
    "canonical_json_python",
    "canonical_json_reference",
    "content_hash",
    "entry_hash",
    "entry_hash_text",
    "epc_to_digital_link",
    "event_hash_id",
    "format_number",
    "freeze",
    "loads_json",
    "normalise_timestamp",
    "prehash_string",
    "sha256_hex",
]

GENESIS_HASH = "0" * 64


def content_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 hex of the RFC 8785 canonical JSON of a whole event (every byte counts)."""
    return sha256_hex(canonical_json(event))


def entry_hash(
    seq: int, prev_hash: str, event_hash: str, content: str, recorded_at: str, actor: str,
    context: Mapping[str, Any] | None = None,
) -> str:
    """Hash of one ledger entry, chained to the previous entry's hash.

    ``context`` holds the master data the capture relied on (the site's country and
    policy); it is part of the hash when not empty.

    Examples
    --------
    >>> h = entry_hash(1, GENESIS_HASH, "ni:///sha-256;00?ver=CBV2.0", "ab", "t", "me")
    >>> len(h), h == entry_hash(2, GENESIS_HASH, "ni:///sha-256;00?ver=CBV2.0", "ab", "t", "me")
    (64, False)

    """
    if context:
        if type(context) is not dict:
            context = dict(context)
        return entry_hash_text(seq, prev_hash, event_hash, content, recorded_at, actor,
                               canonical_json(context).decode("utf-8"))
    return entry_hash_text(seq, prev_hash, event_hash, content, recorded_at, actor, None)


def entry_hash_text(
    seq: int, prev_hash: str, event_hash: str, content: str, recorded_at: str, actor: str,
    context_json: str | None,
) -> str:
    """:func:`entry_hash` with the context given as its RFC 8785 text (``None`` if empty).

    The entry's canonical JSON is written field by field (its keys are fixed and sorted).
    """
    return sha256_hex("".join((
        '{"actor":', _canonical_text(actor), ',"content_hash":', _canonical_text(content),
        "" if context_json is None else ',"context":' + context_json,
        ',"event_hash":', _canonical_text(event_hash), ',"prev_hash":',
        _canonical_text(prev_hash), ',"recorded_at":', _canonical_text(recorded_at),
        ',"seq":', str(seq) if type(seq) is int and -_MAX_SAFE <= seq <= _MAX_SAFE
        else _canonical_text(seq), "}")))


def _canonical_text(value: Any) -> str:
    if type(value) is str:
        return str(_encode_str(value))
    return canonical_json(value).decode("utf-8")
