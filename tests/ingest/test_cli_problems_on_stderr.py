"""`glamlab ingest` in a script: the counts are its result, on stdout; the problems (rows
or files left out) are errors, on stderr. A table that brings nothing in because of a problem (no ``id``
column) exits 2 with the usual ``error:`` / ``fix:`` lines on stderr, with ``--json`` too;
before, the reason went to stdout only, so `glamlab ingest t.csv > log` showed nothing
but a count on the terminal."""

from __future__ import annotations

import json

from click.testing import CliRunner

from glamlab.cli import cli


def _run(ws, *args: str):
    return CliRunner().invoke(cli, ["-w", str(ws.root), *args], catch_exceptions=False)


def test_a_table_without_its_id_column_says_the_error_on_stderr(make_ws, tmp_path):
    ws = make_ws(modality="text")
    src = tmp_path / "t.csv"
    src.write_text("identifier,text\nb1,Ceci est une phrase.\nb2,Dies ist ein Satz.\n")
    for extra in ([], ["--json"]):
        result = _run(ws, "ingest", str(src), *extra)
        assert result.exit_code == 2
        assert "error: nothing was brought in" in result.stderr
        assert "has no 'id' column" in result.stderr and "fix: " in result.stderr
        assert "has no 'id' column" not in result.stdout or extra  # JSON holds it
        if extra:
            assert json.loads(result.stdout)["failed"] == 1


def test_a_bad_row_is_a_message_on_stderr_and_the_counts_stay_on_stdout(make_ws, tmp_path):
    ws = make_ws(modality="text")
    src = tmp_path / "t.csv"
    src.write_bytes(b"id,text\nl1,Une phrase en fran\xe7ais.\nl2,Plain ascii text.\n")
    result = _run(ws, "ingest", str(src))
    assert result.exit_code == 1
    assert "1 new item" in result.stdout and "1 problem recorded" in result.stdout
    assert "not UTF-8" in result.stderr and "not UTF-8" not in result.stdout
