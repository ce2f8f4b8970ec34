"""``glamlab demo entities`` end to end on its bundled NewsEye sample (CC BY 4.0)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.demo.projects import demo_data


def test_the_sample_keeps_its_source_and_licence() -> None:
    d = demo_data("entities")
    assert "CC BY 4.0" in (d / "SOURCE.md").read_text(encoding="utf-8")
    assert (d / "LICENSE.md").is_file()
    text = (d / "newseye-fr.tsv").read_text(encoding="utf-8")
    assert text.count("# hipe2022:document_id") == 16
    assert text.count("# newseye:original_license = CC-BY 4.0") == 16


def test_demo_entities_runs_the_lifecycle(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    res = CliRunner().invoke(cli, ["demo", "entities", "--workspace-dir", str(out), "--json"])
    assert res.exit_code == 0, res.output
    r = json.loads(res.stdout)
    assert r["labels"]["split"]["test"] > 0 and r["labels"]["import"]["items"] == 223
    board = {row["candidate"]: row for row in r["evaluate"]["leaderboard"]}
    assert {"crf-ner@1", "crf-ner-e5@1", "gazetteer", "entity-rules"} <= set(board)
    # the CRF with word vectors is compared, but the champion that runs stays crf-ner
    assert r["train"]["context_model"] == "crf-ner-e5@1"
    assert r["run"]["model"].startswith("crf-ner@")
    acted = r["act"]["act"]["counts"]
    # automatic writing only where the test documents show it right: a type whose
    # threshold no test span reaches (0 of 0) goes to review, and says why
    by_type = {row["label"]: row for row in r["act"]["act"]["by_label"]}
    for row in r["act"].get("optimise", {}).get("labels", []):
        if row["threshold"] is not None:
            assert row["accepted"] > 0, row
        if row.get("untested_threshold") is not None:
            assert "unmeasured" in row["why"], row
            assert by_type.get(row["label"], {}).get("accept", 0) == 0, row
    # every sentence has gold spans: the model's spans are settled by them, not asked
    assert r["act"]["act"]["review_workload"] == 0
    assert r["act"]["act"]["review_settled_by_gold"] == acted["review"]
    rows = list(csv.DictReader((out / "exports" / "entities.csv").read_text(
        encoding="utf-8-sig").splitlines()))
    # the export says what that gold says, of the spans the policy accepted too: a span
    # it holds is accepted, confirmed by the import; one it does not hold is not an
    # entity, left out (none waits for review); the gold spans the model missed are there
    assert r["act"]["act"]["accept_settled_by_gold"] == acted["accept"]
    held = sum(r["action"] == "accept" and r["confirmed_by"] == "import" and r["model"] != ""
               for r in rows)
    assert 0 < held <= acted["review"] + acted["accept"]
    assert {(r["action"], r["confirmed_by"]) for r in rows} == {("accept", "import")}
    from glamlab import Workspace
    from glamlab.tasks.spans import gold_spans

    ws = Workspace.open(out)
    try:
        gold = {(i, s.start, s.end, s.label) for i, spans in gold_spans(ws).items()
                for s in spans}
    finally:
        ws.close()
    assert sorted((r["item_id"], int(r["start"]), int(r["end"]), r["type"]) for r in rows
                  ) == sorted(gold)
    assert len(rows) > held
    # what the words say of them: the gold's spans, not the model's act counted
    assert r["export"]["gold_spans"] == {"found": held, "missed": len(rows) - held}
    assert r["status"]["summary"].startswith("223 items, 223 labelled")
    assert 0.0 <= board["crf-ner@1"]["low"] <= board["crf-ner@1"]["strict_micro_f1"] <= 1.0
    # the demo runs again on its workspace without importing twice
    again = CliRunner().invoke(cli, ["demo", "entities", "--workspace-dir", str(out), "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["labels"]["counts"]["items"] == 223
