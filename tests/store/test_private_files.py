"""Private data stays private, and a file or disk problem is one clear line: the
database, exports and backups are owner-only; a full disk, a damaged database or an
unwritable path never ends in a traceback."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.errors import StoreError
from tests.actions.helpers import add_model, add_predictions

ROOT = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _ws_with_items(make_ws, tmp_path, n=5):
    ws = make_ws("private", modality="text", labels=["a", "b"])
    src = tmp_path / "t.csv"
    src.write_text("id,text\n" + "".join(f"x{i},text {i}\n" for i in range(n)))
    ws.ingest([str(src)])
    return ws


def test_the_database_and_the_data_folder_are_owner_only(make_ws, tmp_path):
    ws = _ws_with_items(make_ws, tmp_path)
    if ws.store.is_sqlite:
        assert _mode(ws.root / "glamlab.db") == 0o600
    assert _mode(ws.data_dir) == 0o700


def test_exports_and_backups_are_owner_only(make_ws, tmp_path):
    from glamlab.auth import add_user

    ws = _ws_with_items(make_ws, tmp_path)
    add_user(ws, "ada", "correct horse battery", "admin")
    runner = CliRunner()
    w = ["-w", str(ws.root)]
    mid = add_model(ws, "m", 1)
    add_predictions(ws, mid, {f"x{i}": {"a": 0.9, "b": 0.1} for i in range(5)})
    for fmt in ("csv", "parquet", "jsonl"):
        out = tmp_path / f"e.{fmt}"
        out.write_text("old")
        out.chmod(0o644)  # an existing file loses its wider mode too
        res = runner.invoke(cli, [*w, "export", "--format", fmt, "--out", str(out)])
        assert res.exit_code == 0, res.output
        assert _mode(out) == 0o600 and out.stat().st_size > 3
    res = runner.invoke(cli, [*w, "export", "--format", "csv", "--out", str(tmp_path)])
    assert res.exit_code != 0 and "is a folder" in str(res.exception)
    backup = tmp_path / "backup.zip"
    res = runner.invoke(cli, [*w, "db", "export", str(backup), "--json"])
    assert res.exit_code == 0, res.output
    assert _mode(backup) == 0o600
    with zipfile.ZipFile(backup) as zf:
        assert "tables/users.jsonl" in zf.namelist()
    lean = tmp_path / "lean.zip"
    res = runner.invoke(cli, [*w, "db", "export", str(lean), "--no-users", "--json"])
    assert res.exit_code == 0, res.output
    with zipfile.ZipFile(lean) as zf:
        assert "tables/users.jsonl" not in zf.namelist()
        assert json.loads(zf.read("manifest.json"))["tables"]["items"]["rows"] == 5


def test_open_private_refuses_folders_and_names_unwritable_paths(tmp_path):
    from glamlab.files import OutputError, open_private

    with open_private(tmp_path / "new" / "deep" / "out.csv") as fh:
        fh.write("x")
    assert _mode(tmp_path / "new" / "deep" / "out.csv") == 0o600
    with pytest.raises(OutputError, match="is a folder") as exc:
        open_private(tmp_path)
    assert exc.value.hint
    blocker = tmp_path / "afile"
    blocker.write_text("")
    with pytest.raises(OutputError, match="cannot write"):
        open_private(blocker / "inside.csv")


def test_db_export_to_a_folder_is_one_line(make_ws, tmp_path):
    ws = _ws_with_items(make_ws, tmp_path)
    out = subprocess.run([sys.executable, "-m", "glamlab", "-w", str(ws.root), "db", "export",
                          str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr


def test_a_damaged_database_is_one_line_with_the_fix(tmp_path):
    from glamlab import Workspace

    ws = Workspace.init(tmp_path / "ws", task="t", modality="text", labels=["a", "b"])
    ws.close()
    (tmp_path / "ws" / "glamlab.db").write_bytes(b"this is not a database at all" * 100)
    for suffix in ("-wal", "-shm"):
        (tmp_path / "ws" / f"glamlab.db{suffix}").unlink(missing_ok=True)
    out = subprocess.run([sys.executable, "-m", "glamlab", "-w", str(tmp_path / "ws"), "status"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert "is not a SQLite database" in out.stderr and "fix: " in out.stderr


def test_a_full_disk_is_one_line_and_what_was_stored_stays(tmp_path):
    """SQLite's page limit gives the same SQLITE_FULL error a full disk gives."""
    from glamlab import Workspace

    ws = Workspace.init(tmp_path / "ws", task="t", modality="text", labels=["a", "b"])
    small = tmp_path / "small.csv"
    small.write_text("id,text\n" + "".join(f"s{i},short {i}\n" for i in range(10)))
    ws.ingest([str(small)])
    with ws.store.read() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

    @sa.event.listens_for(ws.store.engine, "connect")
    def _cap(dbapi_conn, _record):  # every new connection: at most a few more pages
        dbapi_conn.execute(f"PRAGMA max_page_count = {int(pages) + 8}")

    ws.store.engine.dispose()
    big = tmp_path / "big.csv"
    big.write_text("id,text\n" + "".join(f"b{i},{'word ' * 400}\n" for i in range(400)))
    with pytest.raises(StoreError, match="disk holding the database is full") as exc:
        ws.ingest([str(big)])
    assert "free some space" in (exc.value.hint or "")
    sa.event.remove(ws.store.engine, "connect", _cap)
    ws.store.engine.dispose()
    assert ws.count_items() >= 10 and ws.item("s3").text == "short 3"
    ws.close()


def test_report_pages_name_an_unwritable_path(tmp_path):
    """evaluate/backtest --html (write_page): a path whose folder is a file is one
    OutputError with the fix, and a new folder is made."""
    from glamlab.files import OutputError
    from glamlab.reports.html import Section, write_page

    page = write_page(tmp_path / "new" / "report.html", "A report", [Section("One", "text")])
    assert "A report" in page.read_text(encoding="utf-8")
    blocker = tmp_path / "afile"
    blocker.write_text("")
    with pytest.raises(OutputError, match="cannot write") as exc:
        write_page(blocker / "report.html", "A report", [Section("One", "text")])
    assert exc.value.hint
