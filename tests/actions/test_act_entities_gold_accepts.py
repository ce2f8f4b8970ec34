"""What the policy would do, in an entities project: "27 accepted automatically ...
About 3 automatic values may be wrong", when every one of those spans lay on a text
whose entities a person had marked whole (the gold wins over them in every export: none
is exported as the model's accept, so none can be a wrong accept). The expected wrong
accepts count only the accepted spans no person's annotation settles, as they do for
labels."""

from __future__ import annotations

from typing import Any

from tests import ner_project


def test_accepted_spans_on_texts_with_complete_gold_are_not_counted_as_maybe_wrong(
        make_ws: Any) -> None:
    from glamlab.actions.act import plan

    ws = ner_project.policy_and_run(ner_project.gold_and_gazetteer(make_ws), "accept")
    report = plan(ws, model="gazetteer@1", dry_run=True).to_dict()
    accepts = report["counts"]["accept"]
    assert accepts > 0
    # every text holds complete gold: each accepted span is settled by it
    assert report["accept_settled_by_gold"] == accepts
    assert report["accept_unsettled"] == 0
    assert not report["expected_wrong_accepts"], report["expected_wrong_accepts"]
