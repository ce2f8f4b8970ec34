from __future__ import annotations

import os

import pytest


@pytest.fixture
def pg_server() -> str:
    """The PostgreSQL server URL of a test-pg run; skips the test on a SQLite-only run."""
    url = os.environ.get("GLAMLAB_TEST_PG")
    if not url:
        pytest.skip("needs a PostgreSQL server: scripts/pg-test-server make test-pg")
    return url


@pytest.fixture
def pg_db(pg_server: str, request: pytest.FixtureRequest):
    """Factory: a fresh, empty PostgreSQL database URL per call."""
    from tests.pg import fresh_database

    def make(name: str = "db") -> str:
        return fresh_database(pg_server, f"{request.node.name}_{name}")

    return make
