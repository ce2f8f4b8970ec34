"""Adding an entity checks its span layer through an index, not by reading every stored
span: a layer of the project's own (one an imported file brought) is found by the
database's index on the spans' layer (migration 16), checked with the database's own
query plan for the statement the real API call sends (as :mod:`.test_index_plans` checks
the Labelling page's); a workspace made before the index gets it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from glamlab import Workspace
from glamlab.store import SCHEMA_VERSION, now
from glamlab.store import schema as s
from glamlab.tasks.spans import Span
from glamlab.tasks.spans.gold import record_spans
from glamlab.web import create_app
from glamlab.web.app import stop_background
from tests.tasks.helpers import add_items

from .conftest import PASSWORD, csrf_of, login
from .test_index_plans import _params, _plan, _scans, _sent

LABELS = ["PER", "LOC", "ORG"]
INDEX = "ix_spans_layer"


def _project(make_ws: Any, name: str) -> Any:
    """Forty texts, thirty with gold spans of the main layer, two with a layer of their
    own ("quoted") stored last, and a reviewer to sign in."""
    from glamlab.auth import add_user

    ws = make_ws(name, task="ner", kind="entities", modality="text", labels=LABELS)
    texts = {f"t{i:03d}": f"Ernst Meyer wrote to Zurich on day {i}." for i in range(40)}
    add_items(ws, [{"id": k, "text": v} for k, v in texts.items()])
    with ws.store.write() as conn:
        for i in range(32):
            item = f"t{i:03d}"
            spans = ([Span(0, 11, "PER"), Span(21, 27, "LOC")] if i < 30
                     else [Span(0, 11, "PER", layer="quoted")])
            record_spans(conn, ws, item, texts[item], spans, annotator="import",
                         source="gold.jsonl", stamp=now())
    add_user(ws, "rey", PASSWORD, "reviewer")
    return ws


def test_adding_an_entity_finds_its_layer_by_index(make_ws: Any) -> None:
    ws = _project(make_ws, "layers")
    app = create_app(ws)
    client = TestClient(app)
    try:
        assert login(client, "rey").status_code == 303
        headers = {"X-CSRF-Token": csrf_of(client)}
        with _sent(ws, lambda st, p: "FROM spans" in st and "layer" in st
                   and "quoted" in _params(p)) as sent:
            r = client.post("/api/texts/t035/spans", headers=headers,
                            json={"start": 0, "end": 11, "label": "PER", "layer": "quoted"})
        assert r.status_code == 200 and r.json()["layer"] == "quoted", r.text
        assert sent, "the layer was not looked for"
        for statement, params in sent:
            plan = _plan(ws, statement, params)
            assert not _scans(ws, plan, "spans"), (statement, plan)
            assert INDEX in plan, (statement, plan)
    finally:
        client.close()
        stop_background(app)


def test_a_workspace_from_before_the_layer_index_gets_it(make_ws: Any) -> None:
    """Migration 16 adds the index to a database made before it (SQLite and PostgreSQL
    alike), leaving its spans as they were."""
    ws = _project(make_ws, "older")
    with ws.store.read() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(s.spans)).scalar()
    with ws.store.write() as conn:
        conn.exec_driver_sql(f'DROP INDEX "{INDEX}"')
        # as a database written before migration 16 ran
        conn.execute(s.schema_migrations.delete().where(s.schema_migrations.c.version >= 16))
    root, url = ws.root, (ws.store.url if not ws.store.is_sqlite else None)
    ws.close()
    again = Workspace.open(root, db=url)
    try:
        assert again.store.schema_version() == SCHEMA_VERSION
        with again.store.read() as conn:
            assert INDEX in {ix["name"] for ix in sa.inspect(conn).get_indexes("spans")}
            assert conn.execute(sa.select(sa.func.count()).select_from(s.spans)).scalar() \
                == before
    finally:
        again.close()
