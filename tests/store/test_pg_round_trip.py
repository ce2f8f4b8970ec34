"""A team's whole project on PostgreSQL, backed up and moved, nothing lost on the way.

The way the README and docs/deploy.md tell an IT person to do it: a workspace on
PostgreSQL, texts ingested and labelled, a model trained and run, the policy acted,
two reviewers deciding at once through the web API; then ``glamlab db export``,
restored into a fresh PostgreSQL database, moved to SQLite and back to PostgreSQL. At
every step each table holds exactly the same rows (items, labels, predictions,
decisions, review queue, users, audit log, ...)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from glamlab.cli import main
from glamlab.demo.projects import demo_data
from glamlab.store import Store
from glamlab.store.transfer import row_counts
from glamlab.workspace import Workspace
from tests.store.test_transfer import snapshot

pytestmark = pytest.mark.postgres

PASSWORD = "correct horse battery"


def glamlab(*args: str) -> None:
    try:
        main(list(args))
    except SystemExit as exc:
        assert exc.code in (0, None), f"glamlab {' '.join(args)} exited with {exc.code}"


def _two_reviewers_decide(ws: Workspace) -> dict[str, int]:
    """ada and bob decide through the JSON API at the same time, each naming the version
    seen, until the queue is empty; returns the decisions each got stored."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.auth.tokens import issue
    from glamlab.auth.users import secret
    from glamlab.web import create_app

    tokens = {}
    for name in ("ada", "bob"):
        add_user(ws, name, PASSWORD, "reviewer")
        tokens[name] = issue(ws, secret(ws), name, "api", 3600)[0]
    app = create_app(ws)
    stored = {"ada": 0, "bob": 0}
    seen: dict[str, set[int]] = {"ada": set(), "bob": set()}
    errors: list[str] = []

    def reviewer(name: str) -> None:
        with TestClient(app, headers={"Authorization": f"Bearer {tokens[name]}"}) as c:
            while rows := c.get("/api/queue", params={"limit": 5}).json():
                for r in rows:
                    seen[name].add(r["id"])
                    action = "accept" if r["id"] % 3 else "reject"
                    res = c.post("/api/decisions", json={
                        "queue_id": r["id"], "action": action, "seen_version": r["version"]})
                    if res.status_code == 200:
                        stored[name] += 1
                    elif res.status_code != 409:
                        errors.append(f"{name}: {res.status_code} {res.text}")
                        return

    try:
        threads = [threading.Thread(target=reviewer, args=(n,)) for n in ("ada", "bob")]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        app.state.refresher.wait(120)
    assert not errors, errors
    assert not seen["ada"] & seen["bob"]  # the queue never handed one row to both
    return stored


def test_a_team_project_survives_backup_restore_and_the_move_to_sqlite_and_back(
        tmp_path: Path, pg_db, capsys):
    texts = demo_data("language") / "texts.csv"
    labels = "ca,cs,cy,da,de,el,en,es,et,eu,fi,fr,ga,hu,is,it,la,nb,nl,pl,pt,ro,ru,sv"
    team = pg_db("team")
    ws_dir = str(tmp_path / "letters")
    glamlab("--db", team, "init", ws_dir, "--task", "language", "--modality", "text",
            "--labels", labels, "--need", "Fill the language field of our catalogue.")
    w = ["-w", ws_dir, "--db", team]
    glamlab(*w, "ingest", str(texts))
    glamlab(*w, "labels", "import", str(texts))
    glamlab(*w, "labels", "split", "--test-size", "0.3")
    glamlab(*w, "train", "lang-langid")
    glamlab(*w, "evaluate")
    glamlab(*w, "run", "--workers", "0")
    glamlab(*w, "act")
    with Workspace.open(ws_dir, db=team) as ws:
        decided = _two_reviewers_decide(ws)
        original = snapshot(ws.store)
        counts = row_counts(ws.store)
    assert decided["ada"] + decided["bob"] == counts["decisions"] > 0
    for table in ("items", "labels", "predictions", "review_queue", "users", "audit_log",
                  "runs", "models", "splits"):
        assert counts[table] > 0, table

    # back up, restore into a fresh PostgreSQL database, move to SQLite, and back
    steps = [("restored", pg_db("restored")), ("laptop", None), ("server", pg_db("server"))]
    source, source_db = ws_dir, team
    for name, db in steps:
        dump = str(tmp_path / f"before-{name}.zip")
        glamlab("-w", source, *(["--db", source_db] if source_db else []), "db", "export", dump)
        target = str(tmp_path / name)
        glamlab("-w", target, *(["--db", db] if db else []), "db", "import", dump)
        store = Store(db or str(Path(target) / "glamlab.db"), migrate=False)
        try:
            assert row_counts(store) == counts, name
            assert snapshot(store) == original, name  # every row, every value
        finally:
            store.dispose()
        source, source_db = target, db
    capsys.readouterr()

    # the last copy opens as a project: its status reads as the first one's did
    glamlab("-w", ws_dir, "--db", team, "status")
    first = capsys.readouterr().out
    glamlab("-w", source, "--db", source_db, "status")
    assert capsys.readouterr().out == first
