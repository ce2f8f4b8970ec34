"""Evaluation scores only the test texts whose gold spans fit the text they have now.

Gold spans are offsets into a text. A test text re-ingested with other words (new OCR)
after its gold was made kept that gold in the test split, and evaluate scored the
model's spans on the new words against offsets into the old ones: a span the model got
right counted wrong. Training already leaves such gold out (span_sets.item_version);
scoring now does too, names the texts with the fix, and says how many it left out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.actions.helpers import run_cli
from tests.ner_project import gold_and_new_texts

_cli = run_cli


def test_a_re_ingested_test_text_is_left_out_of_the_evaluation_and_named(
        make_ws: Any, tmp_path: Path, capsys: Any) -> None:
    from glamlab.evaluation.evaluate import evaluate, model_candidates
    from glamlab.inference.runner import run
    from glamlab.review import save_label
    from glamlab.tasks.splits import test_data

    ws, _ = gold_and_new_texts(make_ws, tmp_path, 1)
    item = "new0"
    # the model's own spans on the text are its gold: on this text the model is right
    cand = model_candidates(ws, ["gazetteer@1"])[0]
    spans = cand.predictor.predict([ws.item(item)])
    gold = [{"start": s.start, "end": s.end, "label": s.label} for s in spans[0]]
    assert len(gold) >= 3, gold
    save_label(ws, "bea", item, [json.dumps(gold)], split="test")
    assert item in test_data(ws, freeze=False).ids
    # new OCR: the first word is read with a letter less, every offset after it moves
    old = ws.item(item).text
    path = tmp_path / "new" / f"{item}.txt"
    path.write_text(old.replace("Nouvelle", "Nouvele", 1), encoding="utf-8")
    assert ws.ingest([tmp_path / "new"]).updated == 1
    run(ws, "gazetteer@1", workers=0, handle_signals=False)

    test = test_data(ws, freeze=False)
    assert item not in test.ids and test.changed == [item]
    res = evaluate(ws, model_candidates(ws, ["gazetteer@1"]), n_boot=20, store=False)
    assert res.test_items == len(test)
    assert res.test_left_out == [item]
    d = res.to_dict()
    assert d["test_left_out"] == 1 and d["test_left_out_items"] == [item]
    named = [w for w in res.warnings if repr(item) in w]
    assert len(named) == 1, res.warnings
    assert "1 test text was re-ingested with other words" in named[0]
    assert "left out of the evaluation" in named[0] and "labelling page" in named[0]
    # the CLI says so too, in words and in JSON
    code, out, err = _cli(capsys, ws, "evaluate", "gazetteer@1", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["test_left_out"] == 1 and doc["test_left_out_items"] == [item]
    code, out, err = _cli(capsys, ws, "evaluate", "gazetteer@1")
    assert code == 0, err
    assert repr(item) in out + err and "left out of the evaluation" in out + err
    # labelled again for its new words on the labelling page: scored again
    new = ws.item(item).text
    shift = len(old) - len(new)
    again = [{**g, "start": g["start"] - (shift if g["start"] >= 8 else 0),
              "end": g["end"] - (shift if g["start"] >= 8 else 0)} for g in gold]
    save_label(ws, "bea", item, [json.dumps(again)], split="train")
    test = test_data(ws, freeze=False)
    assert item in test.ids and test.changed == []
