"""Sessions, API tokens, CSRF and login rate limiting for the web app.

- A browser logs in with a user name and password (argon2) and gets a session cookie
  (HttpOnly, SameSite=Lax; Secure when served over https) naming a server-side session
  (:mod:`glamlab.auth.tokens`): logging out or changing the password revokes it.
- Every state-changing request made with the cookie must carry the session's CSRF token,
  as the ``csrf`` form field or the ``X-CSRF-Token`` header (htmx sends the header).
- Scripts send ``Authorization: Bearer TOKEN`` (made by ``glamlab users token NAME``);
  a bearer request needs no CSRF token because browsers never attach it by themselves.
- Failed logins are limited per user name and per client address.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from fastapi import HTTPException, Request

from ..auth import User, check_token, csrf_token, issue_token
from ..store import now, schema

if TYPE_CHECKING:
    from ..workspace import Workspace

SESSION_COOKIE = "glamlab_session"
LOGIN_CSRF_COOKIE = "glamlab_login_csrf"
SESSION_TTL_S = 12 * 3600


class LoginRequired(Exception):
    """Raised for a page that needs a signed-in user (the app redirects to /login)."""


class RateLimiter:
    """At most ``limit`` failures per key in ``window_s`` seconds (in memory)."""

    def __init__(self, limit: int, window_s: float):
        self.limit = limit
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, stamp: float) -> deque[float]:
        q = self._hits.setdefault(key, deque())
        while q and q[0] <= stamp - self.window_s:
            q.popleft()
        return q

    def retry_after(self, key: str) -> int:
        """Seconds to wait before ``key`` may try again (0 when it may try now)."""
        with self._lock:
            stamp = time.monotonic()
            q = self._recent(key, stamp)
            if len(q) < self.limit:
                return 0
            return max(1, int(q[0] + self.window_s - stamp) + 1)

    def fail(self, key: str) -> None:
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())

    def reserve(self, key: str) -> float | None:
        """Count one attempt for ``key`` now, before it is checked; None (nothing
        counted) when ``key`` has no attempt left. Checking and counting in one step
        keeps attempts sent at the same moment from all passing a check made before any
        of them failed. A stamp :meth:`cancel` takes back (the attempt succeeded)."""
        with self._lock:
            stamp = time.monotonic()
            q = self._recent(key, stamp)
            if len(q) >= self.limit:
                return None
            q.append(stamp)
            return stamp

    def cancel(self, key: str, stamp: float) -> None:
        """Take back an attempt :meth:`reserve` counted (it was not a failure)."""
        with self._lock:
            q = self._hits.get(key)
            if q is not None and stamp in q:
                q.remove(stamp)

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)


class Auth:
    """Who is asking, and may they do this."""

    def __init__(self, ws: Workspace, key: bytes):
        self.ws = ws
        self.key = key
        self.per_user = RateLimiter(5, 300)
        self.per_client = RateLimiter(20, 300)

    def begin_login(self, username: str, client: str) -> tuple[float, float] | int:
        """Count a login attempt against ``username`` and ``client`` before the password
        is checked: (the two stamps, for :meth:`login_succeeded`), or the seconds to
        wait when either has no attempt left (then nothing is counted)."""
        by_user = self.per_user.reserve(username)
        by_client = self.per_client.reserve(client) if by_user is not None else None
        if by_user is None or by_client is None:
            if by_user is not None:
                self.per_user.cancel(username, by_user)
            return max(1, self.per_user.retry_after(username),
                       self.per_client.retry_after(client))
        return by_user, by_client

    def login_succeeded(self, username: str, client: str, stamps: tuple[float, float]
                        ) -> None:
        """A right password: the user's failures are forgotten and this attempt is not
        counted against the client address."""
        self.per_user.reset(username)
        self.per_client.cancel(client, stamps[1])

    def forget(self, username: str) -> None:
        """Kept for callers of the old per-user cache: every request now reads its token's
        row, so a removed user or a revoked token takes effect at once."""

    def start_session(self, username: str) -> str:
        """A new session cookie value for ``username`` (stored server-side)."""
        token, _id = issue_token(self.ws, self.key, username, "session", SESSION_TTL_S)
        return token

    def end_session(self, request: Request) -> None:
        """Revoke the session of this request's cookie (logout)."""
        found = self._cookie_session(request)
        if found is not None:
            t = schema.auth_tokens
            with self.ws.store.write() as conn:
                conn.execute(t.update().where(t.c.id == found[1], t.c.revoked_at.is_(None))
                             .values(revoked_at=now()))

    def _cookie_session(self, request: Request) -> tuple[User, str] | None:
        cookie = request.cookies.get(SESSION_COOKIE)
        return check_token(self.ws, self.key, "session", cookie) if cookie else None

    def user(self, request: Request) -> tuple[User | None, str]:
        """(user, how) where how is "bearer", "cookie" or "" (worked out once a request)."""
        cached = getattr(request.state, "glamlab_user", None)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        found: tuple[User | None, str]
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            hit = check_token(self.ws, self.key, "api", header[7:].strip())
            found = (hit[0] if hit else None), "bearer"
        else:
            hit = self._cookie_session(request)
            found = (hit[0], "cookie") if hit else (None, "")
        request.state.glamlab_user = found
        return found

    def csrf_for(self, request: Request) -> str:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        return csrf_token(self.key, cookie) if cookie else ""

    def csrf_ok(self, request: Request, sent: str | None = None) -> bool:
        """Whether the request carries its session's CSRF token (``sent``, else the
        ``X-CSRF-Token`` header): a page of this app sent it, not another site."""
        expected = self.csrf_for(request)
        sent = sent or request.headers.get("x-csrf-token") or ""
        # as bytes: compare_digest refuses a str that is not ASCII (a forged token with
        # an accent would have been a 500, not the 403 it is)
        return bool(expected) and hmac.compare_digest(expected.encode(),
                                                      sent.encode("utf-8", "replace"))

    def check_csrf(self, request: Request, sent: str | None) -> None:
        if not self.csrf_ok(request, sent):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")



def cross_site(request: Request) -> bool:
    """Whether the browser says another site started this request (its
    ``Sec-Fetch-Site`` header: ``cross-site`` or ``same-site``, a link or image on another
    site or subdomain), so a GET must not change anything for the user (lease their
    review items). Typed in, bookmarked or from the app's own pages (``none``,
    ``same-origin``), or no header at all (a script, an older browser), is not."""
    return request.headers.get("sec-fetch-site", "").lower() in {"cross-site", "same-site"}
