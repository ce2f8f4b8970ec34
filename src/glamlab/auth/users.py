"""People who use the web app: users, roles, argon2 password hashes, signed tokens.

Roles, from least to most power:

- ``viewer``: reads everything, writes nothing;
- ``reviewer``: also labels items and decides review-queue items;
- ``admin``: also manages users, the policy and models.

Sessions and API tokens are signed (HMAC-SHA256) with a per-workspace secret kept in
``.glamlab/web-secret`` (created on first use, mode 0600). They carry the user name and
an expiry; a user removed with ``glamlab users remove`` is refused at once because every
request checks that the user still exists.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import GlamlabError, PermissionDenied
from ..store import now

if TYPE_CHECKING:
    from ..workspace import Workspace

ROLES = ("viewer", "reviewer", "admin")
_RANK = {r: i for i, r in enumerate(ROLES)}
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")
MIN_PASSWORD = 8
# argon2id parameters (argon2-cffi's defaults, RFC 9106 "low memory"). Tests may lower them;
# verifying reads the parameters from each stored hash, so old hashes keep working.
HASH_PARAMS: dict[str, Any] = {}


class UserError(GlamlabError):
    """A user cannot be added, found or removed."""


@dataclass(frozen=True)
class User:
    username: str
    role: str

    def can(self, role: str) -> bool:
        """True when this user's role is at least ``role``."""
        return _RANK[self.role] >= _RANK[role]

    def require(self, role: str, what: str) -> None:
        if not self.can(role):
            raise PermissionDenied(
                f"{self.username} is a {self.role} and cannot {what}",
                hint=f"ask an admin to give you the {role} role",
            )


def _hasher() -> Any:
    try:
        from argon2 import PasswordHasher
    except ImportError as exc:  # pragma: no cover - depends on the install
        from ..errors import MissingDependency

        raise MissingDependency("argon2-cffi", "web") from exc
    return PasswordHasher(**HASH_PARAMS)


def add_user(ws: Workspace, username: str, password: str, role: str = "reviewer", *,
             actor: str = "cli", replace: bool = False) -> User:
    """Create (or with ``replace`` update) a user with an argon2 password hash."""
    if not _NAME.match(username):
        raise UserError(f"invalid user name {username!r}",
                        hint="use 1-100 letters, digits, '.', '_', '-' or '@'")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}", hint=f"choose one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password for {username} is too short",
                        hint=f"use at least {MIN_PASSWORD} characters")
    digest = _hasher().hash(password)
    t = ws.store.t.users
    with ws.store.write() as conn:
        exists = conn.execute(sa.select(t.c.username).where(t.c.username == username)).first()
        if exists and not replace:
            raise UserError(f"user {username} exists already",
                            hint="remove it first, or pass --replace to change password/role")
        if exists:
            conn.execute(t.update().where(t.c.username == username)
                         .values(password_hash=digest, role=role))
        else:
            conn.execute(t.insert().values(username=username, password_hash=digest, role=role,
                                           created_at=now()))
        ws.store.audit(conn, actor, "user.update" if exists else "user.add", username, role=role)
    return User(username, role)


def list_users(ws: Workspace) -> list[dict[str, Any]]:
    t = ws.store.t.users
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(t.c.username, t.c.role, t.c.created_at)
                            .order_by(t.c.username)).all()
    return [{"username": r.username, "role": r.role, "created_at": r.created_at} for r in rows]


def remove_user(ws: Workspace, username: str, *, actor: str = "cli") -> None:
    t = ws.store.t.users
    with ws.store.write() as conn:
        n = conn.execute(t.delete().where(t.c.username == username)).rowcount
        if not n:
            raise UserError(f"no user {username}", hint="list users with glamlab users list")
        ws.store.audit(conn, actor, "user.remove", username)


def get_user(ws: Workspace, username: str) -> User | None:
    t = ws.store.t.users
    with ws.store.read() as conn:
        r = conn.execute(sa.select(t.c.username, t.c.role).where(t.c.username == username)).first()
    return User(r.username, r.role) if r else None


def authenticate(ws: Workspace, username: str, password: str) -> User | None:
    """The user if the password matches, else None (always spends one argon2 verify)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    t = ws.store.t.users
    with ws.store.read() as conn:
        r = conn.execute(sa.select(t).where(t.c.username == username)).first()
    hasher = _hasher()
    # Verify against a dummy hash for unknown users so timing does not reveal names.
    digest = r.password_hash if r else _dummy_hash()
    try:
        hasher.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return None
    return User(r.username, r.role) if r else None


_DUMMY: list[str] = []


def record_login(ws: Workspace, username: str, event: str, client: str) -> None:
    """Write a sign-in attempt to the audit log: ``event`` is ``login``, ``login.failed``
    or ``login.limited``; ``client`` the address it came from."""
    with ws.store.write() as conn:
        ws.store.audit(conn, username or "?", event, client)


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(_hasher().hash(secrets.token_hex(16)))
    return _DUMMY[0]


# -- signed tokens --------------------------------------------------------------
def secret(ws: Workspace) -> bytes:
    """The workspace's signing secret (created on first use, readable by the owner only)."""
    path = ws.data_dir / "web-secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def sign(key: bytes, kind: str, username: str, ttl_s: int) -> str:
    """A token ``kind.username.expiry.nonce.signature`` (url-safe)."""
    expires = int(time.time()) + ttl_s
    body = f"{kind}.{_b64(username.encode())}.{expires}.{secrets.token_hex(8)}"
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def verify(key: bytes, kind: str, token: str) -> str | None:
    """The user name in a valid, unexpired token of this kind, else None."""
    try:
        body, mac = token.rsplit(".", 1)
        k, name_b64, expires, _nonce = body.split(".")
    except ValueError:
        return None
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, mac) or k != kind:
        return None
    try:
        if int(expires) < time.time():
            return None
        return base64.urlsafe_b64decode(name_b64 + "=" * (-len(name_b64) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def csrf_token(key: bytes, session_token: str) -> str:
    """The CSRF token bound to one session (a form must send it back)."""
    return _b64(hmac.new(key, b"csrf:" + session_token.encode(), hashlib.sha256).digest())


def api_token(ws: Workspace, username: str, days: int = 90) -> str:
    """A bearer token for scripts (``Authorization: Bearer ...``)."""
    if get_user(ws, username) is None:
        raise UserError(f"no user {username}", hint="add it with glamlab users add")
    with ws.store.write() as conn:
        ws.store.audit(conn, "cli", "user.token", username, days=days)
    return sign(secret(ws), "api", username, days * 86400)
