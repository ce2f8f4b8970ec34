"""The demo's act and export stages narrate in plain words, and skip without predictions."""

from __future__ import annotations

import json

from glamlab.demo.production_stages import stage_act, stage_export
from tests.actions.helpers import add_gold, add_items, add_model, add_predictions
from tests.actions.test_act import COLLECTION, TEST_BLANK, TEST_CONTENT, _scores  # noqa: F401


def test_stages_skip_without_predictions(make_ws):
    ws = make_ws("empty", labels=["blank", "content"])
    said: list[str] = []
    assert stage_act(ws, said.append) == {"skipped": "no predictions"}
    assert stage_export(ws, said.append) == {"skipped": "no predictions"}
    assert "no predictions yet" in said[0]


def test_blank_page_demo_story(make_ws):
    ws = make_ws("pages", task="blank-pages", labels=["blank", "content"],
                 positive_label="blank", price_per_item=0.25)
    items, gold, preds = [], {}, {}
    for i, (s, ok) in enumerate(TEST_BLANK):
        items.append({"item_id": f"t{i}"})
        gold[f"t{i}"] = "blank" if ok else "content"
        preds[f"t{i}"] = _scores("blank", s)
    calibration = {}  # thresholds are tuned here, never on the test split
    for i, (s, ok) in enumerate(TEST_BLANK * 8):  # enough pages to trust 95%
        items.append({"item_id": f"k{i}"})
        calibration[f"k{i}"] = "blank" if ok else "content"
        preds[f"k{i}"] = _scores("blank", s)
    for k, (label, s) in enumerate(COLLECTION):
        items.append({"item_id": f"c{k}"})
        preds[f"c{k}"] = _scores(label, s)
    add_items(ws, items)
    add_gold(ws, gold)
    add_gold(ws, calibration, split="calibration")
    add_predictions(ws, add_model(ws, "blanks"), preds)
    said: list[str] = []
    out = stage_act(ws, said.append)
    text = "\n".join(said)
    # target 0.95 on the known case: blank from 0.95 (24/24 on calibration)
    assert out["optimise"]["labels"][0]["threshold"] == 0.95
    assert "pages to send on" in text and "EUR saved" in text and "Expected mistakes" in text
    assert out["act"]["written"]["machine_metadata"] == out["dry_run"]["counts"]["accept"]
    res = stage_export(ws, said.append)
    assert (ws.root / "exports" / "predictions.csv").exists()
    doc = json.loads((ws.root / "exports" / "annotations.jsonld").read_text(encoding="utf-8"))
    assert doc["total"] == res["w3c"]["annotations"] == len(preds)
    sent = (ws.root / "exports" / "send-on.txt").read_text(encoding="utf-8").splitlines()
    assert len(sent) == len(items) - out["dry_run"]["filter"]["accepted_as_positive"]
