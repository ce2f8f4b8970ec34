"""Sessions, API tokens, CSRF and login rate limiting for the web app.

- A browser logs in with a user name and password (argon2) and gets a signed session
  cookie (HttpOnly, SameSite=Lax; Secure when served over https).
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

from ..auth import User, csrf_token, get_user, verify

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

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)


class Auth:
    """Who is asking, and may they do this."""

    def __init__(self, ws: Workspace, key: bytes, *, user_cache_s: float = 2.0):
        self.ws = ws
        self.key = key
        self.user_cache_s = user_cache_s
        self._cache: dict[str, tuple[float, User | None]] = {}
        self.per_user = RateLimiter(5, 300)
        self.per_client = RateLimiter(20, 300)

    def _lookup(self, username: str) -> User | None:
        # A short cache keeps a busy reviewer's requests cheap; a removed user or a
        # changed role takes effect within ``user_cache_s`` seconds.
        stamp = time.monotonic()
        hit = self._cache.get(username)
        if hit and stamp - hit[0] < self.user_cache_s:
            return hit[1]
        user = get_user(self.ws, username)
        self._cache[username] = (stamp, user)
        return user

    def forget(self, username: str) -> None:
        self._cache.pop(username, None)

    def user(self, request: Request) -> tuple[User | None, str]:
        """(user, how) where how is "bearer", "cookie" or ""."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            name = verify(self.key, "api", header[7:].strip())
            return (self._lookup(name) if name else None), "bearer"
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            name = verify(self.key, "session", cookie)
            if name:
                return self._lookup(name), "cookie"
        return None, ""

    def csrf_for(self, request: Request) -> str:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        return csrf_token(self.key, cookie) if cookie else ""

    def check_csrf(self, request: Request, sent: str | None) -> None:
        expected = self.csrf_for(request)
        sent = sent or request.headers.get("x-csrf-token") or ""
        if not expected or not hmac.compare_digest(expected, sent):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
