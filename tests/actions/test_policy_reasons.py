"""A decision's reason says what decided it. A review threshold of 0 (what act proposes for
single-label and entities projects: everything not accepted goes to a person) read "score
0.97 >= review threshold 0" in the entity export's reason column; the accept threshold, or
its absence, decided."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from glamlab.actions.policy import LabelPolicy
from tests.actions.test_untested_thresholds import ner  # noqa: F401 (a fixture)


@pytest.fixture
def ner_new(ner: Any, tmp_path: Path) -> Any:  # noqa: F811
    """``ner`` with texts nobody labelled (its every gold text is complete, which settles
    its spans: the export says what the gold says there), run over by the gazetteer."""
    from glamlab.inference.runner import run
    from glamlab.tasks.splits import split_of

    folder = tmp_path / "new"
    folder.mkdir()
    train_ids = sorted(i for i, s in split_of(ner).items() if s == "train")
    for n, item_id in enumerate(train_ids[:20]):
        (folder / f"new{n}.txt").write_text("Nouvelle lettre. " + (ner.item(item_id).text or ""),
                                            encoding="utf-8")
    assert ner.ingest([folder]).added == 20
    run(ner, "gazetteer@1", workers=0, handle_signals=False)
    return ner


def test_a_review_threshold_of_zero_is_not_given_as_the_reason():
    assert LabelPolicy(accept=None, review=0.0).decide(0.97) == (
        "review", "score 0.97; no accept threshold for this label, so every prediction of "
                  "it goes to review")
    assert LabelPolicy(accept=0.9, review=0.0).decide(0.5) == (
        "review", "score 0.5 below accept threshold 0.9; every prediction not accepted goes "
                  "to review")
    assert LabelPolicy(accept=0.9, review=0.0).decide(0.95)[0] == "accept"
    # a real review band still names its threshold
    assert LabelPolicy(accept=0.9, review=0.5).decide(0.6) == (
        "review", "score 0.6 >= review threshold 0.5 and below accept 0.9")
    assert LabelPolicy(accept=0.9, review=0.5).decide(0.4)[0] == "reject"


def test_the_entity_export_says_why_a_span_goes_to_review(ner_new: Any) -> None:
    from glamlab.actions import optimise
    from glamlab.actions.act import default_review_threshold
    from glamlab.actions.export import iter_rows
    from glamlab.tasks.kinds import task_kind

    # the thresholds glamlab act proposes (and saves) itself: review from 0
    ner = ner_new  # noqa: F811
    review_from = default_review_threshold(task_kind(ner.card))
    assert review_from == 0.0
    res = optimise(ner, target_precision=0.9, write=True, review_threshold=review_from)
    untested = {r["label"] for r in res["labels"] if r.get("untested_threshold") is not None}
    assert untested
    reasons = {r.candidate.label: r.row["reason"] for r in iter_rows(ner)
               if r.candidate.label in untested and r.row["action"] == "review"}
    assert reasons, "no span of an untested type in the export"
    for reason in reasons.values():
        assert ">= review threshold" not in reason
        assert reason.endswith("; no accept threshold for this label, so every prediction "
                               "of it goes to review"), reason
