"""A table's bad row is said with its place once: `glamlab ingest` and `glamlab items
--errors` printed ``labels.csv:line 6: line 6: the id column 'id' is empty`` (the item
names the line, and the reason started with it again)."""

from __future__ import annotations

from tests.cli import run_main

_run = run_main


def test_a_bad_rows_line_is_said_once(make_ws, tmp_path, capsys):
    ws = make_ws("t", modality="text", labels=["fr", "de"])
    table = tmp_path / "labels.csv"
    table.write_text("id,text\na,un texte\n,sans id\nb,\n", encoding="utf-8")
    code, _out, err = _run(capsys, ws, "ingest", str(table), "--id-column", "id",
                           "--text-column", "text")
    assert code == 1
    assert "labels.csv:line 3: the id column 'id' is empty" in err, err
    assert "labels.csv:line 4: item 'b' has no text" in err, err
    assert "line 3: line 3" not in err and "line 4: line 4" not in err, err
    code, out, _err = _run(capsys, ws, "items", "--errors")
    assert "labels.csv:line 3: the id column 'id' is empty" in out, out
    assert "line 3: line 3" not in out and "line 4: line 4" not in out, out
    # the JSON keeps the reason whole: read on its own, it still names the line
    code, out, _err = _run(capsys, ws, "items", "--errors", "--json")
    assert "line 3: the id column 'id' is empty" in out, out


def test_the_place_is_dropped_only_when_the_item_names_it():
    from glamlab.ingest.base import problem_line, reason_after

    assert problem_line("a.csv:line 6", "line 6: bad") == "a.csv:line 6: bad"
    assert problem_line("a.csv:line 6", "line 16: bad") == "a.csv:line 6: line 16: bad"
    assert problem_line(None, "line 6: bad") == "line 6: bad"
    assert reason_after("x1", "duplicate id 'x1'") == "duplicate id 'x1'"
