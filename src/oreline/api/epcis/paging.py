"""Page tokens: opaque, tied to their query, and refused when changed.

A ``nextPageToken`` carries the sequence number of the last event of its page and the
fingerprint of the query that made it, signed with HMAC-SHA256 under a key the server
makes once and keeps in its app database (so every worker accepts every worker's
tokens). A token changed by hand, or sent with other query parameters, is refused.

Examples
--------
>>> key = b"k" * 32
>>> t = make_token(key, 120, "abc")
>>> read_token(key, t, "abc")
120
>>> read_token(key, t, "other") is None
True

"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
from hashlib import sha256

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from oreline.api.appdb import settings

__all__ = ["make_token", "page_key", "read_token"]

_KEY_NAME = "epcis-page-token-key"


def page_key(engine: Engine) -> bytes:
    """The server's page-token key (made on first use, shared through the app database)."""
    with engine.connect() as conn:
        value = conn.execute(select(settings.c.value).where(settings.c.key == _KEY_NAME)
                             ).scalar()
    if value is None:
        try:
            with engine.begin() as conn:
                conn.execute(insert(settings).values(key=_KEY_NAME,
                                                     value=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another worker made it first: use theirs
        return page_key(engine)
    return bytes.fromhex(value)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def make_token(key: bytes, after: int, fingerprint: str) -> str:
    """A token for the page after sequence number ``after`` of the query ``fingerprint``."""
    payload = json.dumps({"a": after, "q": fingerprint}, separators=(",", ":")).encode()
    mac = hmac.new(key, payload, sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(mac)}"


def read_token(key: bytes, token: str, fingerprint: str) -> int | None:
    """The ``after`` of a token this server made for this query, or None."""
    head, _, tail = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
        mac = base64.urlsafe_b64decode(tail + "=" * (-len(tail) % 4))
    except (ValueError, binascii.Error):
        return None
    if not hmac.compare_digest(mac, hmac.new(key, payload, sha256).digest()[:16]):
        return None
    data = json.loads(payload)
    if data.get("q") != fingerprint or not isinstance(data.get("a"), int):
        return None
    return int(data["a"])
