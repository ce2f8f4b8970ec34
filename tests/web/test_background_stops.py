"""The web app's background work (the refresher's dry runs and monitoring, the job
thread) ends before the workspace it reads is closed: a server stopping or a test client
closing waits for it. Before, a dry run still reading when the workspace closed left a
PostgreSQL connection open behind the closed store (CI saw psycopg's "deleted while still
open" ResourceWarning)."""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa


def _slow_read(ws: Any, started: threading.Event, release: threading.Event) -> Any:
    def work() -> None:
        with ws.store.read() as conn:  # holds a connection, as a dry run does
            started.set()
            release.wait(30)
            conn.execute(sa.select(sa.func.count()).select_from(ws.store.t.items)).scalar()
    return work


def test_closing_the_client_waits_for_the_background_work(web_ws: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.web import create_app

    app = create_app(web_ws)
    started, release = threading.Event(), threading.Event()
    with TestClient(app) as c:
        assert c.get("/login").status_code == 200
        app.state.refresher("slow", _slow_read(web_ws, started, release))
        assert started.wait(30)
        threading.Timer(0.3, release.set).start()
    # the app's shutdown waited: nothing is reading the store once the client is closed
    assert not app.state.refresher.busy()
    assert "slow" not in app.state.refresher.errors


def test_stop_background_waits_and_says_when_it_could_not(web_ws: Any) -> None:
    from glamlab.web import create_app
    from glamlab.web.app import stop_background

    app = create_app(web_ws)
    started, release = threading.Event(), threading.Event()
    app.state.refresher("slow", _slow_read(web_ws, started, release))
    assert started.wait(30)
    assert stop_background(app, timeout=0.2) is False  # still reading: said, not hidden
    release.set()
    assert stop_background(app, timeout=30) is True
    assert not app.state.refresher.busy()
