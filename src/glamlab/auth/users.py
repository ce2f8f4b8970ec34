"""People who use the web app: users, roles, argon2 password hashes, signed tokens.

Roles, from least to most power:

- ``viewer``: reads everything, writes nothing;
- ``reviewer``: also labels items and decides review-queue items;
- ``admin``: also manages users, the policy and models.

Sessions and API tokens are stored server-side (hashed, with an id: :mod:`.tokens`) and
signed with itsdangerous under a per-workspace secret kept in ``.glamlab/web-secret``
(created on first use, mode 0600). Removing a user deletes their tokens; changing a
password revokes their sessions; ``glamlab users revoke ID`` revokes one token.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import GlamlabError, PermissionDenied
from ..said import in_words
from ..store import now
from . import tokens

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
                            hint=in_words("remove it first, or pass replace=True to change "
                                          "password/role",
                                          "remove it first, or pass --replace to change "
                                          "password/role",
                                          "choose another name, or remove that user first"))
        if exists:
            conn.execute(t.update().where(t.c.username == username)
                         .values(password_hash=digest, role=role))
            tokens.revoke_all(conn, username, "session")  # a new password signs everyone out
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
        tokens.delete_all(conn, username)  # a user added again later starts with none
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


#: failed or refused sign-ins are counted in one audit row per user name and address for
#: this long (a flood of wrong passwords does not grow the log without end) ...
LOGIN_AUDIT_WINDOW_S = 300
#: ... and in at most this many rows per address and event in that time (a flood that
#: changes the user name each time is counted in the address's newest row)
LOGIN_AUDIT_ROWS = 20
#: pg_advisory_xact_lock key of the failed sign-ins' audit rows ("logins" in ASCII)
_LOGIN_AUDIT_LOCK_KEY = 0x6C6F67696E73


def record_login(ws: Workspace, username: str, event: str, client: str) -> None:
    """Write a sign-in attempt to the audit log: ``event`` is ``login``, ``login.failed``
    or ``login.limited``; ``client`` the address it came from.

    Each sign-in is a row of its own. Failed and refused attempts are counted instead:
    the first of a user name from an address makes a row (``details.attempts`` 1), and
    the next ones within :data:`LOGIN_AUDIT_WINDOW_S` of it add to its ``attempts`` and
    set ``last_at``; past :data:`LOGIN_AUDIT_ROWS` rows of the address in that time,
    other user names are counted in its newest row (``other_users``)."""
    actor = (username or "?")[:200]
    with ws.store.write() as conn:
        if event == "login":
            ws.store.audit(conn, actor, event, client)
            return
        if conn.dialect.name == "postgresql":
            # the row is read, then counted into: on PostgreSQL transactions run side by
            # side, so attempts at once would each add a row or overwrite each other's
            # count; they take turns (SQLite's writers do already)
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOGIN_AUDIT_LOCK_KEY)))
        log = ws.store.t.audit_log
        stamp = now()
        recent = conn.execute(
            sa.select(log.c.id, log.c.actor, log.c.details)
            .where(log.c.action == event, log.c.object == client,
                   log.c.at >= stamp - timedelta(seconds=LOGIN_AUDIT_WINDOW_S))
            .order_by(log.c.id.desc())).all()
        row = next((r for r in recent if r.actor == actor), None)
        if row is None and len(recent) >= LOGIN_AUDIT_ROWS:
            row = recent[0]
        if row is None:
            ws.store.audit(conn, actor, event, client, attempts=1)
            return
        details = dict(row.details or {})
        details["attempts"] = int(details.get("attempts") or 1) + 1
        details["last_at"] = stamp.isoformat()
        if row.actor != actor:
            details["other_users"] = int(details.get("other_users") or 0) + 1
        conn.execute(log.update().where(log.c.id == row.id).values(details=details))


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


def _serializer(key: bytes, kind: str) -> Any:
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(key, salt=f"glamlab.{kind}")


def sign(key: bytes, kind: str, username: str, ttl_s: int) -> str:
    """A signed, url-safe value carrying ``username`` and an expiry (not stored: for the
    short-lived login form token; sessions and API tokens are :mod:`.tokens`)."""
    return str(_serializer(key, kind).dumps(
        {"u": username, "e": int(time.time()) + ttl_s, "n": secrets.token_hex(8)}))


def verify(key: bytes, kind: str, token: str) -> str | None:
    """The user name in a valid, unexpired value of this kind made by :func:`sign`."""
    from itsdangerous import BadData

    try:
        data = _serializer(key, kind).loads(token)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), int) or data["e"] < time.time():
        return None
    name = data.get("u")
    return name if isinstance(name, str) else None


def csrf_token(key: bytes, session_token: str) -> str:
    """The CSRF token bound to one session (a form must send it back)."""
    from itsdangerous import Signer

    return str(Signer(key, salt="glamlab.csrf", digest_method=hashlib.sha256)
               .get_signature(session_token).decode())


#: the longest a script's token may last (a date much later cannot even be stored)
MAX_TOKEN_DAYS = 3650


def api_token(ws: Workspace, username: str, days: int = 90, *, note: str | None = None,
              actor: str = "cli") -> str:
    """A bearer token for scripts (``Authorization: Bearer ...``), valid ``days`` days;
    stored hashed with an id (``glamlab users tokens`` lists it, ``users revoke`` ends it)."""
    if days < 1:
        raise UserError(f"a token must last at least one day, not {days}",
                        hint=in_words("pass days=1 or more", "pass --expires-days 1 or more",
                                      "choose how many days it lasts"))
    if days > MAX_TOKEN_DAYS:
        raise UserError(f"a token may last at most {MAX_TOKEN_DAYS} days (ten years), not "
                        f"{days}", hint=in_words(f"pass days={MAX_TOKEN_DAYS} or fewer",
                                             f"pass --expires-days {MAX_TOKEN_DAYS} or fewer",
                                             "choose how many days it lasts"))
    if get_user(ws, username) is None:
        raise UserError(f"no user {username}", hint="add it with glamlab users add")
    with ws.store.write() as conn:
        token, token_id = tokens.issue(ws, secret(ws), username, "api", days * 86400,
                                       note=note, conn=conn)
        ws.store.audit(conn, actor, "user.token", username, days=days, token=token_id)
    return token
