"""Items' metadata that holds NaN (pandas' empty cell, which Python's json.dumps wrote as
``NaN``, not JSON): a workspace ingested before ingest stored it as null made SQLite's
JSON functions fail ("malformed JSON") on every trend and every filter over the items'
fields, in the command line and on the web Trends page. Migration 19 rewrites such rows
(null in place of NaN and Infinity, once, saying how many items), and every JSON value
the store writes from now on is strict JSON: NaN is written as null, on SQLite as on
PostgreSQL (whose jsonb refused the row before)."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from glamlab.cli import cli

NAN, INF = float("nan"), float("inf")


def _ws(make_ws: Any, tmp_path: Path) -> Any:
    ws = make_ws("nan", modality="text", labels=["fr", "de"])
    path = tmp_path / "letters.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "place", "year"])
        for i in range(8):
            w.writerow([f"l{i}", f"lettre {i}", "Paris" if i % 2 else "Bern", 1900 + i % 3])
    ws.ingest([str(path)])
    return ws


def _raw_meta(ws: Any, item_id: str) -> str:
    with ws.store.read() as conn:
        return str(conn.execute(sa.text("SELECT meta FROM items WHERE item_id = :i AND "
                                        "is_current = :t"), {"i": item_id, "t": True}).scalar())


def _run(ws: Any, *args: str) -> Any:
    res = CliRunner().invoke(cli, ["-w", str(ws.root), *args])
    assert res.exit_code == 0, (args, res.output, res.exception)
    return res


def test_a_workspace_written_with_nan_works_again_after_the_upgrade(make_ws, tmp_path, caplog):
    from glamlab import Workspace
    from glamlab.trends.aggregate import distinct_values
    from tests.trends.helpers import add_model_with_predictions

    ws = _ws(make_ws, tmp_path)
    if not ws.store.is_sqlite:
        pytest.skip("PostgreSQL's jsonb never held NaN: it refused the row")
    add_model_with_predictions(ws, {f"l{i}": {"fr": 0.8, "de": 0.2} if i % 3 else
                                    {"fr": 0.1, "de": 0.9} for i in range(8)})
    hashes = {i.item_id: i.content_hash for i in ws.items()}
    # the rows as the old ingest wrote them (json.dumps: NaN, Infinity), in a workspace
    # whose schema predates migration 19
    old = {"l1": {"place": "Paris", "year": NAN, "note": INF, "dims": [1.5, -INF]},
           "l2": {"place": "Bern", "year": NAN}}
    with ws.store.write() as conn:
        for item_id, meta in old.items():
            conn.execute(sa.text("UPDATE items SET meta = :m WHERE item_id = :i"),
                         {"m": json.dumps(meta), "i": item_id})
        # the word NaN in a string is a value as any other: left as it is
        conn.execute(sa.text("UPDATE items SET meta = :m WHERE item_id = 'l3'"),
                     {"m": json.dumps({"place": "Paris", "year": 1900, "title": "NaN bread"})})
        conn.execute(sa.text("DELETE FROM schema_migrations WHERE version >= 19"))
    assert "NaN" in _raw_meta(ws, "l1") and "Infinity" in _raw_meta(ws, "l1")
    untouched = _raw_meta(ws, "l3")
    ws.close()

    caplog.set_level(logging.WARNING, logger="glamlab.store.migrations")
    ws = Workspace.open(tmp_path / "nan")  # opening it upgrades it, in one transaction
    said = [r.getMessage() for r in caplog.records if "NaN" in r.getMessage()]
    assert len(said) == 1 and "the metadata of 2 items held NaN" in said[0], said
    assert "l1, l2" in said[0]

    meta = {i.item_id: i.meta for i in ws.items()}
    assert meta["l1"] == {"place": "Paris", "year": None, "note": None, "dims": [1.5, None]}
    assert meta["l2"] == {"place": "Bern", "year": None}
    assert _raw_meta(ws, "l3") == untouched  # not rewritten
    # the content is the same: a later ingest of the same file finds it unchanged
    assert {i.item_id: i.content_hash for i in ws.items()} == hashes
    with ws.store.read() as conn:
        audit = conn.execute(sa.select(ws.store.t.audit_log.c.details).where(
            ws.store.t.audit_log.c.action == "items.meta_nan_to_null")).scalars().all()
    assert audit == [{"items": 2, "versions": 2, "item_ids": ["l1", "l2"]}]

    # what failed with "malformed JSON": filters over the items' fields, trends
    assert sorted(i.item_id for i in ws.items(where={"place": "Paris"})) == \
        ["l1", "l3", "l5", "l7"]
    assert dict(distinct_values(ws, "year"))  # the trends' field values
    _run(ws, "items", "list", "--where", "place=Paris")
    _run(ws, "trends", "--by", "place", "--model", "m", "--method", "cc")
    _run(ws, "trends", "--by", "year", "--model", "m", "--method", "cc",
         "--where", "place=Paris")
    ws.close()

    from glamlab.store.migrations import items_meta_without_nan

    with Workspace.open(tmp_path / "nan") as again:  # done once: nothing left to rewrite
        with again.store.write() as conn:
            assert items_meta_without_nan(conn) == 0


def test_the_web_trends_page_opens_after_the_upgrade(make_ws, tmp_path):
    from fastapi.testclient import TestClient

    from glamlab import Workspace
    from glamlab.auth import add_user
    from glamlab.web import create_app
    from tests.trends.helpers import add_model_with_predictions
    from tests.web.conftest import PASSWORD, csrf_of, login

    ws = _ws(make_ws, tmp_path)
    if not ws.store.is_sqlite:
        pytest.skip("PostgreSQL's jsonb never held NaN: it refused the row")
    add_model_with_predictions(ws, {f"l{i}": {"fr": 0.7, "de": 0.3} for i in range(8)})
    add_user(ws, "ada", PASSWORD, "admin")
    with ws.store.write() as conn:
        conn.execute(sa.text("UPDATE items SET meta = :m WHERE item_id = 'l1'"),
                     {"m": json.dumps({"place": "Paris", "year": NAN})})
        conn.execute(sa.text("DELETE FROM schema_migrations WHERE version >= 19"))
    ws.close()
    ws = Workspace.open(tmp_path / "nan")
    c = TestClient(create_app(ws))
    assert login(c, "ada").status_code == 303
    assert c.get("/stages/trends").status_code == 200
    r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "place", "label": "",
                                       "method": "cc", "where_field": "year",
                                       "where_value": "1901"})
    assert r.status_code == 200, r.text
    ws.close()


def test_a_nan_written_now_is_stored_as_null(make_ws, tmp_path):
    """Every JSON value the store writes is strict JSON (SQLite and PostgreSQL): the
    engine's own writes (an update of an item's fields, as a label sheet's extra columns
    make) and the ingest writer's rows."""
    from glamlab.ingest import write_records
    from glamlab.ingest.base import Record

    ws = _ws(make_ws, tmp_path)
    t = ws.store.t.items
    with ws.store.write() as conn:
        conn.execute(t.update().where(t.c.item_id == "l1", t.c.is_current.is_(True))
                     .values(meta={"place": "Paris", "year": NAN, "dims": [INF, 2.0]}))
        write_records(ws.store, conn, [Record(
            item_id="l9", modality="text", source_kind="test", source="test", text="neuf",
            content_hash="h9", meta={"place": "Bern", "year": NAN, "nested": {"x": -INF}})],
            sources=["test"])
    for item_id in ("l1", "l9"):
        raw = _raw_meta(ws, item_id)
        assert "NaN" not in raw and "Infinity" not in raw, raw
    meta = {i.item_id: i.meta for i in ws.items()}
    assert meta["l1"] == {"place": "Paris", "year": None, "dims": [None, 2.0]}
    assert meta["l9"] == {"place": "Bern", "year": None, "nested": {"x": None}}
    # a filter over the items' fields reads every row's metadata
    assert sorted(i.item_id for i in ws.items(where={"place": "Bern"})) == \
        ["l0", "l2", "l4", "l6", "l9"]
    with ws.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).where(
            t.c.is_current.is_(True), t.c.meta["year"].as_string().is_(None))).scalar() == 2


def _old_export(tmp_path: Path) -> Path:
    """A backup (glamlab db export) of a SQLite workspace at schema 18 whose items'
    metadata holds NaN, as the older glamlab wrote it: the file holds ``NaN`` too."""
    from glamlab.store import Store, now
    from glamlab.store.transfer import export_store

    old = Store(str(tmp_path / "old.db"))
    with old.write() as conn:
        ing = conn.execute(old.t.ingests.insert().values(sources=["t"], started_at=now())
                           ).inserted_primary_key[0]
        for n, meta in enumerate(({"place": "Paris", "year": NAN}, {"place": "Bern", "year": 1901,
                                                                    "title": "NaN bread"})):
            conn.execute(sa.text(
                "INSERT INTO items (item_id, version, is_current, modality, source_kind, "
                "source, content_hash, meta, ingest_id, created_at) VALUES (:i, 1, 1, 'text', "
                "'csv', 't', :h, :m, :g, :at)"), {"i": f"o{n}", "h": f"h{n}", "g": ing,
                                                  "m": json.dumps(meta), "at": now()})
        conn.execute(sa.text("DELETE FROM schema_migrations WHERE version >= 19"))
    path = tmp_path / "old.zip"
    export_store(old, path)
    old.dispose()
    return path


def _imported_meta(url: str, dump: Path) -> dict[str, Any]:
    from glamlab.store import Store
    from glamlab.store.transfer import import_store

    store = Store(url)
    try:
        import_store(store, dump)
        t = store.t.items
        with store.read() as conn:
            paris = conn.execute(sa.select(t.c.item_id).where(
                t.c.meta["place"].as_string() == "Paris")).scalars().all()
            assert paris == ["o0"]
            return dict(conn.execute(sa.select(t.c.item_id, t.c.meta)).all())
    finally:
        store.dispose()


def test_an_older_backup_with_nan_is_imported_with_null(tmp_path):
    """Importing the backup runs migration 19 on its rows (SQLite); nothing is lost."""
    dump = _old_export(tmp_path)
    assert _imported_meta(str(tmp_path / "new.db"), dump) == {
        "o0": {"place": "Paris", "year": None},
        "o1": {"place": "Bern", "year": 1901, "title": "NaN bread"}}


@pytest.mark.postgres
def test_an_older_backup_with_nan_goes_into_postgresql(tmp_path, pg_db):
    """PostgreSQL's jsonb refused the row with NaN ("Token "NaN" is invalid"): the
    import of the whole backup failed. It is now stored as null."""
    dump = _old_export(tmp_path)
    assert _imported_meta(pg_db("nan"), dump) == {
        "o0": {"place": "Paris", "year": None},
        "o1": {"place": "Bern", "year": 1901, "title": "NaN bread"}}
