"""The home page and sign-in: what the server holds, and a token for this browser."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from oreline.api.routing import page, twin
from oreline.api.security import TOKEN_COOKIE, check_csrf
from oreline.api.tokens import TokenError, check_token

__all__ = ["api", "home", "html", "login", "login_form", "logout"]

html = APIRouter(tags=["pages"])
api = APIRouter(tags=["home"])


@twin(html, api, "/", "home.html", summary="What the server holds")
def home(request: Request) -> dict[str, Any]:
    """Scenarios, the ledger's size and the latest jobs."""
    st = request.app.state
    return {"scenarios": st.library.names(), "lots": st.ledger.find_lots("", 0)[0],
            "ledger": "demo ledger" if st.config.demo_ledger else "ledger",
            "jobs": [j.public(with_result=False) for j in st.runner.recent(5)]}


@html.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_form(request: Request) -> HTMLResponse:
    """The sign-in form."""
    return page(request, "login.html", {"message": ""})


@html.post("/login", include_in_schema=False, dependencies=[Depends(check_csrf)])
def login(request: Request, token: Annotated[str, Form(max_length=200)]) -> Any:
    """Keep a valid token in an HttpOnly cookie for this browser."""
    try:
        row = check_token(request.app.state.engine, token.strip(), None)
    except TokenError as exc:
        return page(request, "login.html", {"message": str(exc)}, status_code=401)
    out = RedirectResponse("/", status_code=303)
    out.set_cookie(TOKEN_COOKIE, token.strip(), httponly=True, samesite="strict",
                   max_age=max(60, int(row.expires - time.time())))
    return out


@html.post("/logout", include_in_schema=False, dependencies=[Depends(check_csrf)])
def logout() -> RedirectResponse:
    """Forget this browser's token."""
    out = RedirectResponse("/", status_code=303)
    out.delete_cookie(TOKEN_COOKIE)
    return out
