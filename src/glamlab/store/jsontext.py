"""The JSON text the store writes: strict JSON, a float that is not a number written as
null.

Python's :func:`json.dumps` writes a float NaN or infinity as ``NaN`` / ``Infinity``,
which is not JSON: SQLite stores that text as it is, and its JSON functions then fail
with "malformed JSON" on every query that reads a field of the row (a trend, a filter
over the items' fields); PostgreSQL's ``jsonb`` refuses the row. pandas gives NaN for
an empty cell, so a user's table brings them in. Every JSON value the store writes goes
through :func:`dumps` (the engine's ``json_serializer``, and the ingest writer's own
rows): such a float is no value, null, as :func:`glamlab.ingest.tables._jsonable`
already makes an ingested one. Migration 19 rewrites the rows written before.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any


def finite(value: Any) -> Any:
    """``value`` with every float that is not finite (NaN, infinity), at any depth of
    its dicts and lists, replaced by None. Other values are kept as they are."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def encoder(**kw: Any) -> Callable[[Any], str]:
    """A function that writes a value as :func:`json.dumps` would with ``kw``, as strict
    JSON: a NaN or infinity is written as null. Made once, called per value; the common
    case (no such float) costs one ordinary encoding."""
    strict = json.JSONEncoder(**kw, allow_nan=False).encode

    def encode(value: Any) -> str:
        try:
            return strict(value)
        except ValueError:  # a NaN or infinity somewhere in it (or a circular reference)
            return strict(finite(value))

    return encode


_strict = json.JSONEncoder(allow_nan=False).encode


def dumps(value: Any) -> str:
    """``json.dumps(value)`` as strict JSON, NaN and infinity as null: the engine's
    ``json_serializer``. A plain function, not one :func:`encoder` makes: psycopg keeps
    one adapter per serializer function, and warns about (and would leak) a closure."""
    try:
        return _strict(value)
    except ValueError:
        return _strict(finite(value))


def made_finite(value: Any) -> tuple[Any, bool]:
    """``value`` as :func:`dumps` stores it (NaN and infinity as None), and whether that
    changed anything."""
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return finite(value), True
    return value, False
