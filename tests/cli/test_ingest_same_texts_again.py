"""An entities project whose texts came in as a table (``glamlab ingest texts.csv``),
then as the folder of the same texts (``glamlab ingest texts/``): each text was refused as "a problem" whose fix was "nothing to do", and the command exited 2
("error: nothing was brought in"), as a script reads a failure. Bringing the same
texts in again is now as ingesting a folder twice is: unchanged, a note saying where
they are from, exit 0. A duplicate id within one source is still an error naming it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from glamlab.cli import cli

TEXTS = {"n1": "Victor Hugo est né à Besançon.", "n2": "Paris est la capitale."}


def _glamlab(root: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["-w", str(root), *args])


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    res = CliRunner().invoke(cli, ["init", str(root), "--task", "entities", "--modality",
                                   "text", "--labels", "PER,LOC,ORG"])
    assert res.exit_code == 0, res.output
    return root


def test_the_same_texts_brought_in_again_from_a_folder_exit_0(tmp_path: Path) -> None:
    root = _project(tmp_path)
    table = tmp_path / "texts.csv"
    table.write_text("id,text\n" + "".join(f"{i},{t}\n" for i, t in TEXTS.items()),
                     encoding="utf-8")
    res = _glamlab(root, "ingest", str(table))
    assert res.exit_code == 0 and res.stdout.startswith("2 new items"), res.stdout
    folder = tmp_path / "texts"
    folder.mkdir()
    for i, text in TEXTS.items():
        (folder / f"{i}.txt").write_text(text, encoding="utf-8")
    for _ in range(2):  # the folder after the table, then the folder again
        res = _glamlab(root, "ingest", str(folder))
        assert res.exit_code == 0, (res.stdout, res.stderr)
        assert res.stdout.startswith("0 new items, 0 new versions of changed items, "
                                     "2 unchanged\n"), res.stdout
        assert "note: 2 of the unchanged are items here already with the same text from " \
               "another source (e.g. 'n1', from " in res.stdout, res.stdout
        assert "error" not in res.stderr and "problem" not in res.stderr, res.stderr
    errors = _glamlab(root, "items", "--errors", "--json")
    assert errors.exit_code == 0 and json.loads(errors.stdout) == [], errors.stdout
    doc = json.loads(_glamlab(root, "ingest", str(folder), "--json").stdout)
    assert (doc["unchanged"], doc["unchanged_from_another_source"], doc["failed"]) == (2, 2, 0)


def test_a_duplicate_id_within_one_table_is_still_an_error(tmp_path: Path) -> None:
    root = _project(tmp_path)
    table = tmp_path / "more.csv"
    table.write_text("id,text\nn3,Le Havre.\nn3,Rouen.\nn4,Lyon.\n", encoding="utf-8")
    res = _glamlab(root, "ingest", str(table))
    assert res.exit_code == 1, (res.stdout, res.stderr)  # n3 once, n4: the rest came in
    assert res.stdout.startswith("2 new items"), res.stdout
    assert "n3: duplicate id 'n3' with different content" in res.stderr, res.stderr
    assert "give every row of the table its own id" in res.stderr
