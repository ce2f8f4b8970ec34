"""`glamlab.actions.export` from Python on an entities project writes what `glamlab export`
and the web app's Export page write: one row per span, with its link."""

from __future__ import annotations

import csv

from glamlab.actions import export
from glamlab.actions.entity_export import ENTITY_COLUMNS, export_entities
from glamlab.inference.runner import run
from tests import ner_project


def test_python_export_of_an_entities_project_is_the_span_export(make_ws, tmp_path) -> None:
    """It used to write the classification export (`field`, `value`, `origin` per
    prediction, no `authority_id`), so a notebook's CSV lacked the links the command
    line's carried."""
    ws = ner_project.gold_and_gazetteer(make_ws)
    run(ws, "gazetteer@1", workers=0, handle_signals=False)
    for fmt, name in (("csv", "spans.csv"), ("jsonl", "spans.jsonl"), ("w3c", "spans.json")):
        mine, cli = tmp_path / f"py-{name}", tmp_path / f"cli-{name}"
        got = export(ws, fmt, mine)
        want = export_entities(ws, fmt, cli)
        assert got == {**want, "out": str(mine)} and got["format"] == fmt  # not "webanno"
        assert mine.read_bytes() == cli.read_bytes()
    with (tmp_path / "py-spans.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and list(rows[0]) == ENTITY_COLUMNS
    assert {r["type"] for r in rows} <= set(ner_project.LABELS)
