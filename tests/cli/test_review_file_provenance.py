"""`glamlab review import`: what a reviewer's file leaves behind is honest about where it
came from and who made it (review of the command added the session before).

- each decision recorded from a file keeps the file's name and the sha256 of its bytes
  (``decisions.source``, migration 21; the audit entries and /api/decisions show it):
  before, only the ``review.import`` audit line named the file, with counts;
- ``--by`` names one of the workspace's users who may decide, where it has users (a
  typo put the decisions under a person nobody is); a workspace without users takes any
  name, as before;
- a column named twice refuses the file (the last one was read, silently);
- a label spelt otherwise is refused naming the label it most likely means, as
  ``glamlab labels import`` does (a close spelling too, not only another case);
- the help says what the Excel workbook holds: the score is a number.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.actions.helpers import run_cli

from .test_review_file import _decisions, _queued, _sheet, _write


def _filled(ws: Any, tmp_path: Path, capsys: Any, name: str = "decided.csv") -> Path:
    out = tmp_path / "queue.csv"
    code, _o, err = run_cli(capsys, ws, "review", "list", "-o", str(out))
    assert code == 0, err
    rows = _sheet(out)
    rows[0]["decision"], rows[1]["decision"] = "accept", "reject"
    filled = tmp_path / name
    _write(filled, rows)
    return filled


def test_each_decision_keeps_the_file_it_came_from(make_ws, tmp_path, capsys):
    from glamlab.review import list_decisions

    ws = _queued(make_ws, tmp_path)
    filled = _filled(ws, tmp_path, capsys)
    digest = hashlib.sha256(filled.read_bytes()).hexdigest()
    code, o, err = run_cli(capsys, ws, "review", "import", str(filled), "--by", "maria",
                           "--json")
    assert code == 0, err
    report = json.loads(o)
    assert report["sha256"] == digest
    source = {"file": "decided.csv", "sha256": digest}
    d = ws.store.t.decisions
    with ws.store.read() as conn:
        stored = conn.execute(sa.select(d.c.id, d.c.source).order_by(d.c.id)).all()
    assert [s.source for s in stored] == [source, source]
    # what the JSON API's /api/decisions answers (review.list_decisions)
    assert {x["id"]: x["source"] for x in list_decisions(ws)} == {s.id: source for s in stored}
    a = ws.store.t.audit_log
    with ws.store.read() as conn:
        audit = conn.execute(sa.select(a.c.action, a.c.details).where(
            a.c.action.in_(("review.accept", "review.reject", "review.import")))
            .order_by(a.c.id)).all()
    assert [x.details.get("source") for x in audit if x.action != "review.import"] == [
        source, source]
    imported = next(x.details for x in audit if x.action == "review.import")
    assert imported["sha256"] == digest
    assert imported["decision_ids"] == [s.id for s in stored]


def test_a_decision_a_script_makes_has_no_file(make_ws, tmp_path):
    """A decision made by calling glamlab.review.decide (a script, a notebook: no
    file) keeps where it came from as Python, not a file (the web queue's and the
    API's: tests/web/test_export_decision_source.py)."""
    from glamlab.review import decide, list_decisions

    ws = _queued(make_ws, tmp_path)
    q = ws.store.t.review_queue
    with ws.store.read() as conn:
        row = conn.execute(sa.select(q.c.id, q.c.version).limit(1)).first()
    decide(ws, "rey", row.id, "reject", row.version)
    assert [x["source"] for x in list_decisions(ws)] == [{"via": "python"}]


def test_a_store_from_before_migration_21_gets_the_column(make_ws, tmp_path):
    """A database made before decisions kept their file opens: the column is added,
    empty in the decisions already there; a file imported then fills it."""
    from glamlab.review import decide
    from glamlab.review.sheet import import_decisions
    from glamlab.store import schema as s
    from glamlab.workspace import Workspace

    ws = _queued(make_ws, tmp_path)
    q = ws.store.t.review_queue
    with ws.store.read() as conn:
        row = conn.execute(sa.select(q.c.id, q.c.version).order_by(q.c.id).limit(1)).first()
    decide(ws, "rey", row.id, "reject", row.version)
    with ws.store.write() as conn:
        conn.exec_driver_sql("ALTER TABLE decisions DROP COLUMN source")
        conn.execute(s.schema_migrations.delete().where(s.schema_migrations.c.version >= 21))
    root, url = ws.root, (ws.store.url if not ws.store.is_sqlite else None)
    ws.close()
    again = Workspace.open(root, db=url)
    try:
        from glamlab.review.sheet import open_rows

        rows = list(open_rows(again))
        rows[0]["decision"] = "accept"
        f = tmp_path / "later.jsonl"
        f.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        assert import_decisions(again, f, "maria").recorded == 1
        d = again.store.t.decisions
        with again.store.read() as conn:
            got = conn.execute(sa.select(d.c.user, d.c.source).order_by(d.c.id)).all()
        assert got[0] == ("rey", None)
        assert got[1].source["file"] == "later.jsonl"
    finally:
        again.close()


def test_by_names_a_user_who_reviews_where_the_workspace_has_users(make_ws, tmp_path,
                                                                     capsys):
    from glamlab.auth import add_user

    ws = _queued(make_ws, tmp_path)
    add_user(ws, "maria", "a-long-password", "reviewer")
    add_user(ws, "ada", "a-long-password", "admin")
    add_user(ws, "vic", "a-long-password", "viewer")
    filled = _filled(ws, tmp_path, capsys)

    code, _o, err = run_cli(capsys, ws, "review", "import", str(filled), "--by", "mario")
    said = " ".join(err.split())
    assert code == 2, err
    assert "no user 'mario' in this workspace" in said, err
    assert "ada, maria" in said and "glamlab users add mario --role reviewer" in said, err
    assert "vic" not in said  # a viewer decides nothing
    code, _o, err = run_cli(capsys, ws, "review", "import", str(filled), "--by", "vic")
    assert code == 2 and "vic is a viewer" in err, err
    code, _o, err = run_cli(capsys, ws, "review", "import", str(filled), "--by", "Maria")
    assert code == 2 and "--by maria" in err, err
    assert _decisions(ws) == []  # nothing recorded for a refused name

    code, o, err = run_cli(capsys, ws, "review", "import", str(filled), "--by", "maria")
    assert code == 0, err
    assert {d.user for d in _decisions(ws)} == {"maria"}


def test_a_column_named_twice_refuses_the_file(make_ws, tmp_path, capsys):
    """Two decision columns: the reader kept the last (empty here), and the file's
    decisions were left open without a word."""
    ws = _queued(make_ws, tmp_path)
    out = tmp_path / "queue.csv"
    run_cli(capsys, ws, "review", "list", "-o", str(out))
    rows = _sheet(out)
    header = [*rows[0], "Decision"]
    filled = tmp_path / "twice.csv"
    with open(filled, "w", newline="", encoding="utf-8") as fh:
        import csv

        w = csv.writer(fh)
        w.writerow(header)
        for n, r in enumerate(rows):
            w.writerow([*([*r.values()][:-2]), "accept" if n < 2 else "", "", ""])
    code, _o, err = run_cli(capsys, ws, "review", "import", str(filled), "--by", "maria")
    said = " ".join(err.split())
    assert code == 2, err
    assert "twice.csv has the column 'decision' twice (columns 10 and 12)" in said, err
    assert "keep one 'decision' column" in said, err
    assert _decisions(ws) == []


def test_a_label_spelt_otherwise_names_the_one_meant_as_labels_import_does(
        make_ws, tmp_path, capsys):
    ws = _queued(make_ws, tmp_path)
    out = tmp_path / "queue.csv"
    run_cli(capsys, ws, "review", "list", "-o", str(out))
    rows = _sheet(out)
    rows[0]["decision"], rows[0]["correct_to"] = "correct", "EN"  # another case
    rows[1]["decision"], rows[1]["correct_to"] = "correct", "dee"  # a close spelling
    rows[2]["decision"], rows[2]["correct_to"] = "correct", "Latin"  # nothing close
    filled = tmp_path / "labels.csv"
    _write(filled, rows)
    code, _o, err = run_cli(capsys, ws, "review", "import", str(filled), "--by", "maria")
    said = " ".join(err.split())
    assert code == 1, err
    assert "'EN' is not a label of this project" in said
    assert "fix: write 'en', as the project spells it, in correct_to" in said, err
    assert "fix: write 'de', as the project spells it, in correct_to" in said, err
    assert "fix: write one of fr, de, en in correct_to" in said, err
    assert _decisions(ws) == []


def test_the_help_says_the_workbooks_score_is_a_number(make_ws, tmp_path, capsys):
    import openpyxl

    ws = _queued(make_ws, tmp_path)
    code, o, _e = run_cli(capsys, ws, "review", "list", "--help")
    said = " ".join(o.split())
    assert "every cell text" not in said
    assert "ids and words as text cells, the score a number" in said
    out = tmp_path / "queue.xlsx"
    code, _o, err = run_cli(capsys, ws, "review", "list", "-o", str(out))
    assert code == 0, err
    book = openpyxl.load_workbook(out)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    first = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert first["score"].data_type == "n" and isinstance(first["score"].value, float)
    assert {first[c].data_type for c in ("queue_id", "version", "item_id", "title")} == {"s"}


def test_by_where_no_user_reviews_yet_names_the_fix(make_ws, tmp_path, capsys):
    """A workspace whose users only read (no reviewer, no admin): the refusal of --by
    named the users who review as "none"; it now says how to add one."""
    from glamlab.auth import add_user

    ws = _queued(make_ws, tmp_path)
    add_user(ws, "vic", "a-long-password", "viewer")
    filled = _filled(ws, tmp_path, capsys)
    code, _o, err = run_cli(capsys, ws, "review", "import", str(filled), "--by", "maria")
    said = " ".join(err.split())
    assert code == 2, err
    assert "none" not in said, err
    assert "no user of this workspace reviews yet" in said, err
    assert "glamlab users add maria --role reviewer" in said, err
    code, _o, err = run_cli(capsys, ws, "review", "import", str(filled), "--by", "vic")
    said = " ".join(err.split())
    assert code == 2 and "vic is a viewer" in said and "none" not in said, err
    assert "glamlab users add vic --role reviewer --replace" in said, err
    assert _decisions(ws) == []
