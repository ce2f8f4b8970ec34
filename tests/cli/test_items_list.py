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
