"""Tamper evidence: chain verification, signed checkpoints and audit packs.

* :func:`verify_entries` recomputes, for every entry in order, the content hash of the
  stored event, its CBV event hash ID and the chained entry hash, checks the ``sites``
  table still holds the site master data (name, stage, country, policy) each entry
  chained, and names the first entry that does not verify (a changed byte, a deleted or
  a reordered entry, a renamed or relabelled site).
* A checkpoint is a Merkle root over entry hashes ``1..n`` signed with the
  organisation's Ed25519 key; a deleted tail shows up against the last checkpoint.
* An audit pack (zip) holds an EPCIS document of the shared events, a manifest of the
  hashes of *every* entry (redacted events appear only as hashes) and the checkpoint
  signature; :func:`verify_pack` checks it offline.

Examples
--------
>>> merkle_root(["aa" * 32])
'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
>>> len(merkle_root(["aa" * 32, "bb" * 32, "cc" * 32]))
64

"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, select

from oreline.errors import ChainError, ConfigError
from oreline.ledger.epcis.canonical import loads_json, sha256_hex
from oreline.ledger.epcis.document import make_document
from oreline.ledger.epcis.hashid import event_hash_id
from oreline.ledger.epcis.hashid_legacy import legacy_event_hash_id
from oreline.ledger.profile.model import OUR_PREFIXES
from oreline.ledger.records import Checkpoint, PackReport, PackVerification, VerifyReport
from oreline.ledger.store.entryhash import GENESIS_HASH, content_hash, entry_hash
from oreline.ledger.store.schema import checkpoints, entries, sites

__all__ = [
    "checkpoint_message",
    "load_or_create_key",
    "merkle_root",
    "new_checkpoint",
    "public_hex",
    "verify_entries",
    "verify_pack",
    "write_pack",
]

_FIELDS = ("seq", "event_id", "hash_id", "content_hash", "recorded_at", "actor", "context",
           "prev_hash", "entry_hash")


def merkle_root(hashes: Iterable[str]) -> str:
    """Merkle root (SHA-256, odd node carried up) of hex hashes; genesis for none."""
    level = [bytes.fromhex(h) for h in hashes]
    if not level:
        return GENESIS_HASH
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level), 2):
            if i + 1 < len(level):
                nxt.append(bytes.fromhex(sha256_hex(b"\x01" + level[i] + level[i + 1])))
            else:
                nxt.append(level[i])
        level = nxt
    return level[0].hex()


def checkpoint_message(upto_seq: int, root: str) -> bytes:
    """The bytes a checkpoint signature covers."""
    return f"oreline-checkpoint:{upto_seq}:{root}".encode()


def load_or_create_key(path: str | Path) -> Ed25519PrivateKey:
    """Load the organisation's Ed25519 key (PEM), creating it with mode 0600 if missing."""
    key_path = Path(path)
    if key_path.exists():
        try:
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{key_path} is not an unencrypted PEM private key: {exc}"
                              ) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"{key_path} holds a {type(key).__name__}, not an Ed25519 key")
        return key
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    key_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key


def public_hex(key: Ed25519PrivateKey) -> str:
    """Raw public key of ``key`` as hex."""
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw).hex()


def new_checkpoint(conn: Connection, key: Ed25519PrivateKey) -> Checkpoint:
    """Row of a checkpoint over every entry so far (not yet inserted)."""
    hashes = conn.execute(select(entries.c.entry_hash).order_by(entries.c.seq)).scalars().all()
    root = merkle_root(hashes)
    sig = key.sign(checkpoint_message(len(hashes), root)).hex()
    return {"upto_seq": len(hashes), "root": root, "public_key": public_hex(key),
            "signature": sig, "created_at": datetime.now(UTC).isoformat(timespec="seconds")}


def _check_signature(cp: Mapping[str, Any], trusted_key: str | None) -> str | None:
    if trusted_key is not None and cp["public_key"] != trusted_key:
        return (f"checkpoint up to entry {cp['upto_seq']} is signed by key "
                f"{cp['public_key'][:16]}..., not the trusted key {trusted_key[:16]}...")
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(cp["public_key"])).verify(
            bytes.fromhex(cp["signature"]), checkpoint_message(int(cp["upto_seq"]), cp["root"]))
    except (InvalidSignature, ValueError):
        return f"checkpoint up to entry {cp['upto_seq']}: signature does not verify"
    return None


#: Site attributes an entry's context may record (entries chained before the site name
#: and stage were added record only ``site``, ``country`` and ``policy``).
_SITE_FIELDS = ("name", "stage", "country", "policy")


def _site_mismatch(context: Mapping[str, Any],
                   site_rows: Mapping[str, Mapping[str, Any]]) -> str | None:
    """How the ``sites`` table differs from the site master data an entry chained."""
    row = site_rows.get(str(context["site"]))
    if row is None:
        return f"site {context['site']} it was captured at is missing from the sites table"
    for key in _SITE_FIELDS:
        if key in context and row[key] != context[key]:
            return (f"site {context['site']} has {key} {row[key]!r} in the sites table but "
                    f"the chain recorded {context[key]!r}; the sites table was changed after "
                    "capture (sites are append-only: register a new site ID instead)")
    return None


def _verify_chain(rows: Iterable[Mapping[str, Any]],
                  site_rows: Mapping[str, Mapping[str, Any]] | None = None,
                  ) -> tuple[int, list[str]]:
    """Check chained fields (and stored bodies where rows hold them); count and hashes.

    With ``site_rows`` (the ``sites`` table by site ID), also check that every site an
    entry's context recorded still has the chained name, stage, country and policy.
    """
    prev = GENESIS_HASH
    checked: dict[str, str | None] = {}
    expected = 1
    hashes: list[str] = []
    for row in rows:
        seq = int(row["seq"])
        name = f"entry {seq} (event {row['event_id']})"
        if seq != expected:
            missing = f"entry {expected}" if seq > expected else "a repeated sequence number"
            raise ChainError(f"{name}: expected {missing} here; an entry was deleted or the "
                             "order changed")
        if row["prev_hash"] != prev:
            raise ChainError(f"{name}: prev_hash does not match the entry before it; an entry "
                             "was deleted, inserted or reordered")
        if "body" in row:
            body = str(row["body"])
            try:
                event = loads_json(body)
            except ValueError as exc:  # JSONDecodeError, or an integer of 4,300+ digits
                raise ChainError(f"{name}: stored event is not valid JSON "
                                 f"({getattr(exc, 'msg', exc)})") from exc
            if content_hash(event) != row["content_hash"]:
                raise ChainError(f"{name}: stored event content changed (content hash differs)")
            if event_hash_id(event) != row["hash_id"] != legacy_event_hash_id(event):
                raise ChainError(f"{name}: event hash ID differs from the recomputed CBV 2.0 "
                                 "hash ID")
            if str(event.get("eventID") or row["hash_id"]) != row["event_id"]:
                raise ChainError(f"{name}: stored event_id differs from the event's eventID")
        try:
            context = json.loads(row.get("context") or "{}")
        except json.JSONDecodeError as exc:
            raise ChainError(f"{name}: stored context is not valid JSON ({exc.msg})") from exc
        recomputed = entry_hash(seq, str(row["prev_hash"]), str(row["hash_id"]),
                                str(row["content_hash"]), str(row["recorded_at"]),
                                str(row["actor"]), context)
        if recomputed != row["entry_hash"]:
            raise ChainError(f"{name}: entry hash differs from the recomputed hash; its "
                             "fields were changed")
        if site_rows is not None and context.get("site"):
            text = str(row.get("context"))
            if text not in checked:
                checked[text] = _site_mismatch(context, site_rows)
            if checked[text]:
                raise ChainError(f"{name}: {checked[text]}")
        prev = str(row["entry_hash"])
        hashes.append(prev)
        expected += 1
    return expected - 1, hashes


def verify_entries(conn: Connection, trusted_key: str | None = None) -> VerifyReport:
    """Verify the whole ledger offline; raises :class:`ChainError` naming the first break."""
    result = conn.execute(select(*[entries.c[f] for f in _FIELDS], entries.c.body)
                          .order_by(entries.c.seq))
    site_rows = {r.site_id: dict(r._mapping) for r in conn.execute(select(sites))}
    count, hashes = _verify_chain((dict(r._mapping) for r in result), site_rows)
    cps = conn.execute(select(checkpoints).order_by(checkpoints.c.id)).all()
    for cp in cps:
        m = dict(cp._mapping)
        if int(m["upto_seq"]) > count:
            raise ChainError(f"checkpoint covers entries up to {m['upto_seq']} but the ledger "
                             f"holds {count}: entries {count + 1}..{m['upto_seq']} were deleted")
        if merkle_root(hashes[: int(m["upto_seq"])]) != m["root"]:
            raise ChainError(f"checkpoint up to entry {m['upto_seq']}: Merkle root differs; an "
                             "entry it covers was changed")
        problem = _check_signature(m, trusted_key)
        if problem:
            raise ChainError(problem)
    return {"entries": count, "checkpoints": len(cps),
            "head": hashes[-1] if hashes else GENESIS_HASH}


def write_pack(conn: Connection, path: str | Path, event_ids: set[str] | None,
               key: Ed25519PrivateKey) -> PackReport:
    """Write an audit pack: shared events, manifest of every entry's hashes, signature.

    Parameters
    ----------
    conn
        Open connection.
    path
        Zip file to write.
    event_ids
        Events to share in full; ``None`` shares all. Others stay as hashes only.
    key
        The organisation's Ed25519 key signing the Merkle root.

    """
    rows = conn.execute(select(*[entries.c[f] for f in _FIELDS], entries.c.body)
                        .order_by(entries.c.seq)).all()
    manifest = []
    shared = []
    for r in rows:
        m = dict(r._mapping)
        body = m.pop("body")
        m["shared"] = event_ids is None or m["event_id"] in event_ids
        if m["shared"]:
            shared.append(loads_json(body))
        manifest.append(m)
    root = merkle_root(m["entry_hash"] for m in manifest)
    sig = {"upto_seq": len(manifest), "root": root, "public_key": public_hex(key),
           "signature": key.sign(checkpoint_message(len(manifest), root)).hex()}
    doc = make_document(shared, prefixes=OUR_PREFIXES)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("document.jsonld", json.dumps(doc, indent=1))
        zf.writestr("manifest.json", json.dumps(manifest, indent=1))
        zf.writestr("signature.json", json.dumps(sig, indent=1))
    Path(path).write_bytes(buf.getvalue())
    return {"entries": len(manifest), "shared": len(shared), "root": root}


def verify_pack(path: str | Path, trusted_key: str | None = None) -> PackVerification:
    """Verify an audit pack offline; raises :class:`ChainError` naming the first problem."""
    try:
        with zipfile.ZipFile(path) as zf:
            doc = loads_json(zf.read("document.jsonld"))
            manifest = json.loads(zf.read("manifest.json"))
            sig = json.loads(zf.read("signature.json"))
    except (OSError, KeyError, zipfile.BadZipFile, ValueError) as exc:
        raise ChainError(f"{path} is not a readable audit pack: {exc}") from exc
    count, hashes = _verify_chain(manifest)
    shared = [m for m in manifest if m.get("shared")]
    events = doc.get("epcisBody", {}).get("eventList", [])
    if len(events) != len(shared):
        raise ChainError(f"pack document holds {len(events)} events but the manifest marks "
                         f"{len(shared)} as shared")
    for m, ev in zip(shared, events, strict=True):
        name = f"entry {m['seq']} (event {m['event_id']})"
        if content_hash(ev) != m["content_hash"]:
            raise ChainError(f"{name}: event in the pack differs from the ledger entry "
                             "(content hash)")
        if event_hash_id(ev) != m["hash_id"] != legacy_event_hash_id(ev):
            raise ChainError(f"{name}: event hash ID differs from the recomputed one")
    if int(sig["upto_seq"]) != count or merkle_root(hashes) != sig["root"]:
        raise ChainError("pack signature covers a different set of entries (Merkle root or "
                         "count differs)")
    problem = _check_signature(sig, trusted_key)
    if problem:
        raise ChainError(problem)
    return {"entries": count, "shared": len(shared), "root": sig["root"],
            "public_key": sig["public_key"]}
