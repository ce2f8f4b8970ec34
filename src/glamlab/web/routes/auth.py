# ruff: noqa: B008  (FastAPI declares dependencies as Depends(...) defaults)
"""Log in (rate limited, CSRF-checked, audited) and out (session revoked, leases given back)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from ... import review
from ...auth import authenticate, list_users, record_login, sign
from ..pages import form_of, page_user, render, safe_next
from ..sessions import LOGIN_CSRF_COOKIE, SESSION_COOKIE, SESSION_TTL_S

router = APIRouter(include_in_schema=False)


def secure(request: Request) -> bool:
    """Whether the cookies are marked Secure: with ``--secure-cookies``, and whenever the
    request came over https (also through a proxy whose X-Forwarded-Proto uvicorn trusts,
    ``FORWARDED_ALLOW_IPS``): a site served over https without the option sent its
    session cookie without Secure, so a browser sent it over plain http too."""
    return bool(request.app.state.secure_cookies) or request.url.scheme == "https"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    state = request.app.state
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or sign(state.auth.key, "login", "-", 3600)
    # before the first account there is no admin to ask: it is made on the server
    resp = render(request, "login.html", {"next": safe_next(next), "login_csrf": token,
                                          "no_users": not list_users(state.ws)})
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                    secure=secure(request), max_age=3600)
    return resp


@router.post("/login")
def login(request: Request, form: FormData = Depends(form_of)) -> Response:
    state = request.app.state
    ws, auth = state.ws, state.auth
    username = str(form.get("username") or "")[:200]
    password = str(form.get("password") or "")
    next_url = safe_next(str(form.get("next") or "/"))
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or cookie != str(form.get("csrf") or ""):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
    client = request.client.host if request.client else "?"
    # counted before the password is checked (a failure unless it succeeds), so that
    # attempts sent at the same moment cannot all pass the limit before any has failed
    stamps = auth.begin_login(username, client)
    if isinstance(stamps, int):
        record_login(ws, username, "login.limited", client)
        raise HTTPException(429, f"too many failed logins: try again in {stamps} seconds",
                            headers={"Retry-After": str(stamps)})
    user = authenticate(ws, username, password)
    if user is None:
        record_login(ws, username, "login.failed", client)
        return render(request, "login.html", {
            "next": next_url, "login_csrf": cookie,
            "failed": "Wrong user name or password."}, status=401)
    auth.login_succeeded(username, client, stamps)
    record_login(ws, user.username, "login", client)
    resp = RedirectResponse(next_url, 303)
    resp.set_cookie(SESSION_COOKIE, auth.start_session(user.username),
                    httponly=True, samesite="lax", secure=secure(request),
                    max_age=SESSION_TTL_S)
    resp.delete_cookie(LOGIN_CSRF_COOKIE)
    return resp


@router.post("/logout")
def logout(request: Request, form: FormData = Depends(form_of)) -> Response:
    user = page_user(request)
    request.app.state.auth.check_csrf(request, str(form.get("csrf") or ""))
    review.release_leases(request.app.state.ws, user.username)
    request.app.state.auth.end_session(request)  # the old cookie no longer answers
    resp = RedirectResponse("/login", 303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp
