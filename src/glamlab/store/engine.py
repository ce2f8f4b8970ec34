"""The workspace database: one engine, readers that never block, one writer.

SQLite runs in WAL mode so readers never wait for the writer; writes go through
:meth:`Store.write`, which serialises writers inside a process and opens SQLite
transactions with ``BEGIN IMMEDIATE`` so two processes never deadlock on a lock
upgrade. PostgreSQL uses the same code with row-level concurrency.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event

from ..errors import DatabaseUnavailable, SchemaTooNew, StoreError
from ..files import touch_private
from . import jsontext, migrations, schema

log = logging.getLogger(__name__)

T = TypeVar("T")
# PostgreSQL aborted the transaction and it may simply be run again.
_RETRYABLE = {"40001", "40P01"}  # serialization_failure, deadlock_detected

# pg_advisory_xact_lock key held while migrating ("glamlab" in ASCII, truncated to int64).
_MIGRATION_LOCK_KEY = 0x676C616D6C6162


def importing_main_in_child() -> bool:
    """Whether this process is a multiprocessing child (a ``glamlab run`` worker) still
    importing the script that started it: Python re-runs that script's top-level code
    in each worker, so a script without ``if __name__ == "__main__":`` would ingest,
    import labels, train or act again, once per worker."""
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


def now() -> datetime:
    """The current time as naive UTC (how every time is stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


def utc_minutes(value: Any) -> str:
    """A stored time (naive UTC, as :func:`glamlab.store.now` keeps it, an aware one, or
    its ISO text) to the minute, saying it is UTC: ``2026-12-05 08:53 UTC``; "" for
    none, and any other text as it is. How the web app and the command line show times."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return str(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return f"{value:%Y-%m-%d %H:%M} UTC"


def utc_iso(value: Any) -> Any:
    """A stored time (naive UTC, as :func:`glamlab.store.now` keeps it, or an aware one)
    as ISO 8601 text that says it is UTC, to the second: ``2026-12-05T08:53:07Z``. How
    ``--json`` gives times; any other value as it is."""
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="seconds") + "Z"


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and a bare SQLite path; use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if "://" not in url:
        return "sqlite:///" + str(Path(url).resolve())
    return url


_SECRET_PARAMS = {"password", "sslpassword"}


def redact(url: str) -> str:
    """The URL without its password, for messages and logs: the one after the user name
    and one given as a parameter (``?password=...``, which libpq accepts too)."""
    try:
        parsed = sa.engine.make_url(url)
        secret = {k: "***" for k in parsed.query if k.lower() in _SECRET_PARAMS}
        shown = parsed.update_query_dict(secret).render_as_string(hide_password=True)
        return shown.replace("%2A%2A%2A", "***")
    except (sa.exc.ArgumentError, ValueError):  # not a URL SQLAlchemy can read
        return "<database>"


def _dispose_quietly(engine: sa.Engine) -> None:
    """Close a dropped store's pooled connections (at garbage collection or exit); a
    failure there is logged, never raised into whatever is running then."""
    try:
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - runs from a finalizer: report, do not raise
        log.warning("closing the database connections of %s failed: %s",
                    redact(str(engine.url)), exc)


class Store:
    """A migrated database for one workspace."""

    def __init__(self, url: str, *, migrate: bool = True):
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self._write_lock = threading.RLock()
        self._pid = os.getpid()
        self.engine = self._create_engine()
        # A store dropped without dispose() (a CLI command, a notebook) still closes
        # its pooled connections cleanly instead of leaving them to the garbage collector.
        self._finalizer = weakref.finalize(self, _dispose_quietly, self.engine)
        self.t = schema  # tables, as ``store.t.items`` etc.
        try:
            if migrate:
                self.migrate()
            else:
                self.check_schema()
        except BaseException:
            self.engine.dispose()  # no connection left open behind a refused store
            raise

    # -- engine ---------------------------------------------------------------
    def _create_engine(self) -> sa.Engine:
        if self.is_sqlite:
            path = self.url.removeprefix("sqlite:///")
            if path and path != ":memory:" and Path(path).parent.is_dir():
                touch_private(path)  # a new database file is the owner's only (0600)
            engine = sa.create_engine(
                self.url,
                connect_args={"timeout": 60, "check_same_thread": False},
                pool_size=8,
                max_overflow=8,
                json_serializer=jsontext.dumps,  # strict JSON: NaN as null
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
        try:
            return sa.create_engine(
                self.url,
                pool_pre_ping=True,
                pool_size=8,
                max_overflow=8,
                json_serializer=jsontext.dumps,  # strict JSON: NaN as null (jsonb refuses it)
                connect_args={"connect_timeout": 10} if self.url.startswith("postgresql") else {},
            )
        except ModuleNotFoundError as exc:
            raise StoreError(
                f"cannot use {redact(self.url)}: the database driver {exc.name} is not installed",
                hint='pip install "glamlab[postgres]"',
            ) from exc

    def after_fork(self) -> None:
        """Call in a child process before using the store: drop inherited connections."""
        if os.getpid() != self._pid:
            self.engine.dispose(close=False)
            self._pid = os.getpid()
            self._write_lock = threading.RLock()

    @property
    def backend(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"

    def describe(self) -> str:
        """The database in words safe to print: its URL without the password."""
        return redact(self.url)

    def dispose(self) -> None:
        self.engine.dispose()

    # -- connections ----------------------------------------------------------
    def _connect(self) -> sa.Connection:
        try:
            return self.engine.connect()
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            raise self._known_failure(exc) or self._unavailable(exc) from exc
        except sa.exc.DatabaseError as exc:
            known = self._known_failure(exc)
            if known is None:
                raise
            raise known from exc

    @contextlib.contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read-only connection (never blocked by the writer on SQLite WAL)."""
        try:
            with self._connect() as conn:
                yield conn
        except sa.exc.DBAPIError as exc:
            if exc.connection_invalidated:  # the server went away mid-way
                raise self._unavailable(exc) from exc
            known = self._known_failure(exc)
            if known is not None:
                raise known from exc
            raise

    def _known_failure(self, exc: sa.exc.DBAPIError) -> StoreError | None:
        """A disk-full or not-a-database error as one clear line with the fix."""
        text = str(getattr(exc, "orig", None) or exc).lower()
        code = getattr(getattr(exc, "orig", None), "sqlstate", None)
        where = redact(self.url) if not self.is_sqlite else self.url.removeprefix("sqlite:///")
        if "disk is full" in text or "no space left" in text or code == "53100":
            return StoreError(f"the disk holding the database is full ({where}); nothing of "
                              "the last step was stored",
                              hint="free some space on that disk (or move the workspace) and "
                                   "run the command again: it carries on where it stopped")
        if "file is not a database" in text or "file is encrypted" in text:
            return StoreError(f"{where} is not a SQLite database (it may be damaged, or "
                              "another file was put in its place)",
                              hint="restore it from a backup (glamlab db import), or move it "
                                   "away and run glamlab init again")
        if self.is_sqlite and ("readonly database" in text or "read-only" in text):
            return StoreError(f"the database {where} is read-only for this user",
                              hint="run glamlab as the workspace's owner, or make the "
                                   "workspace folder and glamlab.db writable")
        return None

    @contextlib.contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """One atomic write transaction.

        On SQLite writers are serialised: one at a time inside a process (a lock) and
        across processes (``BEGIN IMMEDIATE`` takes the write lock up front, so two
        processes never deadlock upgrading a read lock). On PostgreSQL transactions run
        side by side with row-level locking; use ``SELECT ... FOR UPDATE`` or a
        compare-and-set ``UPDATE ... WHERE version = :seen`` where a race matters.
        """
        if importing_main_in_child():
            raise StoreError(
                "this process is a worker of a glamlab run, re-running the top-level code "
                "of the script that started the run; it writes nothing, so the script's "
                "steps are not done again once per worker",
                hint="in a script, put the code under 'if __name__ == \"__main__\":'; in a "
                     "notebook or a debugger, use workers=0 (--workers 0), which predicts "
                     "in this process")
        lock = self._write_lock if self.is_sqlite else contextlib.nullcontext()
        with lock:
            try:
                with self._connect() as conn:
                    if self.is_sqlite:
                        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                    with conn.begin():
                        yield conn
            except sa.exc.OperationalError as exc:
                if self.is_sqlite and "locked" in str(exc).lower():
                    raise StoreError(
                        "the database is locked by another process for too long",
                        hint="wait for the other glamlab command to finish and try again",
                    ) from exc
                if exc.connection_invalidated:
                    raise self._unavailable(exc) from exc
                known = self._known_failure(exc)
                if known is not None:
                    raise known from exc
                raise
            except sa.exc.DBAPIError as exc:
                known = self._known_failure(exc)
                if known is not None:
                    raise known from exc
                raise

    def transaction(self, fn: Callable[[sa.Connection], T], *, attempts: int = 4) -> T:
        """Run ``fn(conn)`` in one write transaction and return its result.

        On PostgreSQL a transaction can be aborted by the server because it deadlocked
        with another one, or could not be serialised (SQLSTATE 40P01 / 40001); nothing of
        it was stored, so it is run again, up to ``attempts`` times in all. ``fn`` must
        therefore only touch the database. SQLite's writer never needs this.
        """
        for attempt in range(1, attempts + 1):
            try:
                with self.write() as conn:
                    return fn(conn)
            except sa.exc.DBAPIError as exc:
                code = getattr(exc.orig, "sqlstate", None)
                if self.is_sqlite or code not in _RETRYABLE or attempt == attempts:
                    raise
                time.sleep(random.uniform(0.01, 0.05) * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _unavailable(self, exc: Exception) -> DatabaseUnavailable:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = reason[0] if reason else type(exc).__name__
        if self.is_sqlite:
            hint = "check that the folder exists and is writable, and that the disk is not full"
        elif "does not exist" in first and "database" in first:
            hint = ("create the database first (createdb NAME, or CREATE DATABASE NAME; "
                    "as a PostgreSQL superuser), or fix the name in GLAMLAB_DB / --db")
        elif "password" in first or "authentication" in first:
            hint = "check the user name and password in the URL (GLAMLAB_DB or --db)"
        else:
            hint = ("check that the PostgreSQL server is running and reachable from this "
                    "machine, and that the host and port in the URL (GLAMLAB_DB or --db) are right")
        return DatabaseUnavailable(f"cannot reach the database {redact(self.url)}: {first}",
                                   hint=hint)

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
        applied: list[str] = []
        pending = self.pending_migrations()
        if not pending:
            return applied
        with self.write() as conn:
            self._lock_migrations(conn)
            schema.schema_migrations.create(conn, checkfirst=True)
        for m in pending:
            with self.write() as conn:
                self._lock_migrations(conn)
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

    def _lock_migrations(self, conn: sa.Connection) -> None:
        """Two processes migrating one PostgreSQL database take turns (SQLite's
        ``BEGIN IMMEDIATE`` already does this). Released at the end of the transaction."""
        if not self.is_sqlite:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK_KEY)))

    # -- small helpers used everywhere ---------------------------------------
    def audit(self, conn: sa.Connection, actor: str, action: str, obj: str | None = None,
              **details: object) -> int:
        """Write one audit entry in the caller's transaction; returns its id."""
        res = conn.execute(
            schema.audit_log.insert().values(
                at=now(), actor=actor, action=action, object=obj, details=details
            )
        )
        return int(res.inserted_primary_key[0])  # type: ignore[index]
