"""Input that holds nothing is told, not passed over: `glamlab ingest` of a table with a
header only, or of a folder with no file glamlab reads, used to exit 0 saying
"0 new items"; a missing file was counted as "ingest: 1 item" on stderr; `glamlab labels
import` of an empty file said "no column 'id'"."""

from __future__ import annotations

import json

from tests.cli import run_main

_run = run_main


def test_a_header_only_table_brings_nothing_in_and_says_so(make_ws, tmp_path, capsys):
    ws = make_ws("t", modality="text", labels=["fr", "de"])
    table = tmp_path / "export.csv"
    table.write_text("id,text\n", encoding="utf-8")
    code, out, err = _run(capsys, ws, "ingest", str(table), "--id-column", "id",
                          "--text-column", "text")
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0] == "error: nothing was brought in: export.csv has no rows (column names only?)"
    assert lines[1].startswith("fix: ")
    code, out, err = _run(capsys, ws, "ingest", str(table), "--id-column", "id",
                          "--text-column", "text", "--json")
    report = json.loads(out)
    assert code == 2 and report["added"] == 0
    assert [e["source"] for e in report["empty_sources"]] == [str(table)]
    assert err.startswith("error: nothing was brought in: export.csv")


def test_a_folder_with_nothing_readable_brings_nothing_in(make_ws, tmp_path, capsys):
    ws = make_ws("i")
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "README.md").write_text("the scans come later\n", encoding="utf-8")
    code, out, err = _run(capsys, ws, "ingest", str(folder))
    assert (code, out) == (2, "")
    assert err.splitlines()[0].startswith(
        "error: nothing was brought in: the folder scans holds no file glamlab reads")
    assert err.splitlines()[1].startswith("fix: point glamlab ingest at the folder")


def test_an_empty_source_beside_good_ones_is_a_warning(make_ws, tmp_path, capsys):
    ws = make_ws("t", modality="text", labels=["fr", "de"])
    (tmp_path / "good.txt").write_text("un texte\n", encoding="utf-8")
    (tmp_path / "nothing").mkdir()
    code, out, _err = _run(capsys, ws, "ingest", str(tmp_path / "good.txt"),
                           str(tmp_path / "nothing"), "--json")
    report = json.loads(out)
    assert code == 0 and report["added"] == 1
    assert [e["source"] for e in report["empty_sources"]] == [str(tmp_path / "nothing")]
    assert any(w.startswith(f"nothing was brought in from {tmp_path / 'nothing'}")
               for w in report["warnings"])


def test_a_missing_file_is_not_counted_as_an_item(make_ws, tmp_path, capsys):
    ws = make_ws("t", modality="text", labels=["fr", "de"])
    code, out, err = _run(capsys, ws, "ingest", str(tmp_path / "missing.csv"))
    assert code == 2 and out == ""  # a usage error, said before anything is read
    assert err.startswith(f"error: {tmp_path / 'missing.csv'} does not exist")
    assert "ingest: " not in err and "recorded" not in err
    ws.ingest([str(tmp_path / "missing.csv")], progress=True)  # from Python: read, said
    err = capsys.readouterr().err
    assert "ingest: 1 item" not in err
    assert [line for line in err.splitlines() if line.startswith("ingest: ")][0].startswith(
        "ingest: 0 items, 1 problem, ")


def test_labels_import_of_an_empty_file_says_it_is_empty(make_ws, tmp_path, capsys):
    ws = make_ws("t", modality="text", labels=["fr", "de"])
    sheet = tmp_path / "labels.csv"
    sheet.write_text("", encoding="utf-8")
    code, out, err = _run(capsys, ws, "labels", "import", str(sheet))
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == "error: labels.csv is empty: no header row and no labels"
    assert err.splitlines()[1].startswith("fix: write the sheet with a header row (id,label)")


def test_labels_import_of_column_names_only_says_there_are_no_labels(make_ws, tmp_path,
                                                                     capsys):
    """A sheet with its header only was "0 items labelled from 0 rows", exit status 0."""
    ws = make_ws("t", modality="text", labels=["fr", "de"])
    sheet = tmp_path / "labels.csv"
    sheet.write_text("id,label\n", encoding="utf-8")
    code, out, err = _run(capsys, ws, "labels", "import", str(sheet))
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == ("error: labels.csv has column names but no rows: there "
                                   "are no labels in it")
    assert err.splitlines()[1].startswith("fix: fill in the sheet")
