"""Tokens: stored hashed, scoped, expiring, revocable."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select, update

from oreline.api.appdb import open_app_db, tokens
from oreline.api.tokens import (
    ScopeError,
    TokenError,
    check_token,
    create_token,
    list_tokens,
    revoke_token,
)
from oreline.errors import ConfigError


@pytest.fixture
def engine():
    return open_app_db("sqlite://")


def test_secret_is_never_stored(engine):
    tok = create_token(engine, ["plan"])
    with engine.connect() as conn:
        row = conn.execute(select(tokens)).one()
    assert tok.secret not in " ".join(str(v) for v in row)
    import hashlib

    assert row.sha256 == hashlib.sha256(tok.secret.encode()).hexdigest()


def test_admin_holds_every_scope(engine):
    tok = create_token(engine, ["admin"])
    for scope in ("read", "plan", "capture", "admin"):
        assert check_token(engine, tok.secret, scope).id == tok.id


def test_scope_is_enforced(engine):
    tok = create_token(engine, ["read", "capture"])
    assert check_token(engine, tok.secret, "capture").scopes == ("capture", "read")
    with pytest.raises(ScopeError):
        check_token(engine, tok.secret, "plan")


def test_expired_token_is_refused(engine):
    tok = create_token(engine, ["plan"], days=1)
    with engine.begin() as conn:
        conn.execute(update(tokens).values(expires=time.time() - 1))
    with pytest.raises(TokenError, match="expired"):
        check_token(engine, tok.secret, "plan")


def test_revoked_token_is_refused(engine):
    tok = create_token(engine, ["plan"])
    revoke_token(engine, tok.id)
    with pytest.raises(TokenError, match="revoked"):
        check_token(engine, tok.secret, "plan")
    assert list_tokens(engine)[0].revoked


def test_tampered_secret_is_refused(engine):
    tok = create_token(engine, ["plan"])
    with pytest.raises(TokenError, match="unknown"):
        check_token(engine, tok.secret[:-1] + ("A" if tok.secret[-1] != "A" else "B"), "plan")


@pytest.mark.parametrize(("scopes", "days"), [(["root"], 1), ([], 1), (["plan"], 0)])
def test_bad_requests_for_a_token(engine, scopes, days):
    with pytest.raises(ConfigError):
        create_token(engine, scopes, days)


def test_revoking_an_unknown_token_says_so(engine):
    with pytest.raises(ConfigError, match="token list"):
        revoke_token(engine, "nope")


def test_sign_in_accepts_any_scope(engine):
    tok = create_token(engine, ["capture"])
    assert check_token(engine, tok.secret, None).scopes == ("capture",)
