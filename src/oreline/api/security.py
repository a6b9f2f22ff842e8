"""Who may do what: bearer tokens on writes, CSRF on form posts, a body size limit.

* A request proves a token with ``Authorization: Bearer <token>``. A browser signs in
  once (``/login``): the token then rides in an HttpOnly, SameSite=Strict cookie.
* Every form post carries the ``csrf`` field that matches the ``oreline_csrf`` cookie
  (double submit); a post without it is refused with 403 before anything runs.
* :class:`BodyLimit` refuses a body over the limit with 413, whether it declares its
  length or streams.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oreline.api.tokens import ScopeError, TokenError, TokenRow, check_token

__all__ = ["CSRF_COOKIE", "TOKEN_COOKIE", "BodyLimit", "check_csrf", "csrf_token",
           "require", "token_of"]

TOKEN_COOKIE = "oreline_token"
CSRF_COOKIE = "oreline_csrf"


def token_of(request: Request) -> str | None:
    """The bearer token of a request (header first, then the sign-in cookie)."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.cookies.get(TOKEN_COOKIE)


def csrf_token(request: Request) -> str:
    """The CSRF value of this browser (made on first use; the middleware sets the cookie)."""
    value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not value:
        value = secrets.token_urlsafe(24)
        request.state.new_csrf = value
    return str(value)


async def check_csrf(request: Request) -> None:
    """Refuse a form post whose ``csrf`` field does not match its cookie (403)."""
    kind = request.headers.get("content-type", "")
    if not kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return
    form = await request.form()
    sent = str(form.get("csrf") or "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(sent, cookie):
        raise HTTPException(403, "the form's CSRF check failed: reload the page and send "
                                 "the form again (cookies must be on)")


def require(scope: str) -> Callable[[Request], Any]:
    """A dependency that admits a request whose token holds ``scope`` (401, 403 else)."""

    async def dependency(request: Request) -> TokenRow | None:
        config = request.app.state.config
        if scope == "read" and config.reads_open:
            return None
        await check_csrf(request)
        try:
            return check_token(request.app.state.engine, token_of(request), scope)
        except TokenError as exc:
            raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) \
                from exc
        except ScopeError as exc:
            raise HTTPException(403, str(exc)) from exc

    return dependency


class BodyLimit:
    """ASGI middleware: 413 for a request body over ``limit`` bytes.

    The body is read (up to the limit) before the app runs, so an over-long stream is
    refused before any handler sees a byte of it. Paths under ``exempt`` prefixes pass
    through: their routes read the body with their own limit (EPCIS capture).
    """

    def __init__(self, app: ASGIApp, limit: int, exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        self.limit = limit
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with its body read, or answer 413."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS") or \
                str(scope.get("path", "")).startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.limit:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        body = (b'{"error":{"status":413,"title":"Payload Too Large","detail":"the request '
                b'body is over the limit of ' + str(self.limit).encode() + b' bytes"}}')
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
