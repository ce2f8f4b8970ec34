"""Queries over a list of ids, on both stores: ``col IN (...)`` lists of at most
:data:`SQLITE_IDS` on SQLite (under its bound-parameter limit), one ``col = ANY(:ids)``
with the whole list as one array parameter on PostgreSQL.

On PostgreSQL an ``IN`` list costs as much Python as the rows it reads: SQLAlchemy renders
one placeholder per id at every execution and the driver parses the query text again for
each new list (a third of ``glamlab act``'s time at 200,000 items); an array is one
parameter, the query text is the same every time, and the whole list goes in one round
trip.

    for part in id_batches(conn, ids):
        conn.execute(sa.select(t.c.item_id).where(among(conn, t.c.item_id, part)))
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

SQLITE_IDS = 900  # ids per IN (...) list on SQLite: under its bound-parameter limit


def is_pg(conn: sa.Connection) -> bool:
    return conn.dialect.name == "postgresql"


def id_batches(conn: sa.Connection, ids: Sequence[Any],
               size: int = SQLITE_IDS) -> Iterator[list[Any]]:
    """``ids`` in the lists :func:`among` takes, in order: all of them in one list on
    PostgreSQL, ``size`` at a time on SQLite; nothing for no ids."""
    if not ids:
        return
    if is_pg(conn):
        yield list(ids)
        return
    for i in range(0, len(ids), size):
        yield list(ids[i:i + size])


def among(conn: sa.Connection, col: Any, ids: Sequence[Any]) -> sa.ColumnElement[bool]:
    """``col`` is one of ``ids``: ``col = ANY(:array)`` on PostgreSQL, ``col IN (...)``
    on SQLite (give it at most :data:`SQLITE_IDS` there: :func:`id_batches`)."""
    if is_pg(conn):
        element: Any = (sa.BigInteger() if isinstance(col.type, sa.Integer) else sa.Text())
        return col == sa.any_(sa.bindparam(None, list(ids), type_=ARRAY(element)))
    return col.in_(list(ids))
