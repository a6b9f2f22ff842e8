"""Scoped, expiring bearer tokens, stored as SHA-256 hashes.

A token reads ``ol_<id>_<secret>``; the database keeps the id, the hash of the whole
token, its scopes and its expiry, never the token itself. ``admin`` holds every scope.

Examples
--------
>>> from oreline.api.appdb import open_app_db
>>> engine = open_app_db("sqlite://")
>>> tok = create_token(engine, ["plan"], days=1)
>>> check_token(engine, tok.secret, "plan").id == tok.id
True
>>> try:
...     check_token(engine, tok.secret, "capture")
... except ScopeError as exc:
...     print(exc)
this token may not capture; make one with `oreline serve token create --scope capture`

"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import Engine, insert, select, update

from oreline.api.appdb import tokens
from oreline.errors import ConfigError

__all__ = ["SCOPES", "NewToken", "Scope", "ScopeError", "TokenError", "TokenRow",
           "check_token", "create_token", "list_tokens", "revoke_token"]

Scope = Literal["read", "plan", "capture", "admin"]
#: Every scope a token may carry.
SCOPES: tuple[str, ...] = get_args(Scope)


class TokenError(Exception):
    """A missing, unknown, expired or revoked token (HTTP 401)."""


class ScopeError(Exception):
    """A valid token without the scope a request needs (HTTP 403)."""


@dataclass(frozen=True)
class NewToken:
    """A token as made: ``secret`` is shown once and never stored."""

    id: str
    secret: str
    scopes: tuple[str, ...]
    expires: float


@dataclass(frozen=True)
class TokenRow:
    """A stored token (without its secret)."""

    id: str
    scopes: tuple[str, ...]
    note: str
    created: float
    expires: float
    revoked: bool


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(engine: Engine, scopes: Sequence[str], days: float = 30,
                 note: str = "") -> NewToken:
    """Make and store a token with ``scopes`` that expires in ``days``.

    Raises
    ------
    ConfigError
        For an unknown scope or a lifetime that is not positive.
    """
    wrong = [s for s in scopes if s not in SCOPES]
    if wrong or not scopes:
        raise ConfigError(f"unknown scope(s) {', '.join(wrong) or '(none given)'}; "
                          f"use --scope with one or more of: {', '.join(SCOPES)}")
    if not days > 0:
        raise ConfigError(f"--days {days} is not positive; give the token's lifetime in days")
    tid = secrets.token_hex(6)
    secret = f"ol_{tid}_{secrets.token_urlsafe(24)}"
    now = time.time()
    kept = tuple(sorted(set(scopes)))
    with engine.begin() as conn:
        conn.execute(insert(tokens).values(id=tid, sha256=_hash(secret), scopes=" ".join(kept),
                                           note=note, created=now, expires=now + days * 86400,
                                           revoked=0))
    return NewToken(tid, secret, kept, now + days * 86400)


def check_token(engine: Engine, secret: str | None, scope: str | None) -> TokenRow:
    """The stored token of ``secret`` if it is valid and holds ``scope`` (any, for None).

    Raises
    ------
    TokenError
        For a missing, unknown, expired or revoked token.
    ScopeError
        For a valid token without ``scope`` (``admin`` holds every scope).
    """
    if not secret:
        raise TokenError("this needs a token: send `Authorization: Bearer <token>` "
                         "(make one with `oreline serve token create --scope ...`)")
    parts = secret.split("_")
    tid = parts[1] if len(parts) >= 3 and parts[0] == "ol" else ""
    with engine.connect() as conn:
        row = conn.execute(select(tokens).where(tokens.c.id == tid)).first()
    if row is None or not hmac.compare_digest(row.sha256, _hash(secret)):
        raise TokenError("unknown token; make one with `oreline serve token create`")
    if row.revoked:
        raise TokenError(f"token {tid} was revoked; make a new one")
    if row.expires < time.time():
        raise TokenError(f"token {tid} has expired; make a new one")
    found = TokenRow(row.id, tuple(row.scopes.split()), row.note, row.created, row.expires,
                     bool(row.revoked))
    if scope is not None and scope not in found.scopes and "admin" not in found.scopes:
        raise ScopeError(f"this token may not {scope}; make one with "
                         f"`oreline serve token create --scope {scope}`")
    return found


def list_tokens(engine: Engine) -> list[TokenRow]:
    """Every stored token, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(tokens).order_by(tokens.c.created.desc())).all()
    return [TokenRow(r.id, tuple(r.scopes.split()), r.note, r.created, r.expires,
                     bool(r.revoked)) for r in rows]


def revoke_token(engine: Engine, tid: str) -> None:
    """Revoke the token with id ``tid``.

    Raises
    ------
    ConfigError
        When there is no such token.
    """
    with engine.begin() as conn:
        n = conn.execute(update(tokens).where(tokens.c.id == tid).values(revoked=1)).rowcount
    if not n:
        raise ConfigError(f"no token with id {tid!r}; `oreline serve token list` shows them")
