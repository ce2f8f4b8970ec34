"""`glamlab items list --json` as a script reads it: every item's text whole (it used to
be cut at 80 characters with "..." added, as for the table), and `--limit 0` for all of
them (it used to list none). The table says when it shows only some."""

from __future__ import annotations

import csv
import json

from click.testing import CliRunner

from glamlab.cli import cli


def _workspace(make_ws, tmp_path, n: int):
    ws = make_ws("letters", modality="text", labels=["fr", "de"])
    path = tmp_path / "letters.csv"
    texts = {f"letter-{i:03d}": f"Lettre {i}: " + "la bibliothèque municipale " * 8
             for i in range(n)}
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        w.writerows(texts.items())
    ws.ingest([str(path)])
    return ws, texts


def test_items_list_json_holds_whole_texts_and_limit_0_lists_all(make_ws, tmp_path):
    ws, texts = _workspace(make_ws, tmp_path, 25)
    runner = CliRunner()
    base = ["-w", str(ws.root), "items", "list"]

    res = runner.invoke(cli, [*base, "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert len(rows) == 20  # the default limit
    assert all(len(texts[r["id"]]) > 200 for r in rows)
    assert {r["id"]: r["text"] for r in rows} == {r["id"]: texts[r["id"]] for r in rows}

    res = runner.invoke(cli, [*base, "--limit", "0", "--json"])
    assert res.exit_code == 0, res.output
    assert {r["id"]: r["text"] for r in json.loads(res.stdout)} == texts

    res = runner.invoke(cli, [*base, "--limit", "5"])
    assert res.exit_code == 0, res.output
    assert "5 of 25 items shown; --limit 0 lists them all" in res.stdout
    res = runner.invoke(cli, [*base, "--limit", "0"])
    assert "letter-024" in res.stdout and "items shown" not in res.stdout


def test_items_list_json_streams_rows_as_it_reads_them(make_ws, tmp_path, monkeypatch):
    """`glamlab items list --limit 0 --json` held every item of the collection in memory
    before writing the first one (1 GB of RSS for 200,000 short texts): each row is now
    written as it is read, and the output is the same JSON document."""
    import sys

    from glamlab.workspace import Workspace

    ws, texts = _workspace(make_ws, tmp_path, 6)
    expected = json.dumps([i.to_dict() for i in ws.items()], indent=2, default=str,
                          ensure_ascii=False) + "\n"
    written_before: list[int] = []
    real_items = Workspace.items

    def items(self, **kw):  # what stdout holds as each further item is read
        for n, item in enumerate(real_items(self, **kw)):
            if n:
                sys.stdout.flush()
                written_before.append(len(sys.stdout.buffer.getvalue()))
            yield item

    monkeypatch.setattr(Workspace, "items", items)
    res = CliRunner().invoke(cli, ["-w", str(ws.root), "items", "list", "--limit", "0",
                                   "--json"])
    assert res.exit_code == 0, res.output
    assert res.stdout == expected
    assert len(written_before) == 5 and written_before[0] > 0
    assert written_before == sorted(written_before) and written_before[-1] > written_before[0]

    empty = CliRunner().invoke(cli, ["-w", str(ws.root), "items", "list", "--where",
                                     "source_kind=nothing-like-this", "--json"])
    assert empty.exit_code == 0 and json.loads(empty.stdout) == []
