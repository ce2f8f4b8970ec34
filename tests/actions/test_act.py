"""Policy, dry run, optimiser, act (provenance, idempotence) and safety on known cases."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from glamlab.actions import act, optimise, pick_threshold, plan, render, render_optimise, wilson
from glamlab.actions.policy import load_policy
from glamlab.errors import PolicyError

from .helpers import add_gold, add_items, add_model, add_predictions

# The known case. Test items: blank predictions with (score, gold is blank?)
TEST_BLANK = [(0.99, True), (0.97, True), (0.95, True), (0.93, False), (0.90, True),
              (0.85, True), (0.80, False), (0.70, True)]
TEST_CONTENT = [(0.95, True), (0.90, False), (0.80, True)]  # (score, gold is content?)
COLLECTION = [("blank", 0.99), ("blank", 0.88), ("blank", 0.60), ("content", 0.97),
              ("content", 0.70), ("content", 0.55)]


def _scores(label: str, score: float) -> dict[str, float]:
    other = "content" if label == "blank" else "blank"
    return {label: score, other: round(1 - score, 6)}


@pytest.fixture
def pages(make_ws):
    ws = make_ws("pages", task="blank-pages", labels=["blank", "content"],
                 positive_label="blank", price_per_item=0.1)
    items, gold, preds = [], {}, {}
    for i, (s, ok) in enumerate(TEST_BLANK):
        iid = f"t{i:02d}"
        items.append({"item_id": iid})
        gold[iid] = "blank" if ok else "content"
        preds[iid] = _scores("blank", s)
    for j, (s, ok) in enumerate(TEST_CONTENT):
        iid = f"t{len(TEST_BLANK) + j:02d}"
        items.append({"item_id": iid})
        gold[iid] = "content" if ok else "blank"
        preds[iid] = _scores("content", s)
    for k, (label, s) in enumerate(COLLECTION):
        iid = f"c{k:02d}"
        items.append({"item_id": iid})
        preds[iid] = _scores(label, s)
    add_items(ws, items)
    add_gold(ws, gold)
    mid = add_model(ws, "blanks", 1)
    ws.run_id = add_predictions(ws, mid, preds)
    return ws


def _set_policy(ws, policy):
    ws.card.raw["policy"] = policy
    ws.save_card()


KNOWN_POLICY = {"field": "page_type", "labels": {"blank": {"accept": 0.85, "review": 0.5},
                                                  "content": {"accept": 0.9, "review": 0.75}}}


def test_joint_interval_for_wrong_values_is_narrower_than_summed_label_bounds():
    from glamlab.actions.intervals import wrong_total_interval

    # 24 labels, each writing 10 values, each 4 of 4 right on test
    parts = [(10, 4, 4)] * 24
    lo, hi = wrong_total_interval(parts)
    summed_upper = sum(n * (1 - wilson(c, t)[0]) for n, c, t in parts)
    assert 0 <= lo < hi < summed_upper / 2  # the old range said "up to ~118 of 240"
    assert wrong_total_interval(parts) == (lo, hi)  # repeatable
    # one label with many test items: close to its own binomial range
    lo1, hi1 = wrong_total_interval([(1000, 900, 1000)])
    assert 80 < lo1 < 100 < hi1 < 120
    assert wrong_total_interval([]) == (0.0, 0.0)
    with pytest.raises(ValueError, match="between 0 and tested"):
        wrong_total_interval([(5, 6, 4)])


def test_wilson_known_values():
    lo, hi = wilson(3, 3)
    assert lo == pytest.approx(0.43850, abs=1e-4) and hi == 1.0
    lo, hi = wilson(5, 6)
    assert lo == pytest.approx(0.43649, abs=1e-4) and hi == pytest.approx(0.96994, abs=1e-4)


def test_pick_threshold_known_case():
    res = pick_threshold(TEST_BLANK, 0.8, "point")
    assert res["threshold"] == 0.85 and (res["correct"], res["accepted"]) == (5, 6)
    assert pick_threshold(TEST_BLANK, 0.99, "point")["threshold"] == 0.95
    assert pick_threshold(TEST_BLANK, 0.99, "lower_bound")["threshold"] is None
    # ties enter together: a wrong one tied with a right one at the top is never split off
    assert pick_threshold([(0.9, True), (0.9, False)], 0.9, "point")["threshold"] is None


def test_pick_threshold_expected_needs_evidence():
    """The expected criterion: 3 of 3 right is not "95% precision" (the precision to expect
    from 3 items, the Jeffreys posterior mean 3.5/4, is 0.875); 20 of 20 is (0.976)."""
    three = [(0.99, True), (0.97, True), (0.95, True), (0.5, False)]
    assert pick_threshold(three, 0.95, "point")["threshold"] == 0.95
    assert pick_threshold(three, 0.95, "expected")["threshold"] is None
    assert pick_threshold(three, 0.95)["threshold"] == 0.95  # the default is "point"
    many = [(1 - k / 100, True) for k in range(20)] + [(0.5, False)]
    res = pick_threshold(many, 0.95, "expected")
    assert res["threshold"] == pytest.approx(0.81) and res["accepted"] == 20
    # the same 20 right items from 2 books that disagree (book a all right, book b half
    # wrong elsewhere: rho from outside the accepted set) count as fewer: not enough
    grouped = [(s, ok, "a" if k < 10 else "b") for k, (s, ok) in enumerate(many)]
    res = pick_threshold(grouped, 0.95, "expected", rho=0.5)
    assert res["threshold"] is None
    # without correlation (rho 0) grouping changes nothing here (all accepted are right)
    assert pick_threshold(grouped, 0.95, "expected", rho=0.0)["threshold"] == \
        pytest.approx(0.81)


def _add_calibration(ws, blank, content=()):
    """Calibration items (split "calibration") with the model's stored predictions:
    ``blank``/``content`` are (score, gold is that label?) as for the test items."""
    items, gold, preds = [], {}, {}
    for label, rows in (("blank", blank), ("content", content)):
        other = "content" if label == "blank" else "blank"
        for s, ok in rows:
            iid = f"k{len(items):02d}"
            items.append({"item_id": iid})
            gold[iid] = label if ok else other
            preds[iid] = _scores(label, s)
    add_items(ws, items)
    add_gold(ws, gold, split="calibration")
    add_predictions(ws, 1, preds)


def test_optimise_tunes_on_calibration_and_reports_test(pages):
    """Thresholds come from the calibration split; the figure shown is the precision
    those thresholds reach on the test split (not the in-sample one that chose them)."""
    _add_calibration(pages, [(0.99, True), (0.95, True), (0.9, True), (0.8, True),
                             (0.7, False), (0.6, False)])
    res = optimise(pages, target_precision=0.85, criterion="point")
    blank = next(r for r in res["labels"] if r["label"] == "blank")
    assert blank["threshold"] == 0.8  # 4/4 on calibration; tuned on test it would be 0.95
    assert blank["calibration"]["precision"] == 1.0 and blank["calibration"]["in_sample"]
    # on test, >= 0.8 accepts 7 blank predictions, 5 right
    assert (blank["accepted"], blank["correct"]) == (7, 5)
    assert blank["ci95"][0] == pytest.approx(wilson(5, 7)[0])
    assert blank["computed_on"] == "test" and blank["in_sample"] is False
    assert res["overall"]["in_sample"] is False and res["calibration"]["source"] == "split"
    assert "in-sample" in render_optimise(res)
    # the old way (thresholds tuned on test) is marked in-sample
    old = optimise(pages, target_precision=0.85, tune_on="test", criterion="point")
    assert next(r for r in old["labels"] if r["label"] == "blank")["threshold"] == 0.95
    assert old["overall"]["in_sample"] is True and "WARNING" in render_optimise(old)


def test_optimise_prints_thresholds_to_three_decimals_unless_two_would_read_the_same(pages):
    """Thresholds are scores: 0.9871326 reads 0.987 (never rounded up), not 0.987132;
    two thresholds that three decimals would print the same get the digits that tell
    them apart."""
    _add_calibration(pages, [(0.9871326, True)] * 3 + [(0.5, False)],
                     [(0.95, True)] * 3 + [(0.5, False)])
    res = optimise(pages, target_precision=0.85, criterion="point")
    assert {r["label"]: r["threshold"] for r in res["labels"]} == {
        "blank": 0.9871326, "content": 0.95}
    text = render_optimise(res)
    assert "blank: accept >= 0.987: " in text and "content: accept >= 0.950: " in text, text
    # single-label: review from 0, as act's own defaults (not 0.5 whatever the project)
    assert "0.987132" not in text and "review from 0.000" in text, text


def test_optimise_keeps_the_digits_that_tell_two_thresholds_apart(make_ws):
    ws = make_ws("close", labels=["blank", "content"])
    preds, gold = {}, {}
    for i, (label, s, ok) in enumerate([("blank", 0.98713, True)] * 3
                                       + [("content", 0.98741, True)] * 3
                                       + [("blank", 0.5, False), ("content", 0.5, False)]):
        other = "content" if label == "blank" else "blank"
        preds[f"k{i}"], gold[f"k{i}"] = _scores(label, s), label if ok else other
        preds[f"t{i}"], gold[f"t{i}"] = _scores(label, s), label if ok else other
    add_items(ws, [{"item_id": i} for i in preds])
    add_gold(ws, {i: g for i, g in gold.items() if i.startswith("k")}, split="calibration")
    add_gold(ws, {i: g for i, g in gold.items() if i.startswith("t")})
    add_predictions(ws, add_model(ws, "m"), preds)
    res = optimise(ws, target_precision=0.85, criterion="point")
    text = render_optimise(res)
    assert "blank: accept >= 0.9871: " in text and "content: accept >= 0.9874: " in text, text
    # act's own note on the thresholds it proposes reads them the same way
    ws.card.raw["policy"] = {"target_precision": 0.85}
    ws.save_card()
    note = render(plan(ws, dry_run=True).to_dict())
    assert "blank >= 0.9871, content >= 0.9874" in note, note


def test_dry_run_marks_test_tuned_policy_in_sample(pages):
    """Expected wrong accepts from thresholds that the test split chose are in-sample."""
    _add_calibration(pages, [(0.99, True), (0.8, True)])
    res = optimise(pages, target_precision=0.8, tune_on="test", write=True)
    pages.reload_card()
    assert res["policy"]["tuned_on"] == "test"
    r = plan(pages, dry_run=True).to_dict()
    assert r["test"]["in_sample"] is True
    assert "in-sample" in render(r)
    optimise(pages, target_precision=0.8, write=True)
    pages.reload_card()
    r = plan(pages, dry_run=True).to_dict()
    assert r["test"]["in_sample"] is False


def test_optimise_writes_thresholds_and_freezes_test(pages):
    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)  # the same figures as the test items
    res = optimise(pages, target_precision=0.8, write=True, criterion="point")
    by = {r["label"]: r for r in res["labels"]}
    assert by["blank"]["threshold"] == 0.85
    assert by["blank"]["precision"] == pytest.approx(5 / 6)
    assert by["blank"]["ci95"][0] == pytest.approx(wilson(5, 6)[0])
    assert by["content"]["threshold"] == 0.95  # 1/1; adding 0.90 (wrong) drops to 1/2
    assert res["overall"]["accepted"] == 7 and res["overall"]["correct"] == 6
    assert res["interval"].startswith("95% Wilson")
    pages.reload_card()
    policy = load_policy(pages.card)
    # single-label: review from 0, as act's own defaults: nothing reaches no one
    assert policy.labels["blank"].accept == 0.85 and policy.labels["blank"].review == 0.0
    assert policy.target_precision == 0.8
    with pages.store.read() as conn:
        actions = [r[0] for r in conn.execute(sa.select(pages.store.t.audit_log.c.action))]
    assert "split.freeze" in actions or "test_split.read" in actions
    assert "policy.optimise" in actions


def test_optimise_without_write_leaves_card(pages):
    _add_calibration(pages, TEST_BLANK)
    res = optimise(pages, target_precision=0.99)
    assert not res["written"]
    assert "labels" not in pages.reload_card().raw.get("policy", {})


def test_dry_run_known_numbers(pages):
    _set_policy(pages, KNOWN_POLICY)
    r = plan(pages, dry_run=True).to_dict()
    by = {row["label"]: row for row in r["by_label"]}
    assert (by["blank"]["accept"], by["blank"]["review"], by["blank"]["reject"]) == (8, 3, 0)
    assert (by["content"]["accept"], by["content"]["review"], by["content"]["reject"]) == (3, 1, 2)
    assert r["counts"] == {"accept": 11, "review": 4, "reject": 2}
    # test precision at these thresholds: blank 5/6, content 1/2; the precision to expect
    # from so few test items is the Jeffreys posterior mean (5.5/7, 1.5/3), as the README
    # promises ("1 of 1 right is 0.75, not 100%"), not the raw 5/6 and 1/2; counted over
    # the accepts no person's gold label settles: of the 8 blanks, 5 are test items whose
    # gold gives blank (right) and 1 one whose gold is content (not exported as
    # accepted), so 2 may be wrong; of the 3 contents, 1 the gold gives, 1 it overrules
    blank_wrong, content_wrong = 2 * (1 - 5.5 / 7), 1 * (1 - 1.5 / 3)
    assert by["blank"]["expected_wrong"] == pytest.approx(blank_wrong, abs=0.01)
    assert by["blank"]["expected_precision"] == pytest.approx(5.5 / 7, abs=1e-4)
    assert (by["blank"]["test_correct"], by["blank"]["test_accepted"]) == (5, 6)
    assert r["expected_wrong_accepts"] == pytest.approx(blank_wrong + content_wrong, abs=0.01)
    lo, hi = r["expected_wrong_accepts_ci95"]
    assert 0 <= lo < blank_wrong + content_wrong < hi <= 3
    assert r["accept_unsettled"] == 3
    # two of the four are test items whose gold label is the predicted one: the queue
    # does not show them (settled by a gold label), so no reviewer time is counted
    assert (r["review_workload"], r["review_settled_by_gold"]) == (2, 2)
    assert r["review_hours"] == pytest.approx(2 * 20 / 3600)
    f = r["filter"]
    # one of the review blanks is a test item whose gold label is blank: the export (and
    # its filter list) counts it accepted, so the filter holds it back too; one of the 8
    # blanks the policy accepts is a test item whose gold label is content: the person's
    # label wins, so it is sent on; and one content page the policy accepts is a test
    # item whose gold label is blank: held back too (the person's label wins)
    assert (f["accepted_by_policy"], f["accepted_by_people_or_gold"]) == (7, 2)
    assert f["overruled_by_gold"] == 1
    assert f["accepted_as_positive"] == 9 and f["sent_on"] == 17 - 9
    assert f["money_saved"] == pytest.approx(0.9)
    # the filter list (glamlab export --format filter) says the same
    from glamlab.actions import export

    listed = pages.root / "send-on.txt"
    export(pages, "filter", listed)
    assert len(listed.read_text(encoding="utf-8").split()) == f["sent_on"]
    # the 8 accepts on test items: the gold gives 6 of them, and another label for 2
    assert (r["accept_settled_by_gold"], r["accept_overruled_by_gold"]) == (8, 2)
    # of the 8 blanks the policy accepts, 5 are test items whose gold label gives blank
    # (right) and 1 one whose gold label is content (sent on): the 2 others may be wrong,
    # the same count as the label's expected wrong accepts
    assert f["expected_wrongly_withheld"] == pytest.approx(blank_wrong, abs=0.01)
    assert f["expected_wrongly_withheld"] == by["blank"]["expected_wrong"]
    with pages.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(
            pages.store.t.machine_metadata)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(
            pages.store.t.review_queue)).scalar() == 0


def test_act_writes_provenance_and_is_idempotent(pages):
    _set_policy(pages, KNOWN_POLICY)
    first = act(pages)
    # 11 accepted: 2 of them on test items whose gold label is another (the person's
    # label wins), so not written as machine metadata
    assert first.written == {"machine_metadata": 9, "review_queue": 4}
    assert first.not_written_overruled == 2
    t = pages.store.t
    with pages.store.read() as conn:
        row = conn.execute(sa.select(t.machine_metadata).where(
            t.machine_metadata.c.item_id == "c00")).one()
        pred = conn.execute(sa.select(t.predictions).where(
            t.predictions.c.item_id == "c00")).one()
        queued = conn.execute(sa.select(t.review_queue).where(
            t.review_queue.c.item_id == "c02")).one()
    assert (row.field, row.value, row.model, row.model_version) == ("page_type", "blank",
                                                                     "blanks", 1)
    assert row.score == pytest.approx(0.99) and row.run_id == pages.run_id
    assert row.prediction_id == pred.id and row.created_at is not None
    assert row.confirmed_by is None and row.confirmed_at is None
    assert queued.label == "blank" and "review threshold" in queued.reason
    assert queued.status == "open" and queued.kind == "prediction"
    # two of the four queued are settled by a test item's gold label: nobody is asked
    # about them, and the report says so apart from the two a person is asked about
    shown = first.to_dict()
    assert (shown["written_open"], shown["written_settled_by_gold"]) == (2, 2)
    assert ("2 review items waiting for a person (and 2 settled by a gold label already: "
            "nobody is asked)") in render(shown)
    second = act(pages)
    assert second.written == {"machine_metadata": 0, "review_queue": 0}
    assert second.already_written == {"machine_metadata": 9, "review_queue": 4}
    assert second.not_written_overruled == 2
    with pages.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(
            t.machine_metadata)).scalar() == 9
        assert conn.execute(sa.select(sa.func.count()).select_from(t.review_queue)).scalar() == 4


def test_no_predictions_is_a_clear_error(make_ws):
    ws = make_ws("empty", labels=["blank", "content"])
    with pytest.raises(PolicyError, match="no predictions"):
        plan(ws)


@pytest.mark.parametrize("policy, message", [
    ({"labels": {"blank": {"accept": 1.5}}}, r"\[policy.labels.blank\] accept must be between"),
    ({"labels": {"blank": {"accept": 0.5, "review": 0.9}}}, "review .* is above accept"),
    ({"labels": {"nope": {"accept": 0.9}}}, "'nope' is not one of the project's labels"),
    ({"labels": {"blank": {"acept": 0.9}}}, "unknown key.*acept"),
    ({"default_action": "keep"}, "default_action must be one of"),
    ({"labels": {"blank": {"action": "accept", "accept": 0.9}}}, "either action or thresholds"),
    ({"labels": {"blank": {"accept": "high"}}}, "must be a number"),
    ({"treshold": 1}, "unknown key"),
])
def test_bad_policy_is_a_clear_error(pages, policy, message):
    _set_policy(pages, policy)
    with pytest.raises(PolicyError, match=message) as info:
        plan(pages)
    assert "glamlab.toml" in (info.value.hint or "")


def test_cli_dry_run_plain_words_and_json(pages, capsys):
    from glamlab.cli import main

    _set_policy(pages, KNOWN_POLICY)
    main(["-w", str(pages.root), "act", "--dry-run"])
    out = capsys.readouterr().out
    assert "accept 11" in out and "money saved 0.90 EUR" in out and "Nothing was written" in out
    assert "9 items accepted as 'blank' (2 of them by a person or a gold label)" in out
    assert ("are held back and 8 sent on (1 of them accepted as 'blank' by the model but "
            "labelled otherwise by a person)") in out
    main(["-w", str(pages.root), "act", "--dry-run", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["review"] == 4


def test_cli_bad_policy_exits_with_one_line(pages, capsys):
    from glamlab.cli import main

    _set_policy(pages, {"labels": {"blank": {"accept": 2}}})
    with pytest.raises(SystemExit) as exc:
        main(["-w", str(pages.root), "act", "--dry-run"])
    assert exc.value.code == 2  # a usage or input error
    err = capsys.readouterr().err
    assert err.startswith("error: [policy.labels.blank] accept") and "fix:" in err
    assert "Traceback" not in err


def test_multi_label_policy_per_label(make_ws):
    ws = make_ws("subjects", labels=["maps", "people", "ships"], multi_label=True)
    add_items(ws, [{"item_id": "r1"}, {"item_id": "r2"}])
    mid = add_model(ws, "subj")
    add_predictions(ws, mid, {"r1": {"maps": 0.95, "people": 0.6, "ships": 0.1},
                              "r2": {"maps": 0.2, "people": 0.97, "ships": 0.7}},
                    multi_label=True)
    _set_policy(ws, {"field": "subject", "default_action": "reject",
                     "labels": {"maps": {"accept": 0.9, "review": 0.5},
                                "people": {"accept": 0.9, "review": 0.5}}})
    r = act(ws).to_dict()
    by = {row["label"]: row for row in r["by_label"]}
    assert (by["maps"]["accept"], by["maps"]["reject"]) == (1, 1)
    assert (by["people"]["accept"], by["people"]["review"]) == (1, 1)
    assert by["ships"]["reject"] == 2  # unlisted: default_action
    assert r["written"]["machine_metadata"] == 2
    # the counts are of (item, label) suggestions, and say so: one item has one in review
    assert "Review workload: 1 suggested labels" in render(r)


def test_malformed_prediction_is_skipped_with_reason_and_the_rest_carry_on(pages):
    _set_policy(pages, KNOWN_POLICY)
    t = pages.store.t
    with pages.store.write() as conn:
        conn.execute(t.predictions.update().where(t.predictions.c.item_id == "c00")
                     .values(label=None, score=None, scores={"blank": "high"}))
        conn.execute(t.predictions.update().where(t.predictions.c.item_id == "c01")
                     .values(score=1.7))
    r = act(pages).to_dict()
    assert [p["item_id"] for p in r["problems"]] == ["c00", "c01"]
    assert "c00" in r["problems"][0]["reason"] and "glamlab run" in r["problems"][0]["fix"]
    assert "not between 0 and 1" in r["problems"][1]["reason"]
    assert r["counts"]["accept"] == 11 - 2  # both were accepts; every other item went on
    assert "Skipped: prediction" in render(r)


def test_optimise_predicts_test_items_without_stored_predictions(make_ws):
    """No run covered the test items: the saved model predicts them in memory."""
    from glamlab.predictors.catalogue import create
    from glamlab.registry import save_model

    ws = make_ws("maj", labels=["blank", "content"])
    add_items(ws, [{"item_id": f"i{k}"} for k in range(8)])
    add_gold(ws, {"i0": "blank", "i1": "blank", "i2": "blank", "i3": "content"}, split="train")
    add_gold(ws, {"i4": "blank", "i5": "blank", "i6": "blank", "i7": "content"}, split="test")
    items = list(ws.items(ids=["i0", "i1", "i2", "i3"]))
    predictor = create("majority").fit(items, ["blank", "blank", "blank", "content"],
                                       classes=["blank", "content"])
    save_model(ws, predictor, name="maj")
    res = optimise(ws, target_precision=0.7, model="maj", criterion="point")
    assert res["test"]["predicted_now"] == 4 and res["test"]["stored"] == 0
    blank = next(r for r in res["labels"] if r["label"] == "blank")
    assert (blank["correct"], blank["accepted"]) == (3, 4)
    assert blank["threshold"] == pytest.approx(1.0)


def test_before_any_thresholds_the_default_policy_accepts_where_the_data_says(pages):
    assert "labels" not in pages.card.raw.get("policy", {})
    pages.card.raw["policy"] = {"target_precision": 0.8}
    pages.save_card()
    # no calibration data yet (this model cannot be refitted out of fold): nothing is
    # tuned on the test split, every prediction goes to review, nobody's item is lost
    r = plan(pages, dry_run=True).to_dict()
    assert r["policy_source"] == "review-all" and r["counts"]["reject"] == 0
    assert r["counts"]["accept"] == 0 and "optimise(ws, target_precision=0.95, write=True)" \
        in render(r)  # called from Python: the Python call; the command line's words below
    assert "glamlab act --optimise" in render(plan(pages, dry_run=True, cli=True).to_dict())
    # with calibration data, the thresholds act --optimise proposes there, the rest to review
    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)
    r = plan(pages, dry_run=True).to_dict()
    assert r["policy_source"] == "default"
    by = {p["label"]: p for p in r["policy"]}
    assert by["blank"]["accept"] == 0.85 and by["content"]["accept"] == 0.95
    assert r["counts"]["accept"] > 0 and r["counts"]["reject"] == 0  # nobody's item is lost
    text = render(r)
    assert "No thresholds in [policy] for " in text and "optimise(ws, target_precision=0.8, " \
        "write=True)" in text and "glamlab act --" not in text and "glamlab models" not in text
    assert "Choose one: use_model(ws, NAME) (from glamlab.registry), or model=NAME." in text
    assert "labels" not in pages.reload_card().raw.get("policy", {})  # nothing written
    # a chosen default_action is the person's policy, used as it is
    pages.card.raw["policy"] = {"default_action": "review"}
    pages.save_card()
    r = plan(pages, dry_run=True).to_dict()
    assert r["policy_source"] == "card" and r["counts"]["accept"] == 0


def test_act_saves_the_thresholds_it_proposed_so_exports_say_what_it_wrote(pages):
    """Before, act applied thresholds it proposed but never saved: the export (which reads
    [policy]) said "review" for every value act had written as metadata, and each act
    proposed new thresholds from labels that had changed since."""
    from glamlab.actions import iter_rows

    pages.card.raw["policy"] = {"target_precision": 0.8}
    pages.save_card()
    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)
    done = plan(pages, dry_run=False)
    assert done.policy_source == "default" and done.counts["accept"] > 0
    assert "Saved in [policy]" in render(done.to_dict())
    saved = pages.reload_card().raw["policy"]
    assert saved["proposed_by"] == "glamlab act" and saved["optimised_with"] == done.model
    assert {k: v["accept"] for k, v in saved["labels"].items()} == {
        p["label"]: p["accept"] for p in done.policy}
    rows = [e.row for e in iter_rows(pages)]
    # (a review row a gold label settles exports the gold's answer: decision "gold"; so
    # does an accepted label on an item with a person's gold label, which wins)
    written = [r for r in rows if r["action"] == "accept" and r["decision"] != "gold"]
    # (an accepted label a person's gold label overrules is not written)
    assert done.counts["accept"] == (done.written["machine_metadata"]
                                     + done.not_written_overruled)
    assert done.not_written_overruled == sum(done.accept_overruled.values()) > 0
    assert len(written) == done.counts["accept"] - done.accept_settled_by_gold
    # (and a review row on an item a person labelled otherwise: the person's label wins)
    assert done.review_overruled > 0
    assert sum(r["decision"] == "gold" for r in rows) == (done.review_settled_by_gold
                                                          + done.accept_settled_by_gold
                                                          + done.review_overruled)
    again = plan(pages, dry_run=True)
    assert again.policy_source == "card" and again.counts == done.counts
    # thresholds act proposed for another model are proposed again for this one
    pages.card.raw["policy"]["optimised_with"] = "someone-else@1"
    pages.save_card()
    assert plan(pages, dry_run=True).policy_source == "default"
    # thresholds a person kept stand for every model, with a note
    del pages.card.raw["policy"]["proposed_by"]
    pages.save_card()
    kept = plan(pages, dry_run=True)
    assert kept.policy_source == "card"
    assert "were tuned on someone-else@1" in render(kept.to_dict())
    # acting on a model that is not the one act and export use by default is refused
    # (the exports would not show what it wrote), and nothing is saved in [policy]
    pages.card.raw["policy"] = {"target_precision": 0.8}
    pages.save_card()
    other = add_model(pages, "other", 1)
    add_predictions(pages, other, {"c00": _scores("blank", 0.9)})
    with pytest.raises(PolicyError, match=f"{done.model} is not the model in use"):
        plan(pages, model=done.model, dry_run=False)
    assert "labels" not in pages.reload_card().raw["policy"]
    side = plan(pages, model=done.model, dry_run=True)  # what it would do: proposed
    assert side.policy_source == "default" and side.model == done.model


def test_rejected_values_are_pointed_to_a_list(pages, tmp_path):
    """The sentence about rejected values says what happens to them (not written, not
    reviewed, kept) and where a curator sees them; the list it points to holds them."""
    import csv

    from glamlab.actions import ExportFilter, export

    _set_policy(pages, KNOWN_POLICY)
    text = render(plan(pages, dry_run=True).to_dict())
    assert "written nowhere" not in text
    assert ("The 2 rejected values are not written to field 'page_type' and not sent to "
            "review; the predictions stay stored, so a curator can list them") in text, text
    assert "export --format csv --action reject" in text
    assert "the rows whose action is reject" in text
    act(pages)
    out = tmp_path / "rejected.csv"
    export(pages, "csv", out, where=ExportFilter(actions=("reject",)))
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["action"] for r in rows} == {"reject"}
    # the 2 the policy rejects (the 2 accepted labels a test item's gold label gives
    # otherwise export the person's label, accepted: a person's label wins)
    assert sorted(r["decision"] for r in rows) == ["", ""]
    assert "95% range 0 to" in text and "items" in text


def test_act_with_a_new_model_refreshes_the_open_review_rows_of_the_items_it_predicts(pages):
    """Before, open review rows kept asking about the earlier model's prediction once
    another model ran: the queue showed the old candidates by their old scores, and a
    candidate the new model was sure of stayed in review. Now a row whose candidate the
    new prediction sends to review again follows it (same row, its version unchanged),
    and the others are withdrawn, with the reason given to a reviewer who had one open."""
    from glamlab.review.decisions import StaleDecision, decide

    _set_policy(pages, KNOWN_POLICY)
    act(pages)
    t = pages.store.t

    def open_rows():
        with pages.store.read() as conn:
            return {r.item_id: r for r in conn.execute(sa.select(t.review_queue).where(
                t.review_queue.c.status == "open"))}

    before = open_rows()
    assert {k: r.label for k, r in before.items()} == {"c02": "blank", "t06": "blank",
                                                       "t07": "blank", "t10": "content"}
    nxt = add_model(pages, "next", 1)
    # c02: the same candidate to review again; t06: now sure (accepted); t07: now the
    # other label, to review; t10: not predicted by the new model (its row stays)
    add_predictions(pages, nxt, {"c02": _scores("blank", 0.62), "t06": _scores("blank", 0.95),
                                 "t07": _scores("content", 0.8)})
    report = act(pages, model="next@1")
    assert report.superseded == 2
    assert "2 open review items asked about an earlier prediction" in render(report.to_dict())
    after = open_rows()
    assert {k: r.label for k, r in after.items()} == {"c02": "blank", "t07": "content",
                                                      "t10": "content"}
    with pages.store.read() as conn:
        pred = {r.item_id: r.id for r in conn.execute(sa.select(t.predictions).where(
            t.predictions.c.model_id == nxt))}
    c02 = after["c02"]
    assert c02.id == before["c02"].id and c02.version == before["c02"].version
    assert c02.prediction_id == pred["c02"] and c02.model_id == nxt
    assert c02.score == pytest.approx(0.62)
    assert after["t07"].prediction_id == pred["t07"] and after["t07"].id != before["t07"].id
    assert after["t10"].id == before["t10"].id  # the new model did not predict t10
    # a reviewer who still had t06's old row open is told why the decision was refused
    with pytest.raises(StaleDecision, match="earlier prediction"):
        decide(pages, "ann", before["t06"].id, "accept", before["t06"].version)
    # the row that followed the prediction can still be decided at the version shown
    decide(pages, "ann", c02.id, "accept", before["c02"].version)
    again = act(pages, model="next@1")
    assert again.superseded == 0 and again.written["review_queue"] == 0


def _count(ws, table):
    t = ws.store.t.metadata.tables[table]
    with ws.store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar())


def test_act_keeps_what_a_person_wrote_in_the_card(pages):
    """Before, act saved the thresholds it proposed by writing glamlab.toml afresh: the
    curator's comments and layout were gone."""
    path = pages.root / "glamlab.toml"
    text = path.read_text(encoding="utf-8").replace(
        "[project]\n", "# Ledgers, 1890-1899: ask Ana before changing the labels.\n[project]\n")
    text = text.replace("[project]\n", '[project]\ncurator = "Ana"  # not a glamlab key\n')
    text += ("\n# agreed with the catalogue team in March\n[policy]\n"
             "target_precision = 0.8  # no lower\n")
    path.write_text(text, encoding="utf-8")
    pages.reload_card()
    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)
    done = act(pages)
    assert done.policy_source == "default" and done.written["machine_metadata"] > 0
    after = path.read_text(encoding="utf-8")
    for kept in ("# Ledgers, 1890-1899: ask Ana before changing the labels.\n[project]\n"
                 'curator = "Ana"  # not a glamlab key\n',
                 "# agreed with the catalogue team in March\n[policy]\n"
                 "target_precision = 0.8  # no lower\n"):
        assert kept in after, after
    assert pages.reload_card().raw["project"]["curator"] == "Ana"
    saved = pages.card.raw["policy"]
    assert saved["proposed_by"] == "glamlab act" and saved["target_precision"] == 0.8
    assert {k: v["accept"] for k, v in saved["labels"].items()} == {
        p["label"]: p["accept"] for p in done.policy}


def test_act_refuses_a_read_only_card_before_writing_anything(pages, read_only, capsys):
    """Before, a PermissionError traceback: act has thresholds to save and cannot."""
    from glamlab.cli import main
    from glamlab.errors import GlamlabError

    _set_policy(pages, {"target_precision": 0.8})
    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)
    card = pages.root / "glamlab.toml"
    before = card.read_text(encoding="utf-8")
    read_only(card)
    assert plan(pages, dry_run=True).policy_source == "default"  # a dry run writes nothing
    with pytest.raises(GlamlabError, match="glamlab.toml") as err:
        act(pages)
    assert type(err.value).__name__ == "CardNotWritable"
    assert "nothing was written" in err.value.message
    assert "--dry-run" in err.value.hint and "--optimise" in err.value.hint
    assert _count(pages, "machine_metadata") == _count(pages, "review_queue") == 0
    assert card.read_text(encoding="utf-8") == before
    # the command line: one clear error, no traceback
    capsys.readouterr()
    with pytest.raises(SystemExit) as stopped:
        main(["-w", str(pages.root), *(["--db", pages.card.db_url] if pages.card.db_url
                                        else []), "act"])
    printed = capsys.readouterr().err
    assert stopped.value.code == 2 and "error: glamlab act must save" in printed
    assert "fix:" in printed
    assert _count(pages, "machine_metadata") == 0


def test_a_read_only_card_does_not_matter_when_a_person_set_the_thresholds(pages, read_only):
    _set_policy(pages, KNOWN_POLICY)
    read_only(pages.root / "glamlab.toml")
    done = act(pages)
    assert done.policy_source == "card" and done.written["machine_metadata"] > 0
    assert _count(pages, "machine_metadata") == done.written["machine_metadata"]


@pytest.fixture
def subjects(make_ws):
    return subjects_project(make_ws)


def subjects_project(make_ws):
    """A multi-label project with no thresholds yet: calibration data that supports
    accepting 'maps' (from 0.9) and 'ships' (from 0.96), never 'people'; a test split on
    which 'maps' is measured (9 of 10 right) but no item scores high for 'ships'."""
    ws = make_ws("subjects", labels=["maps", "people", "ships"], multi_label=True)
    items, preds = [], {}
    calibration, test = {}, {}
    for i in range(20):
        iid = f"k{i:02d}"
        preds[iid] = {"maps": round(0.9 + 0.004 * i, 3), "people": 0.7,
                      "ships": 0.96 if i < 10 else 0.2}
        calibration[iid] = ["maps"] + (["ships"] if i < 10 else []) + (["people"] if i % 2
                                                                        else [])
    for i in range(10):
        iid = f"t{i:02d}"
        preds[iid] = {"maps": 0.95, "people": 0.6, "ships": 0.3}
        test[iid] = ["maps"] if i < 9 else ["people"]
    for i in range(5):
        iid = f"c{i:02d}"
        preds[iid] = ({"maps": 0.97, "people": 0.6, "ships": 0.98} if i < 3
                      else {"maps": 0.2, "people": 0.55, "ships": 0.1})
    items = [{"item_id": iid, "modality": "text"} for iid in preds]
    add_items(ws, items)
    add_gold(ws, calibration, split="calibration")
    add_gold(ws, test)
    add_predictions(ws, add_model(ws, "subj"), preds, multi_label=True)
    return ws


def test_multi_label_default_policy_does_not_send_unsuggested_labels_to_review(subjects):
    """Before, act's own thresholds sent every label of every item below accept to
    review (review = 0 for all labels): 15 labels x 300 records was 4,348 questions for
    reviewers. Now a label scoring below the kind's own cut-off (0.5: the model does not
    suggest it) is rejected, neither written nor reviewed."""
    r = plan(subjects, dry_run=True).to_dict()
    assert r["policy_source"] == "default"
    assert {p["label"]: p["review"] for p in r["policy"]} == {
        "maps": 0.5, "people": 0.5, "ships": 0.5}
    by = {row["label"]: row for row in r["by_label"]}
    # maps: 33 at or above 0.9 accepted, the two records at 0.2 rejected, none reviewed
    assert (by["maps"]["accept"], by["maps"]["review"], by["maps"]["reject"]) == (33, 0, 2)
    # ships: 13 accepted; 0.3, 0.2 and 0.1 are not suggestions: rejected, not reviewed
    assert (by["ships"]["accept"], by["ships"]["review"], by["ships"]["reject"]) == (13, 0, 22)
    # people (0.55 to 0.7, never accepted): suggested, so a reviewer sees them
    assert (by["people"]["accept"], by["people"]["review"]) == (0, 35)
    text = render(r)
    assert "score thresholds maps >= 0.900, ships >= 0.960" in text
    assert "labels scoring below 0.5 rejected" in text
    assert "reaches 95% precision (" not in text  # thresholds no longer read as precisions
    # thresholds act proposed itself (review 0 for every label, as act saved them
    # before) are its defaults, not a person's: a new model does not inherit them
    subjects.card.raw["policy"] = {
        "proposed_by": "glamlab act", "optimised_with": "old@1", "field": "subjects",
        "labels": {k: {"review": 0.0} for k in ("maps", "people", "ships")}}
    subjects.save_card()
    again = plan(subjects, dry_run=True).to_dict()
    assert again["policy_source"] == "default"
    assert {p["label"]: p["review"] for p in again["policy"]}["ships"] == 0.5


def test_an_old_saved_review_0_in_a_multi_label_card_is_warned_about_not_rewritten(subjects):
    """A multi-label project where an earlier act saved review = 0 for every label (its
    default then) for the model in use: act applies the card as saved, so the labels the
    model does not suggest still go to review. It says so in plain words with the
    command that fixes it, and leaves the card alone."""
    subjects.card.raw["policy"] = {
        "proposed_by": "glamlab act", "optimised_with": "subj@1", "field": "subjects",
        "target_precision": 0.95,
        "labels": {"maps": {"accept": 0.9, "review": 0.0}, "people": {"review": 0.0},
                   "ships": {"accept": 0.96, "review": 0.0}}}
    subjects.save_card()
    before = subjects.card_path.read_text()
    r = plan(subjects, dry_run=True).to_dict()
    assert r["policy_source"] == "card"
    by = {row["label"]: row for row in r["by_label"]}
    assert by["ships"]["review"] == 22  # 0.1 to 0.3: not suggestions, yet reviewed
    # a warning: the CLI prints it, the web app's report shows it
    assert any("review = 0 for every label" in w for w in r["warnings"]), r["warnings"]
    text = render(r)
    assert "WARNING: the thresholds in [policy] were saved by an earlier glamlab act with " \
           "review = 0 for every label" in text, text
    fix = "glamlab act --optimise --target-precision 0.95 --review-threshold 0.5 --write"
    assert fix in text, text
    assert subjects.card_path.read_text() == before  # warned, not rewritten
    # the command it gives fixes it: the suggested labels only, and no warning
    optimise(subjects, target_precision=0.95, review_threshold=0.5, write=True)
    fixed = plan(subjects, dry_run=True).to_dict()
    assert {p["label"]: p["review"] for p in fixed["policy"]} == {
        "maps": 0.5, "people": 0.5, "ships": 0.5}
    assert {row["label"]: row for row in fixed["by_label"]}["ships"]["review"] == 0
    assert "review = 0 for every label" not in render(fixed)
    # review = 0 a person chose (no proposed_by) is theirs: no warning
    subjects.card.raw["policy"] = {"field": "subjects", "labels": {
        k: {"review": 0.0} for k in ("maps", "people", "ships")}}
    subjects.save_card()
    assert "review = 0 for every label" not in render(plan(subjects, dry_run=True).to_dict())


def test_single_label_act_saving_review_0_is_not_warned_about(pages):
    """Single-label: review = 0 is still act's default (no item goes to no one)."""
    pages.card.raw["policy"] = {"target_precision": 0.8}
    pages.save_card()
    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)
    plan(pages, dry_run=False)
    again = plan(pages, dry_run=True).to_dict()
    assert again["policy_source"] == "card"
    assert all(p["review"] == 0.0 for p in again["policy"])
    assert "review = 0 for every label" not in render(again)


def test_single_label_default_policy_still_reviews_every_item_below_accept(pages):
    pages.card.raw["policy"] = {"target_precision": 0.8}
    pages.save_card()
    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)
    r = plan(pages, dry_run=True).to_dict()
    assert r["policy_source"] == "default" and r["counts"]["reject"] == 0
    assert all(p["review"] == 0.0 for p in r["policy"])


def test_unmeasured_labels_are_named_and_the_rest_still_counted(subjects):
    """Before: "Expected wrong auto-accepts: unknown (no test-split predictions for some
    accepted labels; label a test split and run the model on it)", although a test split
    existed and the model had run on it: no test item reached the label's threshold."""
    r = plan(subjects, dry_run=True).to_dict()
    assert r["expected_wrong_accepts"] is None  # the total is not known
    part = r["expected_wrong_partial"]
    by = {row["label"]: row for row in r["by_label"]}
    # the accepts no person's label settles (those on test items the gold settles are
    # right or not exported as accepted): only they may be wrong
    ships, maps = part["unmeasured"][0]["accepts"], by["maps"]["accept_unsettled"]
    assert [u["label"] for u in part["unmeasured"]] == ["ships"]
    assert ships < by["ships"]["accept"] == 13 and maps < by["maps"]["accept"] == 33
    assert ships + maps == r["accept_unsettled"] == 46 - r["accept_settled_by_gold"]
    assert part["measured_accepts"] == maps and part["unmeasured_accepts"] == ships
    # maps: 9 of 10 right on test, expect (9 + 1/2) / 11 of those accepts right
    maps_wrong = maps * (1 - 9.5 / 11)
    assert part["expected_wrong_measured"] == pytest.approx(maps_wrong, abs=0.01)
    lo, hi = part["expected_wrong_measured_ci95"]
    assert part["expected_wrong_range"] == [lo, pytest.approx(hi + ships)]
    text = render(r)
    assert "no test item (of 10) scores at or above the accept threshold of 'ships'" in text
    assert "label a test split and run the model on it" not in text
    assert f"For the other {maps} accepts about {round(maps_wrong)}" in text
    assert "ships: accept 13, review 0, reject 22, wrong accepts unknown" in text


def test_expected_wrong_uses_the_precision_to_expect_and_warns_far_below_target(pages):
    """1 of 1 right on test is 75% to expect, not 100% ("about 0 of the accepts expected
    wrong" before); a label whose test precision is far below the target says so."""
    _set_policy(pages, {**KNOWN_POLICY, "target_precision": 0.95,
                        "labels": {"blank": {"accept": 0.95, "review": 0.5},
                                   "content": {"accept": 0.9, "review": 0.75}}})
    r = plan(pages, dry_run=True).to_dict()
    by = {row["label"]: row for row in r["by_label"]}
    # blank >= 0.95: 3 of 3 right on test, so 3.5 / 4 to expect right; of its 4 accepts
    # those 3 are the test items, whose gold label confirms them: 1 may be wrong
    assert (by["blank"]["test_correct"], by["blank"]["test_accepted"]) == (3, 3)
    assert by["blank"]["accept"] == 4 and by["blank"]["accept_unsettled"] == 1
    assert by["blank"]["expected_wrong"] == pytest.approx(1 * (1 - 3.5 / 4), abs=0.01)
    # content >= 0.9: 1 of 2 right on test (95% interval up to 0.91): far below 0.95
    assert by["content"].get("below_target") and not by["blank"].get("below_target")
    text = render(r)
    assert "WARNING: content: only 1 of 2 test accepts right" in text
    assert "far below the 95% target" in text
    assert "under 1 of the 1 accept no person's label settles expected wrong (3 of 3 " \
           "right on test: precision to expect 88%)" in text


def test_the_web_warning_far_below_target_asks_for_labels_the_web_can_give(pages):
    """In the web app the warning said "label more calibration items for it": the
    Labelling page has no calibration set (only the test set and training, which the web's
    thresholds are worked out on), so a curator could not do it."""
    _set_policy(pages, {**KNOWN_POLICY, "target_precision": 0.95,
                        "labels": {"blank": {"accept": 0.95, "review": 0.5},
                                   "content": {"accept": 0.9, "review": 0.75}}})
    web = [w for w in plan(pages, dry_run=True, web=True).warnings if "far below" in w]
    assert web and "calibration" not in web[0]
    assert "label more items for training on the Labelling page" in web[0]
    cli = [w for w in plan(pages, dry_run=True).warnings if "far below" in w]
    assert "label more calibration items for it" in cli[0]  # the CLI can import them


def test_export_says_what_the_gold_label_that_settles_a_review_row_says(pages):
    """The two review rows a test item's gold label settles (the queue does not show
    them) were exported as action=review; they say the gold's answer now, and who gave it."""
    from glamlab.actions.export import iter_rows

    _set_policy(pages, KNOWN_POLICY)
    planned = plan(pages, dry_run=True)
    assert (planned.review_settled_by_gold, planned.review_overruled) == (2, 1)
    rows = [e.row for e in iter_rows(pages)]
    # (the rows the policy sends to review: under the accept threshold)
    accept = {k: v["accept"] for k, v in KNOWN_POLICY["labels"].items()}
    # (a row carrying a person's label in place of the model's has no score)
    settled = [r for r in rows if r["decision"] == "gold" and r["origin"] == "machine"
               and r["score"] < accept[r["value"]]]
    assert len(settled) == 2
    assert all(r["action"] == "accept" and r["confirmed_by"] and
               r["reason"].startswith("settled by a gold label") for r in settled)
    # (and the one on a test item labelled otherwise exports the person's label)
    assert sum(r["action"] == "review" for r in rows) == 4 - 2 - 1


def test_the_filter_figures_count_what_the_filter_list_leaves_out(pages, tmp_path):
    """act's filter figures (held back, sent on, money saved) and the filter list the
    export writes agree: a review candidate the item's gold label settles is held back
    by both (the dry run used to count only the policy's accepts: 8 held back, while
    the list left out 9)."""
    from glamlab.actions import act, export

    _set_policy(pages, KNOWN_POLICY)
    f = act(pages).to_dict()["filter"]
    out = tmp_path / "send-on.txt"
    export(pages, "filter", out)
    assert len(out.read_text().split()) == f["sent_on"] == 17 - f["accepted_as_positive"]
    assert f["accepted_by_people_or_gold"] >= 1


def test_act_saves_proposed_thresholds_when_policy_model_names_no_model(pages):
    """[policy] model naming a model that does not exist: act --model with the model in
    use still acts (as it does with thresholds in [policy]) and saves the thresholds it
    proposed. Before, working out whether to save them looked the missing model up
    again and stopped with "no model" after the thresholds had been proposed."""
    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)
    pages.card.raw["policy"] = {"target_precision": 0.8, "model": "gone@1"}
    pages.save_card()
    in_use = plan(pages, model="blanks@1", dry_run=True)
    assert in_use.policy_source == "default"
    done = plan(pages, model="blanks@1", dry_run=False)
    assert done.policy_source == "default" and done.counts["accept"] > 0
    assert "Saved in [policy]" in render(done.to_dict())
    saved = pages.reload_card().raw["policy"]
    assert saved["proposed_by"] == "glamlab act" and saved["optimised_with"] == "blanks@1"
    assert {k: v["accept"] for k, v in saved["labels"].items()} == {
        p["label"]: p["accept"] for p in done.policy}


def test_one_rejected_value_and_one_decided_candidate_are_said_in_the_singular(pages):
    """act's words for one rejected value and one candidate a person had decided read
    "The 1 rejected value is not written", "1 candidate a person had already decided
    was left" (they said "The 1 rejected values are", "1 candidates ... were")."""
    from glamlab.actions.act import render

    _set_policy(pages, KNOWN_POLICY)
    report = act(pages).to_dict()
    for n, want in ((1, ("The 1 rejected value is not written",
                         "1 candidate a person had already decided was left")),
                    (2, ("The 2 rejected values are not written",
                         "2 candidates a person had already decided were left"))):
        report["counts"]["reject"] = report["decided_by_people"] = n
        text = render(report)
        for words in want:
            assert words in text, (words, text)
