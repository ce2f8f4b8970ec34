# ruff: noqa: B008  (FastAPI declares dependencies as Depends(...) defaults)
"""API tokens in the browser: a person makes a token for their scripts (the secret shown
once, only its hash kept; what ``glamlab users token`` does) and revokes it (``glamlab
users revoke``). Admins see and may revoke everyone's."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from ...auth import TokenError, User, api_token, list_tokens, revoke_token
from ...errors import GlamlabError
from ..pages import form_of, page_user, render, writer

router = APIRouter(include_in_schema=False)
DAYS = (7, 30, 90, 365)


class Fresh:
    """A new token's secret, kept in memory until the page that shows it once (keyed by
    the session it was made in)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by: dict[str, dict[str, Any]] = {}

    def put(self, key: str, value: dict[str, Any]) -> None:
        with self._lock:
            self._by[key] = value

    def pop(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._by.pop(key, None)


def _fresh(request: Request) -> Fresh:
    state = request.app.state
    if not hasattr(state, "fresh_tokens"):
        state.fresh_tokens = Fresh()
    return state.fresh_tokens  # type: ignore[no-any-return]


def _tokens(request: Request, user: User) -> list[dict[str, Any]]:
    ws = request.app.state.ws
    return list_tokens(ws, None if user.can("admin") else user.username,
                       include_inactive=True)


@router.get("/account/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, user: User = Depends(page_user)) -> Response:
    key = request.app.state.auth.csrf_for(request)
    return render(request, "tokens.html", {
        "tokens": _tokens(request, user), "fresh": _fresh(request).pop(key) if key else None,
        "days": DAYS, "revoked": request.query_params.get("revoked")})


@router.post("/account/tokens")
def tokens_create(request: Request, form: FormData = Depends(form_of),
                  user: User = Depends(writer("viewer", "make API tokens"))) -> Response:
    try:
        days = int(str(form.get("days") or "90"))
    except ValueError:
        raise GlamlabError("choose how long the token lasts") from None
    note = str(form.get("note") or "").strip()[:200] or None
    token = api_token(request.app.state.ws, user.username, days=days, note=note,
                      actor=user.username)
    _fresh(request).put(request.app.state.auth.csrf_for(request), {
        "token": token, "id": token.split(".")[1], "days": days, "note": note})
    return RedirectResponse("/account/tokens", 303)


@router.post("/account/tokens/revoke")
def tokens_revoke(request: Request, form: FormData = Depends(form_of),
                  user: User = Depends(writer("viewer", "revoke API tokens"))) -> Response:
    token_id = str(form.get("id") or "")
    if token_id not in {t["id"] for t in _tokens(request, user)}:
        raise TokenError(f"no token {token_id} of yours", item=token_id or None,
                         hint="revoke one from the list on this page")
    revoke_token(request.app.state.ws, token_id, actor=user.username)
    return RedirectResponse("/account/tokens?revoked=" + token_id, 303)
