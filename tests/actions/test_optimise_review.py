"""Where the review band starts when thresholds are worked out (``act --optimise``, the
web app's Choose the policy page): the project's own threshold, not a fixed 0.5, so
saving never rejects unseen what reached a person, unless someone chooses it; what
saving would change is counted before it is saved; and the act page's errors are in
the web app's words there."""

from __future__ import annotations

import pytest

from glamlab.actions import optimise, plan, render_optimise
from glamlab.actions.act import policy_now
from glamlab.errors import GlamlabError, PolicyError
from glamlab.registry.overlap import OverlapError

from .helpers import add_items, add_predictions
from .test_act import (  # noqa: F401  (the fixtures)
    KNOWN_POLICY,
    TEST_BLANK,
    TEST_CONTENT,
    _add_calibration,
    _set_policy,
    pages,
    subjects,
)


def _unsure_item(ws):
    """A collection item the model is less than 50% sure of."""
    add_items(ws, [{"item_id": "c99"}])
    add_predictions(ws, 1, {"c99": {"blank": 0.45, "content": 0.4}})


def test_single_label_thresholds_send_to_a_person_what_act_sent_before(pages):  # noqa: F811
    """Before, the review threshold was 0.5 whatever the project: an item the model is
    45% sure of went to a person under act's own defaults, and was rejected (nobody saw
    it) once the worked-out thresholds were saved."""
    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)
    _unsure_item(pages)
    before = plan(pages, dry_run=True).to_dict()
    assert before["counts"]["reject"] == 0  # act's defaults: review from 0
    res = optimise(pages, target_precision=0.85)
    assert {r["label"]: r["review"] for r in res["labels"]} == {"blank": 0.0, "content": 0.0}
    assert res["review_from"] == {"chosen": None, "kept": [], "project": 0.0}
    assert res["collection"]["counts"]["reject"] == 0
    assert res["collection"]["changes"].get("review->reject", 0) == 0
    text = render_optimise(res)
    assert "Every prediction below its accept threshold goes to a person" in text
    assert "Saving rejects nothing that now goes to a person." in text
    # a review threshold chosen on purpose is applied, and what it drops is said first
    chosen = optimise(pages, target_precision=0.85, review_threshold=0.5)
    assert {r["review"] for r in chosen["labels"]} == {0.5}
    assert chosen["collection"]["changes"]["review->reject"] == 1
    text = render_optimise(chosen)
    assert "Predictions scoring under 0.500 are rejected without review: 1 of" in text
    assert "Saving would reject 1 prediction sent to a person now" in text
    with pytest.raises(PolicyError, match="between 0 and 1"):
        optimise(pages, target_precision=0.85, review_threshold=1.5)


def test_multi_label_thresholds_review_from_the_tasks_own_threshold(subjects):  # noqa: F811
    """A multi-label task's [task] threshold (0.3 here) is where act's defaults start
    the review band; the worked-out thresholds start it there too, not at 0.5."""
    subjects.card.raw.setdefault("task", {})["threshold"] = 0.3
    subjects.save_card()
    default = plan(subjects, dry_run=True).to_dict()
    assert {p["review"] for p in default["policy"]} == {0.3}
    res = optimise(subjects, target_precision=0.95)
    assert {r["review"] for r in res["labels"]} == {0.3}
    assert res["collection"]["counts"]["reject"] == default["counts"]["reject"]
    assert not res["collection"]["changes"].get("review->reject")
    assert "Predictions scoring under 0.300 are rejected without review" in \
        render_optimise(res)


def test_review_thresholds_a_person_saved_stand_unless_another_is_chosen(pages):  # noqa: F811
    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)
    _set_policy(pages, KNOWN_POLICY)
    assert policy_now(pages).labels["content"].review == 0.75
    res = optimise(pages, target_precision=0.85)
    assert {r["label"]: r["review"] for r in res["labels"]} == {"blank": 0.5, "content": 0.75}
    assert res["review_from"]["kept"] == ["blank", "content"]
    assert "saved in the policy" in render_optimise(res)
    # from 0.2, the collection's content at 0.70 and 0.55 (under 0.75: rejected now) go
    # to a person
    lower = optimise(pages, target_precision=0.85, review_threshold=0.2)
    assert {r["review"] for r in lower["labels"]} == {0.2}
    assert lower["collection"]["changes"].get("reject->review") == 2
    assert not lower["collection"]["changes"].get("review->reject")


def test_the_act_page_errors_name_the_web_apps_pages(pages):  # noqa: F811
    """plan(web=True) (the web app's act section): the fix of a model that learned from
    test items names the Train models page, not `glamlab train`; no predictions names
    the Run page, not `glamlab run`."""
    from glamlab.registry.overlap import record_items

    _set_policy(pages, KNOWN_POLICY)
    with pages.store.write() as conn:
        record_items(conn, 1, {"train": ["t00"]})
    with pytest.raises(OverlapError) as cli:
        plan(pages, dry_run=True)
    assert "glamlab train" in (cli.value.hint or "")
    with pytest.raises(OverlapError) as web:
        plan(pages, dry_run=True, web=True)
    assert "Train models page" in (web.value.hint or "")
    assert "glamlab" not in (web.value.hint or "")
    # what the web app's act section stores and shows
    from glamlab.reports.overview import compute_act

    shown = compute_act(pages)["result"]
    assert "Train models page" in shown["hint"] and "glamlab train" not in shown["hint"]


def test_no_predictions_in_web_words(make_ws):
    ws = make_ws("empty", labels=["a", "b"])
    with pytest.raises(PolicyError) as web:
        plan(ws, dry_run=True, web=True)
    assert "Run page" in (web.value.hint or "") and "glamlab" not in (web.value.hint or "")
    with pytest.raises(PolicyError) as cli:
        plan(ws, dry_run=True)
    assert "glamlab run --model" in (cli.value.hint or "")
    # a policy naming a model in a project with none: train one on the Train models page
    _set_policy(ws, {"model": "nope@1"})
    with pytest.raises(GlamlabError) as web:
        plan(ws, dry_run=True, web=True)
    assert "Train models page" in (web.value.hint or "") and "glamlab" not in web.value.hint


def test_cli_optimise_reviews_from_the_projects_own_score(pages, capsys):  # noqa: F811
    import json
    import tomllib

    from glamlab.cli import main

    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)
    _unsure_item(pages)
    main(["-w", str(pages.root), "act", "--optimise", "--target-precision", "0.85", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert {r["review"] for r in data["labels"]} == {0.0}
    assert data["collection"]["counts"]["reject"] == 0
    main(["-w", str(pages.root), "act", "--optimise", "--target-precision", "0.85",
          "--review-threshold", "0.5", "--write"])
    out = capsys.readouterr().out
    assert "Saved: 1 prediction sent to a person before, are rejected now." in out, out
    saved = tomllib.loads(pages.card_path.read_text())["policy"]["labels"]
    assert {v["review"] for v in saved.values()} == {0.5}
    with pytest.raises(SystemExit) as exc:
        main(["-w", str(pages.root), "act", "--dry-run", "--review-threshold", "0.2"])
    assert exc.value.code == 2
    assert main(["act", "--help"]) in (None, 0)
    helptext = " ".join(capsys.readouterr().out.split())
    assert "the [task] threshold of a multi-label task, 0 otherwise" in helptext


def test_multi_label_saving_counts_what_it_rejects_per_item(subjects):  # noqa: F811
    """Before, a multi-label project with no policy saved yet read "Saving would reject
    17 predictions sent to a person now": each suggested label was counted as a
    prediction (one item loses two), and so was the test item whose gold label gives
    'people' (settled by it: nobody is asked). Now what a person is asked about is
    counted, in labels and in the items they are on, in the project's own words."""
    add_items(subjects, [{"item_id": "c98", "modality": "text"}])
    add_predictions(subjects, 1, {"c98": {"maps": 0.1, "people": 0.6, "ships": 0.6}},
                    multi_label=True)
    res = optimise(subjects, target_precision=0.95, review_threshold=0.65)
    text = render_optimise(res)
    assert "17 predictions" not in text
    # people at 0.6 or 0.55 on 9 test items and 5 collection records, people and ships on
    # c98; t09's gold label gives 'people', so it is not counted
    assert "Saving would reject 16 suggested labels on 15 items sent to a person now" in text
    assert res["collection"]["changes"]["review->reject"] == 16
    assert res["collection"]["changes_items"]["review->reject"] == 15
