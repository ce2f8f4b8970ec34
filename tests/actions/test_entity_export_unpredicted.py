"""Entity exports say how many texts the model has no prediction for, as the
classification export does (``unpredicted``): they said nothing, so an export after new
texts came in looked complete."""

from __future__ import annotations

import json

from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.inference.runner import run
from tests import ner_project


def _run(ws, *args: str):
    return CliRunner().invoke(cli, ["-w", str(ws.root), *args], catch_exceptions=False)


def test_entity_exports_count_the_texts_the_model_has_not_predicted(make_ws, tmp_path):
    ws = ner_project.gold_and_gazetteer(make_ws)
    run(ws, "gazetteer@1", workers=0, handle_signals=False)
    out = tmp_path / "all.csv"
    done = _run(ws, "export", "--format", "csv", "--out", str(out))
    assert done.exit_code == 0 and "no prediction" not in done.output  # all predicted
    ner_project.ingest_new_texts(ws, tmp_path, 2)  # after the run: not predicted
    total = ws.count_items()
    note = (f"2 of the {total} texts have no prediction from gazetteer@1: it has not run "
            "on them yet (glamlab run)")
    for fmt, name in (("csv", "m.csv"), ("jsonl", "m.jsonl"), ("w3c", "m.json"),
                      ("inception", "tsv")):
        result = _run(ws, "export", "--format", fmt, "--out", str(tmp_path / name))
        assert result.exit_code == 0, result.output
        assert note in result.stdout, (fmt, result.stdout)
        summary = json.loads(_run(ws, "export", "--format", fmt, "--out",
                                  str(tmp_path / f"j-{name}"), "--json").stdout)
        assert summary["unpredicted"] == {"items": total, "failed": 0, "run_id": 1,
                                          "not_run": 2}, fmt
        assert summary["model"] == "gazetteer@1"
    piped = _run(ws, "export", "--format", "jsonl")  # to stdout: the note on stderr
    assert f"note: {note}" in piped.stderr and "no prediction" not in piped.stdout


def test_the_export_pages_unpredicted_warning_says_texts(make_ws, tmp_path):
    """The Export page's warning said items in an entities project, where the command's
    summary says texts."""
    from glamlab.actions.export import unpredicted_warning

    ws = ner_project.gold_and_gazetteer(make_ws)
    run(ws, "gazetteer@1", workers=0, handle_signals=False)
    ner_project.ingest_new_texts(ws, tmp_path, 2)
    said = unpredicted_warning(ws, web=True)
    assert said and said.startswith("gazetteer@1 has no prediction for 2 texts: "), said
