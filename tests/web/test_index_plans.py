"""The pages a large collection made slow read their rows through an index, not by
scanning the whole table: the Labelling page's "Labels to settle" (the second labeller's
labels, looked up again after every label) and the empty review queue's page (has the
policy ever been applied? the audit log by action). Checked with the database's own query
plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL, with sequential scans turned
off there so that a small test table does not make a scan the cheaper plan) for the
statements the real page sends. And a workspace made before these indexes gets them
(migration 14)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from glamlab import Workspace
from glamlab.store import SCHEMA_VERSION, now
from glamlab.store import schema as s
from glamlab.store.gold import SECOND
from glamlab.web import create_app
from glamlab.web.app import stop_background
from tests.tasks.helpers import add_items

from .conftest import PASSWORD, login

INDEXES = {"labels": "ix_labels_source", "audit_log": "ix_audit_log_action"}


@contextmanager
def _sent(ws: Any, wanted: Callable[[str, Any], bool]) -> Iterator[list[tuple[str, Any]]]:
    """The statements (with their parameters) sent to the store meanwhile that
    ``wanted(statement, params)`` picks."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        if wanted(statement, params):
            seen.append((statement, params))

    sa.event.listen(ws.store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(ws.store.engine, "before_cursor_execute", record)


def _plan(ws: Any, statement: str, params: Any) -> str:
    """The database's plan for a statement, one step a line."""
    with ws.store.read() as conn:
        if ws.store.is_sqlite:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            return "\n".join(str(r[-1]) for r in rows)
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        rows = conn.exec_driver_sql("EXPLAIN " + statement, params).all()
        return "\n".join(str(r[0]) for r in rows)


def _scans(ws: Any, plan: str, table: str) -> list[str]:
    """The steps of the plan that read the whole of ``table`` or of one of its indexes:
    on SQLite a ``SCAN``; on PostgreSQL a sequential scan, or an index read with no
    condition on its first column (which reads the whole index)."""
    lines = [line.strip().removeprefix("->").strip() for line in plan.splitlines()]
    if ws.store.is_sqlite:
        return [line for line in lines if re.match(rf"SCAN {table}\b", line)]
    with ws.store.read() as conn:
        inspector = sa.inspect(conn)
        first = {ix["name"]: ix["column_names"][0] for ix in inspector.get_indexes(table)}
        pk = inspector.get_pk_constraint(table)
        first[pk["name"]] = pk["constrained_columns"][0]
    out = []
    for k, line in enumerate(lines):
        if re.match(rf"Seq Scan on {table}\b", line):
            out.append(line)
            continue
        used = re.match(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan) (?:using|on) (\w+)",
                        line)
        if not used or used.group(1) not in first:
            continue
        conds = []
        for detail in lines[k + 1:]:
            if "(cost=" in detail:  # the next step
                break
            conds.append(detail)
        if not any(c.startswith("Index Cond:") and re.search(rf"\b{first[used.group(1)]}\b", c)
                   for c in conds):
            out.append(line)
    return out


def _params(params: Any) -> list[Any]:
    return list(params.values() if isinstance(params, dict) else (params or ()))


def _project(make_ws: Any, name: str) -> Any:
    """Sixty texts, forty labelled by rey, ten of them labelled again by rob blind
    (three differently), and a reviewer to sign in."""
    from glamlab.auth import add_user

    ws = make_ws(name, modality="text", labels=["yes", "no"])
    add_items(ws, [{"id": f"t{i:03d}", "text": f"text {i}"} for i in range(60)])
    stamp = now()
    rows = []
    for i in range(40):
        label = "yes" if i % 2 else "no"
        rows.append({"item_id": f"t{i:03d}", "label": label, "annotator": "rey",
                     "source": "web", "active": True, "created_at": stamp})
        if i % 4 == 1:
            other = label if i % 3 else ("no" if label == "yes" else "yes")
            rows.append({"item_id": f"t{i:03d}", "label": other, "annotator": "rob",
                         "source": SECOND, "active": True, "created_at": stamp})
    with ws.store.write() as conn:
        conn.execute(ws.store.t.labels.insert(), rows)
    add_user(ws, "rey", PASSWORD, "reviewer")
    return ws


def test_labels_to_settle_find_the_second_labels_by_index(make_ws: Any) -> None:
    """The Labelling page's "Labels to settle" (worked out again after every label) looks
    the second labeller's labels up by their source through an index, not by reading
    every label of the collection."""
    ws = _project(make_ws, "settle")
    app = create_app(ws)
    client = TestClient(app)
    try:
        assert login(client, "rey").status_code == 303
        with _sent(ws, lambda st, p: SECOND in _params(p) and "labels" in st) as seen:
            page = client.get("/label")
        assert page.status_code == 200
        assert 'id="to-settle"' in page.text  # the list is shown: rob disagreed on some
        assert seen, "the page did not look the second labels up"
        for statement, params in seen:
            plan = _plan(ws, statement, params)
            assert not _scans(ws, plan, "labels"), (statement, plan)
    finally:
        client.close()
        stop_background(app)


def test_empty_queue_page_finds_the_policy_in_the_audit_log_by_index(make_ws: Any) -> None:
    """With nothing to review, the queue page asks whether the policy was ever applied
    (the audit log's "act"): by an index on the action, not by reading the whole log."""
    ws = _project(make_ws, "acted")
    stamp = now()
    with ws.store.write() as conn:
        conn.execute(ws.store.t.audit_log.insert(), [
            {"at": stamp, "actor": "rey", "action": "label", "object": f"t{i:03d}",
             "details": {}} for i in range(40)])
    app = create_app(ws)
    client = TestClient(app)
    try:
        assert login(client, "rey").status_code == 303
        with _sent(ws, lambda st, p: "audit_log" in st and "act" in _params(p)) as seen:
            page = client.get("/queue")
        assert page.status_code == 200
        assert seen, "the page did not ask whether the policy was applied"
        for statement, params in seen:
            plan = _plan(ws, statement, params)
            assert not _scans(ws, plan, "audit_log"), (statement, plan)
    finally:
        client.close()
        stop_background(app)


def test_a_workspace_from_before_the_indexes_gets_them(make_ws: Any) -> None:
    """Migration 14 adds the two indexes to a database made before it (SQLite and
    PostgreSQL alike), leaving its rows as they were."""
    ws = _project(make_ws, "older")
    with ws.store.read() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(s.labels)).scalar()
    with ws.store.write() as conn:
        for name in INDEXES.values():
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        # as a database written before migration 14 ran
        conn.execute(s.schema_migrations.delete().where(s.schema_migrations.c.version >= 14))
    root, url = ws.root, (ws.store.url if not ws.store.is_sqlite else None)
    ws.close()
    again = Workspace.open(root, db=url)
    try:
        assert again.store.schema_version() == SCHEMA_VERSION
        with again.store.read() as conn:
            for table, name in INDEXES.items():
                assert name in {ix["name"] for ix in sa.inspect(conn).get_indexes(table)}
            assert conn.execute(sa.select(sa.func.count()).select_from(s.labels)).scalar() \
                == before
    finally:
        again.close()
