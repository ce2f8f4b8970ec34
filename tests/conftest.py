"""Shared fixtures. Workspaces are real: SQLite files in tmp_path by default, or a fresh
PostgreSQL database per test when GLAMLAB_TEST_PG is set (see tests/pg.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("GLAMLAB_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GLAMLAB_WORKSPACE", raising=False)
    monkeypatch.delenv("GLAMLAB_DB", raising=False)


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """None for the default SQLite store, or a fresh PostgreSQL database URL."""
    pg = os.environ.get("GLAMLAB_TEST_PG")
    if not pg:
        return None
    from tests.pg import fresh_database

    return fresh_database(pg, request.node.name)


@pytest.fixture
def make_ws(tmp_path: Path, request: pytest.FixtureRequest):
    """Factory: make_ws(name, task=..., modality=..., labels=[...], **kw) -> Workspace.

    Each workspace gets its own store: a SQLite file, or a fresh PostgreSQL database."""
    from glamlab import Workspace

    made = []
    pg = os.environ.get("GLAMLAB_TEST_PG")

    def factory(name: str = "ws", **kw):
        kw.setdefault("task", "test-task")
        kw.setdefault("modality", "image")
        kw.setdefault("labels", ["a", "b"])
        kw.setdefault("need", "a test project")
        if pg and "db" not in kw:
            from tests.pg import fresh_database

            kw["db"] = fresh_database(pg, f"{request.node.name}_{name}")
        ws = Workspace.init(tmp_path / name, **kw)
        made.append(ws)
        return ws

    yield factory
    for ws in made:
        ws.close()


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"the shared datasets are not beside this checkout ({SHARED_DATA})")
    return SHARED_DATA


@pytest.fixture
def read_only():
    """read_only(path): make a file or folder read-only for this process, undone after the
    test. Root writes read-only files anyway, so as root the path is made immutable
    (chattr +i, which root respects too); where that cannot be done the test is skipped."""
    import shutil
    import stat
    import subprocess

    undo: list[Any] = []

    def make(path: Path) -> None:
        if os.geteuid() != 0:
            mode = stat.S_IMODE(path.stat().st_mode)
            path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
            undo.append(lambda: path.chmod(mode))
            return
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", str(path)],
                                            capture_output=True).returncode != 0:
            pytest.skip("running as root, where chmod does not stop writes, and chattr +i "
                        "is not available here")
        undo.append(lambda: subprocess.run([chattr, "-i", str(path)], check=True))

    yield make
    for step in reversed(undo):
        step()


#: the fixtures through which a test reaches the PostgreSQL server of a test-pg run (each
#: test's own database); tests/test_pg_selection.py keeps this list whole
PG_FIXTURES = frozenset({"make_ws", "db_url", "pg_server", "pg_db", "relay"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A PostgreSQL run (GLAMLAB_TEST_PG set) runs only the tests that reach the server,
    through one of :data:`PG_FIXTURES`: the others (a parser, a model, a SQLite file made
    by hand) open no PostgreSQL database, and the SQLite pass ran them already, the same.
    GLAMLAB_TEST_PG_ALL=1 runs every test all the same."""
    if not os.environ.get("GLAMLAB_TEST_PG") or os.environ.get("GLAMLAB_TEST_PG_ALL"):
        return
    keep = [i for i in items if PG_FIXTURES & set(getattr(i, "fixturenames", ()))]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in set(keep)])
        items[:] = keep
