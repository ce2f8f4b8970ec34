"""The labels command group from the command line, with --json."""

from __future__ import annotations

import json

from click.testing import CliRunner

from glamlab.cli import cli
from tests.tasks.helpers import add_items, write_csv


def test_labels_commands_end_to_end(make_ws, tmp_path) -> None:
    ws = make_ws(labels=["yes", "no"], modality="text")
    add_items(ws, [{"id": f"i{k:02d}", "text": "w" * (k + 1), "meta": {"box": f"b{k % 4}"}}
                   for k in range(40)])
    a = write_csv(tmp_path / "a.csv", ["id", "label"],
                  [[f"i{k:02d}", "yes" if k < 12 else "no"] for k in range(24)])
    b = write_csv(tmp_path / "b.csv", ["id", "label"],
                  [[f"i{k:02d}", "yes" if k < 10 else "no"] for k in range(24)])
    runner = CliRunner()
    w = ["-w", str(ws.root)]

    def run(*args: str) -> dict:
        res = runner.invoke(cli, [*w, *args, "--json"])
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)

    assert run("labels", "import", str(a))["items"] == 24
    assert run("labels", "import", str(b), "--annotator", "second")["items"] == 24
    agreement = run("labels", "agreement")
    assert agreement["shared_items"] == 24 and 0 < agreement["cohen_kappa"] < 1
    split = run("labels", "split", "--test-size", "0.25", "--group-by", "box")
    assert split["groups"] == 4 and split["test"] + split["train"] == 24
    shown = run("labels", "show")
    assert shown["splits"]["unsplit"] == 0 and shown["frozen"] is None
    out = tmp_path / "next.csv"
    sample = run("labels", "sample", "--n", "5", "--out", str(out))
    assert len(sample["items"]) == 5
    assert out.read_text("utf-8-sig").splitlines()[0] == "id,label,title,text,link"
    res = runner.invoke(cli, [*w, "labels", "sample", "--strategy", "uncertainty"])
    assert res.exit_code != 0 and "needs a model" in str(res.exception)


def test_a_span_file_in_a_project_that_is_not_an_entities_one_is_refused(make_ws,
                                                                         capsys) -> None:
    # `glamlab init --task ner` makes a single-label project; a HIPE file imported there
    # said "10 items with gold spans" and `labels split` then "no labelled items to
    # split"; without --format it was read as a table: "no column 'id'"
    from pathlib import Path

    hipe = Path(__file__).resolve().parents[1] / "data" / "spans" / "newseye-fr-sample.tsv"
    ws = make_ws(task="ner", labels=["PER", "LOC", "ORG", "PROD", "TIME"], modality="text")
    import pytest

    from glamlab.cli import main

    for extra in (["--format", "hipe"], []):
        with pytest.raises(SystemExit) as stop:
            main(["-w", str(ws.root), "labels", "import", str(hipe), *extra])
        err = capsys.readouterr().err
        assert stop.value.code == 2, err
        assert "is read as gold entity spans (HIPE TSV)" in err, err
        assert "single-label project" in err and "--kind entities" in err
        assert ws.count_items() == 0
