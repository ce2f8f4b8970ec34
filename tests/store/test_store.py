from __future__ import annotations

import pytest
import sqlalchemy as sa

from glamlab.errors import SchemaTooNew, WorkspaceError
from glamlab.store import SCHEMA_VERSION, Store, now
from glamlab.store import schema as s
from glamlab.workspace import Workspace


def test_init_creates_card_and_migrated_db(make_ws):
    ws = make_ws(labels=["blank", "content"])
    assert (ws.root / "glamlab.toml").exists()
    assert ws.store.schema_version() == SCHEMA_VERSION
    with ws.store.read() as conn:
        names = set(sa.inspect(conn).get_table_names())
    assert {"items", "labels", "predictions", "decisions", "audit_log"} <= names


def test_sqlite_is_wal(tmp_path):
    store = Store(str(tmp_path / "x.db"))
    if not store.is_sqlite:
        pytest.skip("SQLite-only property")
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.dispose()


def test_schema_newer_than_code_is_refused(make_ws):
    ws = make_ws()
    with ws.store.write() as conn:
        conn.execute(s.schema_migrations.insert().values(
            version=SCHEMA_VERSION + 5, name="from_the_future", applied_at=now()))
    with pytest.raises(SchemaTooNew) as exc:
        Workspace.open(ws.root, db=ws.store.url if not ws.store.is_sqlite else None)
    assert exc.value.hint and "upgrade" in exc.value.hint


def test_open_missing_workspace(tmp_path):
    with pytest.raises(WorkspaceError):
        Workspace.open(tmp_path / "nowhere")


def test_init_twice_refused(make_ws):
    ws = make_ws()
    with pytest.raises(WorkspaceError):
        Workspace.init(ws.root, task="x", modality="image", labels=["a", "b"])


def test_readers_not_blocked_by_writer(make_ws):
    ws = make_ws()
    with ws.store.write() as w:
        w.execute(s.audit_log.insert().values(at=now(), actor="t", action="x", details={}))
        # a reader in the same process sees the committed state, without waiting
        with ws.store.read() as r:
            assert r.execute(sa.select(sa.func.count()).select_from(s.audit_log)).scalar() >= 1
