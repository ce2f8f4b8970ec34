"""Retraining end to end on a small text task whose right answer is known: a label is
"long" when the text has more than 50 characters. The first training labels carry a
systematic mistake (51-80 characters marked "short"); reviewers correct it."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.errors import ModelNotFound
from glamlab.registry import get_model
from glamlab.registry.training import train
from glamlab.retraining.retrain import retrain, rollback
from glamlab.store import now


def _workspace(make_ws):
    ws = make_ws(modality="text", labels=["long", "short"])
    rng = np.random.default_rng(1)
    t = ws.store.t
    items, labels, splits = [], [], []
    for i in range(240):
        n = int(rng.integers(1, 101))
        iid = f"t{i:03d}"
        split = "test" if i % 4 == 0 else "train"
        truth = "long" if n > 50 else "short"
        given = "short" if (split == "train" and 50 < n <= 80) else truth
        items.append(dict(item_id=iid, version=1, is_current=True, modality="text",
                          source_kind="test", source="t", content_hash=iid, text="x" * n,
                          meta={"n": n}, created_at=now()))
        labels.append(dict(item_id=iid, label=given, annotator="import", source="t", active=True,
                           created_at=now()))
        splits.append(dict(item_id=iid, split=split, created_at=now()))
    with ws.store.write() as conn:
        conn.execute(t.items.insert(), items)
        conn.execute(t.labels.insert(), labels)
        conn.execute(t.splits.insert(), splits)
    train(ws, "threshold", name="len", params={"statistic": "text_length"})
    return ws


def _correct(ws, shortest=50, longest=80):
    """What reviewers' corrections leave in the store (see glamlab.review): the train
    texts of more than ``shortest`` and at most ``longest`` characters relabelled
    "long"."""
    t = ws.store.t
    with ws.store.write() as conn:
        rows = conn.execute(sa.select(t.items.c.item_id, t.items.c.text)
                            .join(t.splits, t.splits.c.item_id == t.items.c.item_id)
                            .where(t.splits.c.split == "train")).all()
        fixed = 0
        for item_id, text in rows:
            if shortest < len(text) <= longest:
                conn.execute(t.labels.update().where(t.labels.c.item_id == item_id)
                             .values(active=False))
                conn.execute(t.labels.insert().values(
                    item_id=item_id, label="long", annotator="rev", source="review",
                    active=True, created_at=now()))
                fixed += 1
    return fixed


def test_corrections_make_a_better_challenger_that_is_promoted_and_rolled_back(make_ws):
    ws = _workspace(make_ws)
    fixed = _correct(ws)
    report = retrain(ws, "len", n_boot=300)
    assert report.corrections == fixed > 0
    assert report.comparison["difference"] > 0.1
    assert report.promoted, report.decision.reasons
    assert get_model(ws, "len@champion").version == 2
    assert get_model(ws, "len@previous").version == 1
    back = rollback(ws, "len")
    assert back.version == 1
    assert get_model(ws, "len@champion").version == 1


def test_gate_keeps_challenger_without_gain(make_ws):
    ws = _workspace(make_ws)
    ws.card.raw["gate"] = {"min_gain": 0.02, "max_drop": 0.0}
    ws.save_card()
    report = retrain(ws, "len", n_boot=200, force=True)  # the same data: no gain
    assert not report.promoted
    assert any("less than the required" in r for r in report.decision.reasons)
    assert get_model(ws, "len@champion").version == 1
    assert get_model(ws, "len@challenger").version == 2
    with pytest.raises(ModelNotFound):
        rollback(ws, "len")


def test_cli_retrain_and_models(make_ws):
    ws = _workspace(make_ws)
    _correct(ws)
    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    r = CliRunner().invoke(cli, [*base, "retrain", "--model", "len", "--n-boot", "200"])
    assert r.exit_code == 0, r.output
    assert "Promoted" in r.output
    r = CliRunner().invoke(cli, [*base, "models"])
    assert r.exit_code == 0 and "len@2" in r.output and "champion" in r.output
    r = CliRunner().invoke(cli, [*base, "models", "rollback", "len"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, [*base, "models", "promote", "len@2"])
    assert r.exit_code == 0 and "now the model in use" in r.output


def test_models_use_never_swaps_the_version_and_in_use_follows_the_champion(make_ws):
    import json

    from glamlab.registry import champion

    ws = _workspace(make_ws)
    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])

    def in_use() -> list[str]:
        r = CliRunner().invoke(cli, [*base, "models", "--json"])
        assert r.exit_code == 0, r.output
        return [m["model"] for m in json.loads(r.output) if "in-use" in m["aliases"]]

    r = CliRunner().invoke(cli, [*base, "models", "use", "len"])
    assert r.exit_code == 0 and "now use len@1" in r.output, r.output
    assert in_use() == ["len@1"]
    _correct(ws)
    assert retrain(ws, "len", n_boot=200).promoted
    # the listing marks what glamlab run resolves: the new champion
    assert champion(ws).spec == "len@2" and in_use() == ["len@2"]
    # NAME@N of a version that is not the champion is refused with the fix, nothing changed
    r = CliRunner().invoke(cli, [*base, "models", "use", "len@1"])
    assert isinstance(r.exception, ModelNotFound), r.output  # glamlab's main: exit status 2
    assert "len@1 is not the chosen version of len (len@2 is)" in str(r.exception)
    assert "glamlab models promote len@1" in (r.exception.hint or "")
    assert "now use" not in r.output
    assert champion(ws).spec == "len@2" and in_use() == ["len@2"]
    r = CliRunner().invoke(cli, [*base, "models", "use", "len@2"])
    assert r.exit_code == 0 and "now use len@2" in r.output, r.output
    # a marker stored on an older version (before this fix) is still listed on the champion
    t = ws.store.t.model_aliases
    with ws.store.write() as conn:
        conn.execute(t.update().where(t.c.alias == "in-use").values(
            model_id=get_model(ws, "len@1").id))
    assert in_use() == ["len@2"]
    # rollback moves it with the champion title
    rollback(ws, "len")
    assert champion(ws).spec == "len@1" and in_use() == ["len@1"]


def _versions(ws) -> list[int]:
    from glamlab.registry import list_models

    return sorted(m.version for m in list_models(ws) if m.name == "len")


def _uses(ws) -> int:
    from glamlab.tasks.splits import test_data, test_uses

    return test_uses(ws, test_data(ws, freeze=False).fingerprint)


def test_retrain_without_corrections_never_promotes(make_ws):
    """With no corrections or new labels since len@1 was trained, a retrain (a nightly
    cron job) trains nothing, saves no copy of it and leaves the test split's budget
    alone; it used to save len@2, judge it on the test split, and only then refuse it."""
    ws = _workspace(make_ws)
    ws.card.raw["gate"] = {"min_gain": 0.0, "max_drop": 1.0}  # a gate that lets ties by
    ws.save_card()
    before = _uses(ws)
    report = retrain(ws, "len", n_boot=200)
    assert not report.promoted and not report.trained
    assert report.challenger is None and report.comparison == {}
    assert any("nothing new to learn from" in r and "no new version trained, the test "
               "split not used" in r for r in report.decision.reasons)
    assert _versions(ws) == [1] and get_model(ws, "len@champion").version == 1
    with pytest.raises(ModelNotFound):
        get_model(ws, "len@challenger")
    assert _uses(ws) == before == report.test_uses
    summary = report.summary()
    assert summary.startswith("Nothing new to learn from: the training labels are the ones "
                              "len@1 was trained on"), summary
    assert "len@1 stays the current model" in summary and "--force" in summary, summary
    # a correction since: the next retrain trains and judges a new version
    _correct(ws)
    assert retrain(ws, "len", n_boot=100).trained
    assert _versions(ws) == [1, 2] and _uses(ws) == before + 1


def test_retrain_names_labels_left_in_no_split(make_ws):
    """Labels imported without --split once the test split is frozen sit in no split:
    no training reads them. The retrain used to say "no new labels since", as if it had
    looked at them and found nothing."""
    ws = _workspace(make_ws)
    t = ws.store.t
    with ws.store.write() as conn:
        conn.execute(t.items.insert().values(
            item_id="late", version=1, is_current=True, modality="text", source_kind="test",
            source="t", content_hash="late", text="x" * 90, meta={}, created_at=now()))
        conn.execute(t.labels.insert().values(item_id="late", label="long", annotator="maria",
                                              source="t", active=True, created_at=now()))
    report = retrain(ws, "len", n_boot=100)
    assert not report.trained
    (reason,) = report.decision.reasons
    assert "1 labelled item is in no split" in reason and "--split train" in reason, reason


def test_retrain_force_trains_and_compares_without_anything_new(make_ws):
    """force=True (glamlab retrain --force): the old way, a new version trained on the
    same data and judged on the test split, and still never promoted."""
    ws = _workspace(make_ws)
    ws.card.raw["gate"] = {"min_gain": 0.0, "max_drop": 1.0}
    ws.save_card()
    before = _uses(ws)
    report = retrain(ws, "len", n_boot=200, force=True)
    assert report.trained and not report.promoted and report.challenger == "len@2"
    assert any("nothing new to learn from" in r and "not used" not in r
               for r in report.decision.reasons)
    assert _versions(ws) == [1, 2] and get_model(ws, "len@champion").version == 1
    assert report.test_uses == _uses(ws) == before + 1


def test_cli_retrain_with_nothing_new_says_so_and_exits_0(make_ws):
    import json

    ws = _workspace(make_ws)
    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    before = _uses(ws)
    r = CliRunner().invoke(cli, [*base, "retrain", "--model", "len", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["trained"] is False and out["promoted"] is False
    assert out["champion"] == "len@1" and out["challenger"] is None
    assert out["comparison"] == {} and out["test_uses"] == before and out["waiting"] == 0
    assert "nothing new to learn from" in out["gate"]["reasons"][0]
    r = CliRunner().invoke(cli, [*base, "retrain", "--model", "len"])
    assert r.exit_code == 0, r.output
    assert "Nothing new to learn from" in r.output and "the test split not used" in r.output
    assert _versions(ws) == [1] and _uses(ws) == before
    r = CliRunner().invoke(cli, [*base, "retrain", "--model", "len", "--force", "--json",
                                 "--n-boot", "100"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["trained"] is True and out["challenger"] == "len@2" and not out["promoted"]
    assert _versions(ws) == [1, 2] and _uses(ws) == before + 1


def test_the_test_split_has_a_budget_of_uses(make_ws):
    """Each gate decision uses the test split once; past [gate] test_budget every
    evaluation and retrain warns that its figures flatter the choices made on it."""
    from glamlab.evaluation import evaluate, model_candidates

    ws = _workspace(make_ws)
    ws.card.raw["gate"] = {"test_budget": 2}
    ws.save_card()
    first = retrain(ws, "len", n_boot=100, force=True)
    assert first.test_uses == 1 and first.test_budget == 2 and not first.notes
    assert "judged 1 time(s) (budget 2)" in first.summary()
    second = retrain(ws, "len", n_boot=100, force=True)
    assert second.test_uses == 2 and not any("budget" in n for n in second.notes)
    third = retrain(ws, "len", n_boot=100, force=True)
    assert third.test_uses == 3
    assert any("past its budget of 2" in n for n in third.notes)
    ev = evaluate(ws, model_candidates(ws, ["len@1"]), n_boot=50, store=False)
    assert ev.test_uses == 4 and any("past its budget" in w for w in ev.warnings)
    assert ev.to_dict()["test_uses"] == 4


def test_retrain_words_the_difference_one_way_challenger_minus_champion(make_ws):
    """The comparison and the gate state the same difference with the same sign, and say
    what it subtracts (the walkthrough printed "+0.001" and "gains -0.001" for one
    difference). Here wrong corrections make the challenger worse, so the evaluation's own
    comparison has the champion second and is read the other way round."""
    ws = _workspace(make_ws)
    _correct(ws, shortest=5, longest=50)  # "corrections" that mark 6-50 characters "long"
    report = retrain(ws, "len", n_boot=200)
    diff = report.comparison["difference"]
    assert diff < 0 and not report.promoted
    assert diff == pytest.approx(report.comparison["challenger"] - report.comparison["champion"])
    verdict = report.comparison["verdict"]
    assert "current model len@1" in verdict and "new version len@2" in verdict, verdict
    assert f"new version minus current model: {diff:+.3f}" in verdict, verdict
    gate = " ".join(report.decision.reasons)
    assert f"{diff:+.3f} (new version minus current model)" in gate, gate
    # people read 'new version' and 'current model', never 'challenger' (the JSON keeps
    # its keys)
    summary = report.summary()
    assert "challenger" not in summary.lower(), summary
    assert summary.startswith("New version len@2 trained on "), summary
    assert ("Not promoted: len@2 stays a new version being compared (not in use); len@1 "
            "stays the current model.") in summary, summary
    assert {"champion", "challenger"} <= set(report.to_dict())
    assert "+" + f"{abs(diff):.3f}" not in report.summary(), report.summary()


def _stored_verdict(ws) -> str:
    t = ws.store.t.evaluations
    with ws.store.read() as conn:
        results = conn.execute(sa.select(t.c.results).order_by(t.c.id.desc()).limit(1)).scalar()
    return str(results["verdict"])


def test_a_retrain_says_the_baselines_were_not_re_run_when_they_were_measured_before(make_ws):
    """A retrain compares champion and challenger only. Its stored evaluation says "No
    baseline was measured" only when none ever was; after `glamlab evaluate` measured them
    it says they were not re-run, when they were last measured and their best figure."""
    from glamlab.evaluation import evaluate, fit_baselines, model_candidates

    ws = _workspace(make_ws)
    retrain(ws, "len", n_boot=50, force=True)
    assert "No baseline was measured" in _stored_verdict(ws)

    cands, _ = fit_baselines(ws)
    measured = evaluate(ws, [*cands, *model_candidates(ws, ["len@1"])], n_boot=50)
    base = {c.name: c.metrics[measured.metric]["value"] for c in measured.candidates
            if c.kind == "baseline"}
    value = max(base.values())
    retrain(ws, "len", n_boot=50, force=True)
    words = _stored_verdict(ws)
    assert "No baseline was measured" not in words, words
    assert "The baselines were not re-run in this evaluation" in words, words
    assert f"last measured on {now():%Y-%m-%d}, on this same test split" in words, words
    named = words.split("the best of them was ")[1].split(":")[0]
    assert base[named] == value and f" {value:.2f} [" in words, words


def test_a_correction_another_annotator_labelled_over_is_not_counted_as_one(make_ws):
    """Training uses the label in force (the annotator who labelled the item last); a
    reviewer's correction that a curator labelled over since still counted as one of the
    challenger's corrections."""
    from glamlab.retraining.retrain import _corrections
    from glamlab.tasks.splits import training_data

    ws = _workspace(make_ws)
    fixed = _correct(ws)
    ids = training_data(ws).ids
    assert _corrections(ws, ids) == fixed
    t = ws.store.t
    with ws.store.write() as conn:  # a curator labels three of them since (in the web app)
        again = sorted(conn.execute(sa.select(t.labels.c.item_id)
                                    .where(t.labels.c.source == "review")).scalars())[:3]
        conn.execute(t.labels.insert(), [dict(item_id=i, label="long", annotator="cur",
                                              source="web", active=True, created_at=now())
                                         for i in again])
    assert _corrections(ws, ids) == fixed - 3


def test_the_gate_crowns_a_challenger_without_moving_the_model_in_use(make_ws):
    """promote() makes the model in use (as glamlab models promote); the gate's own
    crowning of a name's challenger does not: retraining a name that is not in use
    leaves the project's model in use where a person or the verdict put it."""
    from glamlab.registry import champion, in_use, use_model
    from glamlab.retraining import promote

    ws = _workspace(make_ws)
    train(ws, "majority", name="maj")
    use_model(ws, "maj")
    _correct(ws)
    assert retrain(ws, "len", n_boot=200).promoted
    assert champion(ws, "len").version == 2
    assert in_use(ws) == "maj" and champion(ws).spec == "maj@1"
    assert promote(ws, "len@1").spec == "len@1"  # a person's promotion: now in use
    assert in_use(ws) == "len" and champion(ws).spec == "len@1"
    assert get_model(ws, "len@previous").version == 2


def test_retrain_gives_the_interval_of_the_difference_on_the_test_split(make_ws):
    """A retrained model "0.027 lower" than its champion says little on its own: on a
    small test split that is often within the noise. The report gives the 95% interval of
    challenger minus champion (the same sign as the difference), in the JSON and in the
    summary, with how many test items it rests on."""
    ws = _workspace(make_ws)
    _correct(ws, shortest=5, longest=50)  # wrong "corrections": the challenger is worse
    report = retrain(ws, "len", n_boot=200)
    c = report.comparison
    assert c["difference"] < 0
    assert c["low"] <= c["difference"] <= c["high"] and c["low"] < c["high"], c
    assert c["test_items"] == 60
    assert report.to_dict()["comparison"]["low"] == c["low"]
    summary = report.summary()
    assert (f"95% interval of the difference {c['low']:+.3f} to {c['high']:+.3f} over its "
            "60 items") in summary, summary
