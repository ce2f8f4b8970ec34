"""Stored stage results (``report_cache``): one JSON result per name, with the key of what
it was computed from. Whoever computes a result decides its key; a reader compares the
stored key with the current one to know whether the result is still current."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from . import schema
from .engine import now

if TYPE_CHECKING:
    from .engine import Store


def get_result(store: Store, name: str) -> dict[str, Any] | None:
    """``{"key", "result", "seconds", "computed_at"}`` of ``name``, or None."""
    t = schema.report_cache
    with store.read() as conn:
        row = conn.execute(sa.select(t).where(t.c.name == name)).first()
    if row is None:
        return None
    return {"key": row.key, "result": dict(row.result), "seconds": row.seconds,
            "computed_at": row.created_at}


def put_result(store: Store, name: str, key: str, result: dict[str, Any],
               seconds: float) -> dict[str, Any]:
    """Store (replace) the result of ``name``; returns it as :func:`get_result` would."""
    clean = json.loads(json.dumps(result, default=str))
    t = schema.report_cache
    stamp = now()
    with store.write() as conn:
        conn.execute(t.delete().where(t.c.name == name))
        conn.execute(t.insert().values(name=name, key=key, result=clean, seconds=seconds,
                                       created_at=stamp))
    return {"key": key, "result": clean, "seconds": seconds, "computed_at": stamp}


def key_of(facts: Any) -> str:
    """A stable key (SHA-256) of JSON-able facts."""
    import hashlib

    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()
