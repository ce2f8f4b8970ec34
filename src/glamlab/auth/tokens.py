"""Sessions and API tokens, stored server-side so that each one can be revoked.

A token is ``KIND.ID.SECRET.SIGNATURE``: ``ID`` names its row in ``auth_tokens``, ``SECRET``
is random and stored only as a SHA-256 hash, and the signature (itsdangerous, keyed with
the workspace secret, salted by kind) lets a forged or damaged token be refused without
touching the database. A token is valid while its row exists, is not revoked, has not
expired, and its user still exists and was created before the token (removing and
re-adding a user never revives the old user's tokens; :func:`glamlab.auth.remove_user`
also deletes them).

- ``api`` tokens are for scripts (``glamlab users token NAME``); ``glamlab users tokens``
  lists them and ``glamlab users revoke ID`` revokes one;
- ``session`` tokens are the web app's cookies: logging out revokes that session, and a
  password change revokes all of the user's sessions.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import GlamlabError
from ..store import now

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .users import User

KINDS = ("api", "session")
# last_used_at is written at most this often per token (a write on every request would
# make each page view wait for the database's write lock).
TOUCH_EVERY = timedelta(minutes=5)


class TokenError(GlamlabError):
    """A token cannot be made, found or revoked."""


def _signer(key: bytes, kind: str) -> Any:
    from itsdangerous import Signer

    return Signer(key, salt=f"glamlab.{kind}", digest_method=hashlib.sha256)


def _hash(secret_part: str) -> str:
    return hashlib.sha256(secret_part.encode()).hexdigest()


def issue(ws: Workspace, key: bytes, username: str, kind: str, ttl_s: int, *,
          note: str | None = None, conn: sa.Connection | None = None) -> tuple[str, str]:
    """A new token for ``username``: (token, token id). The token is shown once; only its
    hash is kept."""
    if kind not in KINDS:
        raise TokenError(f"unknown token kind {kind!r}", hint=f"use one of {', '.join(KINDS)}")
    token_id = secrets.token_hex(6)
    secret_part = secrets.token_urlsafe(24)
    stamp = now()
    values = dict(id=token_id, kind=kind, username=username, secret_hash=_hash(secret_part),
                  note=note, created_at=stamp, expires_at=stamp + timedelta(seconds=ttl_s))
    t = ws.store.t.auth_tokens
    if conn is None:
        with ws.store.write() as c:
            c.execute(t.insert().values(**values))
    else:
        conn.execute(t.insert().values(**values))
    token = _signer(key, kind).sign(f"{kind}.{token_id}.{secret_part}").decode()
    return token, token_id


def parse(key: bytes, kind: str, token: str) -> tuple[str, str] | None:
    """(token id, secret) of a well-signed token of this kind, else None (no database)."""
    from itsdangerous import BadSignature

    try:
        value = _signer(key, kind).unsign(token.strip()).decode()
    except (BadSignature, UnicodeError, ValueError):
        return None
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != kind:
        return None
    return parts[1], parts[2]


def check(ws: Workspace, key: bytes, kind: str, token: str) -> tuple[User, str] | None:
    """(user, token id) for a valid token of this kind, else None."""
    from .users import User

    parsed = parse(key, kind, token)
    if parsed is None:
        return None
    token_id, secret_part = parsed
    t, u = ws.store.t.auth_tokens, ws.store.t.users
    with ws.store.read() as conn:
        row = conn.execute(
            sa.select(t.c.secret_hash, t.c.kind, t.c.expires_at, t.c.revoked_at,
                      t.c.created_at, t.c.last_used_at, u.c.username, u.c.role,
                      u.c.created_at.label("user_created_at"))
            .select_from(t.join(u, u.c.username == t.c.username))
            .where(t.c.id == token_id)).first()
    stamp = now()
    if (row is None or row.kind != kind or row.revoked_at is not None
            or row.expires_at <= stamp or row.created_at < row.user_created_at
            or not hmac.compare_digest(row.secret_hash, _hash(secret_part))):
        return None
    if row.last_used_at is None or stamp - row.last_used_at > TOUCH_EVERY:
        with ws.store.write() as conn:
            conn.execute(t.update().where(t.c.id == token_id).values(last_used_at=stamp))
    return User(row.username, row.role), token_id


def list_tokens(ws: Workspace, username: str | None = None, *, kind: str | None = "api",
                include_inactive: bool = False) -> list[dict[str, Any]]:
    """Tokens (never their secrets), newest first; by default the active API tokens."""
    t = ws.store.t.auth_tokens
    q = sa.select(t.c.id, t.c.kind, t.c.username, t.c.note, t.c.created_at, t.c.expires_at,
                  t.c.last_used_at, t.c.revoked_at).order_by(t.c.created_at.desc(), t.c.id)
    if username is not None:
        q = q.where(t.c.username == username)
    if kind is not None:
        q = q.where(t.c.kind == kind)
    if not include_inactive:
        q = q.where(t.c.revoked_at.is_(None), t.c.expires_at > now())
    with ws.store.read() as conn:
        rows = conn.execute(q).all()
    stamp = now()
    out = []
    for r in rows:
        state = ("revoked" if r.revoked_at is not None
                 else "expired" if r.expires_at <= stamp else "active")
        out.append({"id": r.id, "kind": r.kind, "username": r.username, "note": r.note,
                    "created_at": r.created_at, "expires_at": r.expires_at,
                    "last_used_at": r.last_used_at, "state": state})
    return out


def revoke(ws: Workspace, token_id: str, *, actor: str = "cli") -> dict[str, Any]:
    """Revoke one token by its id (it stops working at once)."""
    t = ws.store.t.auth_tokens
    with ws.store.write() as conn:
        row = conn.execute(sa.select(t.c.id, t.c.username, t.c.kind, t.c.revoked_at)
                           .where(t.c.id == token_id)).first()
        if row is None:
            raise TokenError(f"no token {token_id}", item=token_id,
                             hint="list them with glamlab users tokens")
        if row.revoked_at is None:
            conn.execute(t.update().where(t.c.id == token_id).values(revoked_at=now()))
            ws.store.audit(conn, actor, "token.revoke", row.username, token=token_id,
                           kind=row.kind)
    return {"id": row.id, "username": row.username, "kind": row.kind, "revoked": True}


def revoke_all(conn: sa.Connection, username: str, kind: str | None = None) -> int:
    """Revoke every live token of ``username`` (of ``kind``) inside ``conn``'s transaction."""
    from ..store import schema

    t = schema.auth_tokens
    q = t.update().where(t.c.username == username, t.c.revoked_at.is_(None))
    if kind is not None:
        q = q.where(t.c.kind == kind)
    return int(conn.execute(q.values(revoked_at=now())).rowcount or 0)


def delete_all(conn: sa.Connection, username: str) -> None:
    """Delete every token of ``username`` (when the user is removed)."""
    from ..store import schema

    conn.execute(schema.auth_tokens.delete().where(schema.auth_tokens.c.username == username))
