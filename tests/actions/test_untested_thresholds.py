"""No automatic writing without test evidence: a type whose accept threshold (chosen on
calibration data) no prediction of the test split reaches has "0 of 0 right on the test
documents": nothing shows that its accepts are right. The entities demo turned automatic
writing on for such types and wrote spans as metadata; now they go to review, and act
and ``act --optimise`` say why in plain words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "ner"
LABELS = ["PER", "LOC", "ORG", "PROD", "TIME"]


@pytest.fixture
def ner(make_ws: Any) -> Any:
    from glamlab.inference.runner import run
    from glamlab.registry.training import train
    from glamlab.tasks import split_labels
    from glamlab.tasks.spans import import_spans

    ws = make_ws("ner", task="ner", kind="entities", modality="text", labels=LABELS,
                 metric="strict_micro_f1")
    import_spans(ws, DATA / "newseye-fr-gold.tsv")
    split_labels(ws, test_size=0.3, seed=0, group_by="document_id")
    train(ws, "gazetteer", name="gazetteer")
    run(ws, "gazetteer@1", workers=0, handle_signals=False)
    return ws


def test_a_type_no_test_span_reaches_goes_to_review(ner: Any) -> None:
    from glamlab.actions import load_policy, optimise, plan
    from glamlab.actions.optimise import render_optimise

    res = optimise(ner, target_precision=0.9, write=True)
    untested = [r for r in res["labels"] if r.get("untested_threshold") is not None]
    assert untested, res["labels"]  # LOC: calibration spans from 1.0 up, none on test
    for r in untested:
        assert r["threshold"] is None and r["accepted"] == 0
        assert "none of the test split's spans" in r["why"] and "review" in r["why"]
        assert "accept" not in res["policy"]["labels"][r["label"]]
        assert load_policy(ner.card).labels[r["label"]].accept is None
    assert res["overall"]["declined"]
    words = render_optimise(res)
    assert f"{untested[0]['label']}: never auto-accepted: on the calibration data" in words
    assert "0 of 0 right" in words
    report = plan(ner, dry_run=True)
    assert report.counts["accept"] == 0
    for r in untested:
        assert report.by_label[r["label"]]["review"] > 0


def test_act_s_own_thresholds_say_why_a_type_is_not_automatic(ner: Any) -> None:
    from glamlab.actions import plan
    from glamlab.actions.act import render

    report = plan(ner, dry_run=True)  # no [policy]: act proposes thresholds itself
    assert report.policy_source == "default"
    assert report.counts["accept"] == 0
    words = render(report.to_dict())
    assert "not automatic: LOC (on the calibration data its spans from score" in words, words
