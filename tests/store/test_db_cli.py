"""glamlab db export | import | status, and the errors a server can cause, from the CLI."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.errors import DatabaseUnavailable
from glamlab.store import Store, now
from glamlab.store import schema as s
from glamlab.workspace import Workspace
from tests.store.test_transfer import snapshot


def glamlab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "glamlab", *args], capture_output=True,
                          text=True, timeout=120)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _add_rows(ws: Workspace) -> None:
    with ws.store.write() as conn:
        for i in range(30):
            conn.execute(s.items.insert().values(
                item_id=f"p{i}", modality="image", source_kind="folder", source="scans",
                uri=f"scans/p{i}.jpg", content_hash=f"{i:064d}", meta={"shelf": "A", "n": i},
                is_current=i % 3 != 0, created_at=now()))
            conn.execute(s.features.insert().values(
                item_id=f"p{i}", extractor="stats@1", content_hash=f"{i:064d}",
                value=bytes(range(256)) * 3, created_at=now()))


def test_export_then_import_into_a_new_workspace(make_ws, db_url, tmp_path: Path):
    ws = make_ws("src", labels=["blank", "content"])
    _add_rows(ws)
    dump = tmp_path / "ws.zip"
    runner = CliRunner()
    src_db = [] if ws.store.is_sqlite else ["--db", ws.store.url]
    res = runner.invoke(cli, ["-w", str(ws.root), *src_db, "db", "export", str(dump), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["tables"]["items"] == 30 and out["tables"]["features"] == 30

    target_db = ["--db", db_url] if db_url else []  # PostgreSQL run: a second, empty database
    new_root = tmp_path / "moved"
    res = runner.invoke(cli, ["-w", str(new_root), *target_db, "db", "import", str(dump), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["created_workspace"] is True and out["rows"] > 60

    moved = Workspace.open(new_root, db=db_url)
    assert moved.card.labels == ["blank", "content"]
    assert moved.card.db_url == (db_url or "")
    assert snapshot(moved.store) == snapshot(ws.store)
    assert moved.count_items(where={"shelf": "A"}) == 20  # JSON and booleans work as before
    moved.close()

    # importing again into the now full database is refused, with the way out
    res = runner.invoke(cli, ["-w", str(new_root), *target_db, "db", "import", str(dump)])
    assert res.exit_code != 0 and "not empty" in str(res.exception)


def test_import_names_the_models_whose_files_stay_behind(make_ws, db_url, tmp_path: Path):
    """db export carries the database, not models/: the import says which saved models
    cannot run in the new workspace until that folder is copied, before a run fails."""
    ws = make_ws("src", labels=["blank", "content"])
    folder = ws.root / "models" / "gbm" / "1"
    folder.mkdir(parents=True)
    (folder / "state.pkl").write_bytes(b"x")
    with ws.store.write() as conn:
        conn.execute(s.models.insert().values(
            name="gbm", version=1, predictor="page-stats-gbm", params={},
            path="models/gbm/1", artifacts={"state.pkl": "0" * 64}, created_at=now()))
    dump = tmp_path / "ws.zip"
    runner = CliRunner()
    src_db = [] if ws.store.is_sqlite else ["--db", ws.store.url]
    res = runner.invoke(cli, ["-w", str(ws.root), *src_db, "db", "export", str(dump)])
    assert res.exit_code == 0, res.output

    target_db = ["--db", db_url] if db_url else []
    new_root = tmp_path / "moved"
    res = runner.invoke(cli, ["-w", str(new_root), *target_db, "db", "import", str(dump)])
    assert res.exit_code == 0, res.output
    assert "gbm@1" in res.output and "models/ folder" in res.output, res.output

    # with the folder copied along, nothing is said
    import shutil

    shutil.copytree(ws.root / "models", new_root / "models")
    res = runner.invoke(cli, ["-w", str(new_root), *target_db, "db", "import", str(dump),
                              "--replace", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["models_without_files"] == []


def test_db_status_reports_schema_and_pending(make_ws):
    ws = make_ws()
    db = [] if ws.store.is_sqlite else ["--db", ws.store.url]
    res = CliRunner().invoke(cli, ["-w", str(ws.root), *db, "db", "status", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["pending"] == [] and data["schema_version"] == data["code_schema_version"]
    assert data["backend"] == ws.store.backend
    # a database behind the code: the first migration not yet applied
    with ws.store.write() as conn:
        conn.execute(s.schema_migrations.delete().where(
            s.schema_migrations.c.version == data["schema_version"]))
    res = CliRunner().invoke(cli, ["-w", str(ws.root), *db, "db", "status", "--json"])
    assert res.exit_code == 2 and json.loads(res.output)["pending"]


def test_unreachable_server_is_one_clear_error_without_the_password(tmp_path: Path):
    url = f"postgresql://curator:s3cret@127.0.0.1:{_free_port()}/glamlab"
    with pytest.raises(DatabaseUnavailable) as exc:
        Store(url)
    assert "s3cret" not in exc.value.message and "127.0.0.1" in exc.value.message
    assert "server is running" in (exc.value.hint or "")

    out = glamlab("--db", url, "init", str(tmp_path / "ws"), "--task", "t", "--modality",
                  "image", "--labels", "a,b")
    assert out.returncode == 2
    assert out.stderr.startswith("error: cannot reach the database postgresql")
    assert "Traceback" not in out.stderr and "s3cret" not in out.stderr
    assert "fix: check that the PostgreSQL server is running" in out.stderr


def test_a_password_given_as_a_url_parameter_is_not_printed_either(tmp_path: Path):
    """libpq also takes the password as ``?password=``: a curator who writes it there (as
    some hosting panels show it) must not see it in the error, the log or glamlab's output."""
    url = f"postgresql://curator@127.0.0.1:{_free_port()}/glamlab?password=s3cret&sslmode=disable"
    with pytest.raises(DatabaseUnavailable) as exc:
        Store(url)
    assert "s3cret" not in exc.value.message and "password=***" in exc.value.message
    assert "sslmode=disable" in exc.value.message  # the rest of the URL stays, to check it

    out = glamlab("--db", url, "init", str(tmp_path / "ws"), "--task", "t", "--modality",
                  "text", "--labels", "a,b")
    assert out.returncode == 2
    assert out.stderr.startswith("error: cannot reach the database postgresql")
    assert "s3cret" not in out.stderr + out.stdout


@pytest.mark.postgres
def test_missing_database_says_to_create_it(pg_server: str):
    url = pg_server.rsplit("/", 1)[0] + "/no_such_db_for_glamlab"
    with pytest.raises(DatabaseUnavailable) as exc:
        Store(url)
    assert "createdb" in (exc.value.hint or "")


@pytest.mark.postgres
def test_two_processes_migrating_one_new_database_take_turns(pg_db):
    """Two glamlab commands starting on an empty PostgreSQL database at the same moment."""
    url = pg_db()
    code = ("import sys; from glamlab.store import Store; s = Store(sys.argv[1]); "
            "print(s.schema_version()); s.dispose()")
    procs = [subprocess.Popen([sys.executable, "-c", code, url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [r[1] for r in results]
    store = Store(url)
    with store.read() as conn:
        rows = conn.execute(sa.select(s.schema_migrations.c.version)).scalars().all()
    assert sorted(rows) == sorted(set(rows)) and max(rows) == store.schema_version()
    store.dispose()


def test_import_into_a_new_folder_keeps_the_password_out_of_the_card(make_ws, db_url,
                                                                     tmp_path: Path):
    """`glamlab db import` into a folder with no glamlab.toml writes the card with the
    target database's URL: with `--db postgresql://user:PASSWORD@...` (or GLAMLAB_DB,
    where a team keeps the password) it wrote the password into glamlab.toml, which
    `glamlab init` no longer does. The card keeps the URL without it."""
    if db_url is None:
        pytest.skip("needs a PostgreSQL server: make test-pg")
    ws = make_ws("src", labels=["blank", "content"])
    _add_rows(ws)
    dump = tmp_path / "ws.zip"
    runner = CliRunner()
    res = runner.invoke(cli, ["-w", str(ws.root), "--db", ws.store.url, "db", "export",
                              str(dump), "--json"])
    assert res.exit_code == 0, res.output
    # the test server trusts local connections, so a password given is not needed
    url = sa.engine.make_url(db_url).set(password="s3cret-pw").render_as_string(
        hide_password=False)
    new_root = tmp_path / "moved"
    res = runner.invoke(cli, ["-w", str(new_root), "--db", url, "db", "import", str(dump),
                              "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["created_workspace"] is True
    assert "s3cret-pw" not in (new_root / "glamlab.toml").read_text(encoding="utf-8")
    moved = Workspace.open(new_root)  # the card's URL alone reaches it
    assert moved.card.labels == ["blank", "content"]
    moved.close()
