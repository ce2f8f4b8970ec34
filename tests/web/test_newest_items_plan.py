"""The Export page lists the metadata fields of the newest current items (to tick which
the download adds): 500 rows. SQLite read them through ``ix_items_current``, every
current item of the collection, and sorted them all to keep the newest 500 (a fifth of a
second for 100,000 items, on every view of the page). Now the database reads the primary
key from its end and stops there: checked on the database's own plan for the statement
the page sends (no sort of the items), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from glamlab.web import create_app
from glamlab.web.app import stop_background

from .conftest import login
from .test_index_plans import _plan, _project, _sent


def _sorts(ws: Any, plan: str) -> list[str]:
    """The plan's steps that sort rows (SQLite's temporary B-tree for ORDER BY, a
    PostgreSQL Sort)."""
    lines = [line.strip().removeprefix("->").strip() for line in plan.splitlines()]
    pattern = r"USE TEMP B-TREE FOR ORDER BY" if ws.store.is_sqlite else r"(Incremental )?Sort\b"
    return [line for line in lines if re.match(pattern, line)]


def test_the_export_page_reads_the_newest_items_without_sorting_them_all(
        make_ws: Any) -> None:
    ws = _project(make_ws, "newest")
    app = create_app(ws)
    client = TestClient(app)
    try:
        assert login(client, "rey").status_code == 303
        with _sent(ws, lambda st, p: re.search(r"SELECT items\.meta\s+FROM items", st)
                   is not None and "ORDER BY items.pk DESC" in st) as seen:
            page = client.get("/stages/export")
        assert page.status_code == 200
        assert seen, "the page did not read the newest items' metadata"
        for statement, params in seen:
            plan = _plan(ws, statement, params)
            assert not _sorts(ws, plan), (statement, plan)
    finally:
        client.close()
        stop_background(app)
