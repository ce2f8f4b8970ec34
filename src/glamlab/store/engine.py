"""The workspace database: one engine, readers that never block, one writer.

SQLite runs in WAL mode so readers never wait for the writer; writes go through
:meth:`Store.write`, which serialises writers inside a process and opens SQLite
transactions with ``BEGIN IMMEDIATE`` so two processes never deadlock on a lock
upgrade. PostgreSQL uses the same code with row-level concurrency.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from ..errors import DatabaseUnavailable, SchemaTooNew, StoreError
from . import migrations, schema


def now() -> datetime:
    """The current time as naive UTC (how every time is stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and a bare SQLite path; use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if "://" not in url:
        return "sqlite:///" + str(Path(url).resolve())
    return url


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a message helper must never fail
        return "<database>"


class Store:
    """A migrated database for one workspace."""

    def __init__(self, url: str, *, migrate: bool = True):
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self._write_lock = threading.RLock()
        self._pid = os.getpid()
        self.engine = self._create_engine()
        self.t = schema  # tables, as ``store.t.items`` etc.
        if migrate:
            self.migrate()
        else:
            self.check_schema()

    # -- engine ---------------------------------------------------------------
    def _create_engine(self) -> sa.Engine:
        if self.is_sqlite:
            engine = sa.create_engine(
                self.url,
                connect_args={"timeout": 60, "check_same_thread": False},
                pool_size=8,
                max_overflow=8,
            )

            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
                dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA busy_timeout=60000")
                cur.close()

            @event.listens_for(engine, "begin")
            def _on_begin(conn):  # type: ignore[no-untyped-def]
                mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
                conn.exec_driver_sql(f"BEGIN {mode}")

            return engine
        return sa.create_engine(self.url, pool_pre_ping=True, pool_size=8, max_overflow=8)

    def after_fork(self) -> None:
        """Call in a child process before using the store: drop inherited connections."""
        if os.getpid() != self._pid:
            self.engine.dispose(close=False)
            self._pid = os.getpid()
            self._write_lock = threading.RLock()

    def dispose(self) -> None:
        self.engine.dispose()

    # -- connections ----------------------------------------------------------
    @contextlib.contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read-only connection (never blocked by the writer on SQLite WAL)."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            raise self._unavailable(exc) from exc

    @contextlib.contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """One atomic write transaction, serialised with the other writers."""
        with self._write_lock:
            try:
                with self.engine.connect() as conn:
                    if self.is_sqlite:
                        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                    with conn.begin():
                        yield conn
            except sa.exc.OperationalError as exc:
                if "locked" in str(exc).lower():
                    raise StoreError(
                        "the database is locked by another process for too long",
                        hint="wait for the other glamlab command to finish and try again",
                    ) from exc
                raise self._unavailable(exc) from exc

    def _unavailable(self, exc: Exception) -> DatabaseUnavailable:
        return DatabaseUnavailable(
            f"cannot reach the database {redact(self.url)}: {str(exc).splitlines()[0]}",
            hint="check that the server is running and the URL (GLAMLAB_DB or --db) is right",
        )

    # -- schema ---------------------------------------------------------------
    def schema_version(self) -> int:
        with self.read() as conn:
            if not sa.inspect(conn).has_table("schema_migrations"):
                return 0
            v = conn.execute(sa.select(sa.func.max(schema.schema_migrations.c.version))).scalar()
            return int(v or 0)

    def check_schema(self) -> int:
        version = self.schema_version()
        if version > migrations.LATEST:
            raise SchemaTooNew(
                f"the database schema is version {version}, newer than this glamlab "
                f"understands ({migrations.LATEST})",
                hint="upgrade glamlab (pip install -U glamlab) before using this workspace",
            )
        return version

    def pending_migrations(self) -> list[migrations.Migration]:
        version = self.check_schema()
        return [m for m in migrations.MIGRATIONS if m.version > version]

    def migrate(self) -> list[str]:
        """Apply pending migrations; returns their names."""
        applied = []
        pending = self.pending_migrations()
        if not pending:
            return applied
        with self.write() as conn:
            schema.schema_migrations.create(conn, checkfirst=True)
        for m in pending:
            with self.write() as conn:
                done = conn.execute(
                    sa.select(schema.schema_migrations.c.version).where(
                        schema.schema_migrations.c.version == m.version
                    )
                ).first()
                if done:  # another process got there first
                    continue
                m.up(conn)
                conn.execute(
                    schema.schema_migrations.insert().values(
                        version=m.version, name=m.name, applied_at=now()
                    )
                )
            applied.append(m.name)
        return applied

    # -- small helpers used everywhere ---------------------------------------
    def audit(self, conn: sa.Connection, actor: str, action: str, obj: str | None = None,
              **details: object) -> None:
        conn.execute(
            schema.audit_log.insert().values(
                at=now(), actor=actor, action=action, object=obj, details=details
            )
        )
