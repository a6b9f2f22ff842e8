"""Page tokens: opaque, tied to their query, and refused when changed.

A ``nextPageToken`` carries the position of the last event of its page (its sequence
number and, under ``orderBy`` eventTime or recordTime, its sort key; the events served
so far, for ``eventCountLimit``: :class:`~oreline.ledger.store.eventorder.Position`) and
the fingerprint of the query that made it, signed with HMAC-SHA256 under a key the server
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
>>> read_position(key, make_token(key, Position(7, "2026-03-01T00:00:00.000000Z", 40), "q"), "q")
Position(seq=7, key='2026-03-01T00:00:00.000000Z', count=40)

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
from oreline.ledger.store.eventorder import Position

__all__ = ["make_token", "page_key", "read_position", "read_token"]

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


def make_token(key: bytes, after: int | Position, fingerprint: str) -> str:
    """A token for the page after ``after`` (a seq or a position) of query ``fingerprint``."""
    pos = after if isinstance(after, Position) else Position(after)
    data: dict[str, object] = {"a": pos.seq, "q": fingerprint}
    if pos.key is not None:
        data["k"] = pos.key
    if pos.count:
        data["n"] = pos.count
    payload = json.dumps(data, separators=(",", ":")).encode()
    mac = hmac.new(key, payload, sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(mac)}"


def read_token(key: bytes, token: str, fingerprint: str) -> int | None:
    """The ``after`` (seq) of a token this server made for this query, or None."""
    pos = read_position(key, token, fingerprint)
    return None if pos is None else pos.seq


def read_position(key: bytes, token: str, fingerprint: str) -> Position | None:
    """The position of a token this server made for this query, or None."""
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
    sort_key, count = data.get("k"), data.get("n", 0)
    if (sort_key is not None and not isinstance(sort_key, str)) or not isinstance(count, int):
        return None
    return Position(int(data["a"]), sort_key, count)
