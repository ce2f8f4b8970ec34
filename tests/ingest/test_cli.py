"""`glamlab ingest` and `glamlab items` through click's CliRunner and a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import sqlalchemy as sa
from click.testing import CliRunner

from glamlab.cli import cli

from .conftest import write_jpeg


def _run(ws, *args: str):
    result = CliRunner().invoke(cli, ["-w", str(ws.root), *args], catch_exceptions=False)
    return result


def test_ingest_and_items_commands(make_ws, tmp_path):
    ws = make_ws(modality="text")
    src = tmp_path / "t.csv"
    src.write_text("ark,title,collection\nm1,Map of Paris,maps\nm2,Atlas,maps\nb1,Novel,books\n"
                   ",missing id,maps\n")
    result = _run(ws, "ingest", str(src), "--id-column", "ark", "--text-column", "title",
                  "--json")
    assert result.exit_code == 1, result.output  # one row failed, the rest was done
    report = json.loads(result.stdout)
    assert (report["added"], report["failed"]) == (3, 1)
    result = _run(ws, "ingest", str(src), "--id-column", "ark", "--text-column", "title")
    assert result.exit_code == 1
    assert "0 new items" in result.stdout and "3 unchanged" in result.stdout
    assert "1 problem recorded" in result.stdout and "glamlab items --errors" in result.stdout

    result = _run(ws, "items", "count", "--where", "collection=maps", "--json")
    assert json.loads(result.stdout) == {"count": 2}
    result = _run(ws, "items", "count", "--where", "modality=text")
    assert result.stdout.strip() == "3 items"
    result = _run(ws, "items", "list", "--where", "collection=maps", "--json")
    assert [r["id"] for r in json.loads(result.stdout)] == ["m1", "m2"]
    result = _run(ws, "items", "list")
    assert "Map of Paris" in result.stdout and "Novel" in result.stdout
    result = _run(ws, "items", "show", "m1", "--json")
    shown = json.loads(result.stdout)
    assert shown["text"] == "Map of Paris" and shown["meta"] == {"collection": "maps"}
    assert [v["version"] for v in shown["versions"]] == [1]
    result = _run(ws, "items", "--errors", "--json")
    errors = json.loads(result.stdout)
    # the second run read the file again: the first run's problem is resolved (history)
    assert len(errors) == 1
    result = _run(ws, "items", "--errors", "--resolved", "--json")
    errors = json.loads(result.stdout)
    assert len(errors) == 2  # one per ingest run
    assert [e["resolved_at"] is None for e in errors] == [True, False]
    assert all("line 5" in e["item_ref"] and "is empty" in e["reason"] for e in errors)
    result = _run(ws, "items", "--errors")
    assert "is empty" in result.stdout and "give every row an id" in result.stdout


def test_ingest_exit_status_says_whether_anything_failed(make_ws, tmp_path):
    ws = make_ws(modality="text")
    good = tmp_path / "good.csv"
    good.write_text("id,text\na,one\nb,two\n")
    assert _run(ws, "ingest", str(good)).exit_code == 0
    missing = _run(ws, "ingest", str(tmp_path / "nowhere.csv"))
    assert missing.exit_code == 2
    # the source is missing, not of a kind glamlab cannot read: the error says so
    assert "nowhere.csv does not exist" in missing.stderr
    assert str(tmp_path / "nowhere.csv") in missing.stderr
    assert "no reader for this source" not in missing.output
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text\nc,three\n,no id\n")
    assert _run(ws, "ingest", str(bad)).exit_code == 1  # an item failed, the rest is done


def test_a_missing_path_among_good_ones_is_a_usage_error_and_nothing_is_ingested(
        make_ws, tmp_path):
    """`glamlab ingest good.csv nosuch.csv` used to ingest good.csv and exit 1 ("some items
    failed"), while `glamlab ingest nosuch.csv` alone exits 2: a path that does not exist
    is a mistake in the command, not a bad item. Now it is refused before any source is
    read: exit 2, the missing paths named with the fix, nothing ingested."""
    ws = make_ws(modality="text")
    good = tmp_path / "good.csv"
    good.write_text("id,text\na,one\nb,two\n")
    for args in ([str(good), str(tmp_path / "nosuch.csv")],
                 [str(tmp_path / "nosuch.csv"), str(good), "--json"],
                 [str(tmp_path / "nosuch.csv"), str(good), str(tmp_path / "gone")]):
        mixed = _run(ws, "ingest", *args)
        assert mixed.exit_code == 2, mixed.output
        assert f"error: {tmp_path / 'nosuch.csv'} does not exist" in mixed.stderr
        assert "Nothing was ingested, not even the other sources" in mixed.stderr
        assert "fix: check the path" in mixed.stderr
        assert mixed.stdout == ""  # no report, not even with --json: nothing was done
        assert ws.count_items() == 0
        with ws.store.read() as conn:
            assert conn.execute(sa.select(sa.func.count())
                                .select_from(ws.store.t.ingests)).scalar() == 0
    assert f"{tmp_path / 'gone'} does not exist" in mixed.stderr  # every missing one named
    assert _run(ws, "ingest", str(good)).exit_code == 0
    assert ws.count_items() == 2


def test_ingest_cli_folder_in_a_subprocess_prints_progress_and_summary(make_ws, tmp_path):
    ws = make_ws()
    root = tmp_path / "scans"
    for i in range(3):
        write_jpeg(root / f"p{i}.jpg")
    (root / "bad.jpg").write_bytes(b"nope")
    out = subprocess.run([sys.executable, "-m", "glamlab", "-w", str(ws.root), "ingest",
                          str(root)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stderr  # bad.jpg failed, the rest was done
    assert "3 new items" in out.stdout and "1 problem recorded" in out.stdout
    # a plain progress line, not a terminal bar; bad.jpg is a problem, not an item
    assert "ingest: 3 items, 1 problem, " in out.stderr
    out = subprocess.run([sys.executable, "-m", "glamlab", "-w", str(ws.root), "ingest",
                          str(root), "--json"], capture_output=True, text=True, timeout=120)
    data = json.loads(out.stdout)
    assert (data["added"], data["unchanged"], data["failed"]) == (0, 3, 1)


def test_ingest_from_python_names_a_missing_relative_path_and_where_it_looked(
        make_ws, tmp_path, monkeypatch):
    """A notebook's ``ws.ingest(["texts.csv"])`` reads the path from the current folder,
    not the workspace's: a file that is not there is said to be missing, with the folder
    it was looked for in (it used to say 'no reader for this source', as for a file of a
    kind glamlab cannot read)."""
    ws = make_ws(modality="text")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    report = ws.ingest(["texts.csv"])
    assert report.added == 0 and len(report.problems) == 1
    problem = report.problems[0]
    text = f"{problem['reason']} {problem['hint']}"
    assert "texts.csv does not exist" in text
    assert str(elsewhere / "texts.csv") in text and "current folder" in text
    unreadable = elsewhere / "notes.xyz"
    unreadable.write_text("something", encoding="utf-8")
    other = ws.ingest([str(unreadable)]).problems
    assert len(other) == 1 and "no reader for this source" in other[0]["reason"]


def test_a_missing_path_is_a_usage_error_not_a_lasting_ingest_problem(make_ws, tmp_path,
                                                                        monkeypatch):
    """`glamlab ingest nosuch.csv` (a typing mistake) used to be stored as an ingest
    problem that no later ingest cleared: `glamlab status` said "1 ingest problem"
    for ever. It is said at once, exit 2, and not stored; a real problem still is."""
    ws = make_ws(modality="text")
    monkeypatch.chdir(tmp_path)
    missing = _run(ws, "ingest", "nosuch.csv")
    assert missing.exit_code == 2
    assert "nosuch.csv does not exist" in missing.stderr
    assert "recorded" not in missing.output and "items --errors" not in missing.output
    assert ws.ingest_errors() == []
    assert "ingest problem" not in _run(ws, "status").stdout
    ws.ingest(["nosuch.csv"])  # from Python too
    assert ws.ingest_errors() == []
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text\na,one\na,other\n")
    _run(ws, "ingest", str(bad), "--id-column", "id", "--text-column", "text")
    assert len(ws.ingest_errors()) == 1
    assert "1 ingest problem" in _run(ws, "status").stdout


def test_status_says_missing_page_images_as_warnings_apart_from_ingest_problems(make_ws,
                                                                                tmp_path):
    """`glamlab status` counted an OCR page whose image is not there (a warning: its
    text came in) as an ingest problem, as if something had failed."""
    from pathlib import Path

    alto = (Path(__file__).resolve().parents[1] / "data" / "interop" / "alto"
            / "ndnp-chronam-excerpt.xml")
    ws = make_ws(modality="text")
    assert _run(ws, "ingest", str(alto)).exit_code == 0
    text = _run(ws, "status").stdout
    assert "ingest problem" not in text
    assert ("1 ingest warning, not a problem: the item came in (see glamlab items --errors)"
            in text)
    assert "count 1, problems 0, warnings (the items came in) 1" in text
    (items,) = [s for s in json.loads(_run(ws, "status", "--json").stdout)["stages"]
                if s["stage"] == "items"]
    assert (items["errors"], items["warnings"]) == (0, 1)
    assert "warning (the item came in): " in _run(ws, "items", "--errors").stdout
    bad = tmp_path / "bad.csv"  # and a failure beside it: each said as what it is
    bad.write_text("id,text\na,one\na,other\n")
    _run(ws, "ingest", str(bad), "--id-column", "id", "--text-column", "text")
    assert ("1 ingest problem, 1 ingest warning, not a problem: the item came in (see "
            "glamlab items --errors)" in _run(ws, "status").stdout)


def test_migration_18_tells_the_stored_missing_image_warnings_apart(make_ws):
    """Rows stored before ingest_errors.warning existed: the missing page images among
    them become warnings, the rest stay problems."""
    from glamlab.store import now
    from glamlab.store.migrations import _ingest_errors_warning

    ws = make_ws(modality="text")
    e = ws.store.t.ingest_errors
    with ws.store.write() as conn:
        conn.execute(e.insert(), [
            {"source": "s", "item_ref": "p.xml", "created_at": now(), "warning": None,
             "reason": "p.xml: the page image it names, './0002.tif', is not there (looked "
                       "for beside p.xml); the page was stored as text only"},
            {"source": "s", "item_ref": "q.jpg", "created_at": now(), "warning": None,
             "reason": "not a readable image: cannot identify image file"}])
        _ingest_errors_warning(conn)
        _ingest_errors_warning(conn)  # again: the same
    assert sorted((r["item"], bool(r["warning"])) for r in ws.ingest_errors()) == [
        ("p.xml", True), ("q.jpg", False)]
    assert "1 ingest problem, 1 ingest warning" in _run(ws, "status").stdout


def test_an_alto_only_ingest_exits_0_with_a_warning_for_the_missing_page_image(make_ws):
    """An ALTO file without its page image (the NDNP Chronicling America excerpt) came in
    as text with exit status 0; a missing page image must not make the ingest fail."""
    from pathlib import Path

    alto = (Path(__file__).resolve().parents[1] / "data" / "interop" / "alto"
            / "ndnp-chronam-excerpt.xml")
    ws = make_ws(modality="text")
    result = _run(ws, "ingest", str(alto))
    assert result.exit_code == 0, result.output
    assert "problem" not in result.stdout
    assert "warning: 1 OCR page names a page image that is not there" in result.stdout
    assert "ndnp-chronam-excerpt.xml" in result.stdout and "0002.tif" in result.stdout
    errors = json.loads(_run(ws, "items", "--errors", "--json").stdout)
    assert len(errors) == 1 and "0002.tif" in errors[0]["reason"]
