"""Per-test PostgreSQL databases for GLAMLAB_TEST_PG runs."""

from __future__ import annotations

import re
import uuid


def fresh_database(server_url: str, test_name: str) -> str:
    """Create an empty database on the server and return its URL."""
    import sqlalchemy as sa

    from glamlab.store import normalise_url

    name = "t_" + re.sub(r"[^a-z0-9]+", "_", test_name.lower())[:40] + "_" + uuid.uuid4().hex[:8]
    engine = sa.create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    base = server_url.rsplit("/", 1)[0]
    return f"{base}/{name}"
