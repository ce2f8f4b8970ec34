"""Baselines are real predictors: fit, predict, save/load, and the rules report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glamlab.errors import ItemError, NotFittedError, PredictorError
from glamlab.items import Item
from glamlab.predictors.base import Predictor
from glamlab.predictors.baselines import (
    MajorityPredictor,
    PriorPredictor,
    RulesPredictor,
    ThresholdPredictor,
    load_rules,
    rules_report,
)
from glamlab.predictors.catalogue import available, create

DEMO_IMAGES = Path(__file__).resolve().parents[2] / "src/glamlab/demo_data/illustrations"


def _texts(texts, meta=None):
    return [Item(item_id=f"t{i}", modality="text", text=t, meta=(meta or [{}] * len(texts))[i])
            for i, t in enumerate(texts)]


def test_baselines_are_registered() -> None:
    for name in ("prior", "majority", "rules", "threshold"):
        assert name in available()
        assert create(name).name == name


def test_majority_predicts_the_commonest_label() -> None:
    items = _texts(["a"] * 5)
    p = MajorityPredictor().fit(items, ["x", "y", "y", "y", "x"])
    assert p.predict(_texts(["z", "w"])) == ["y", "y"]
    np.testing.assert_allclose(p.predict_proba(items).sum(axis=1), 1.0)


def test_majority_multi_label_predicts_the_typical_number_of_commonest_labels() -> None:
    items = _texts(["a"] * 4)
    labels = [["m", "p"], ["p", "s"], ["p", "m"], ["s", "p"]]
    p = MajorityPredictor().fit(items, labels, classes=["m", "p", "s"], multi_label=True)
    # two labels per item; "p" (4 items) then the first of the tied "m"/"s" (2 each)
    assert p.predict(items[:1]) == [["m", "p"]]
    scores = p.predict_proba(items[:1])[0]
    assert scores[1] == scores.max()  # "p" is on every item


def test_prior_guesses_in_proportion_and_is_seeded() -> None:
    train = _texts(["a"] * 10)
    p = PriorPredictor(seed=3).fit(train, ["x"] * 8 + ["y"] * 2)
    test = _texts([str(i) for i in range(4000)])
    guesses = p.predict(test)
    assert guesses.count("x") / len(guesses) == pytest.approx(0.8, abs=0.03)
    assert p.predict(test[:50]) == guesses[:50]  # independent of batching
    other = PriorPredictor(seed=4).fit(train, ["x"] * 8 + ["y"] * 2)
    assert other.predict(test[:200]) != guesses[:200]


def test_predict_before_fit_fails_clearly() -> None:
    with pytest.raises(NotFittedError):
        MajorityPredictor().predict(_texts(["a"]))


RULES = """
default = "other"

[[rule]]
name = "fig"
label = "graphic"
priority = 5
text = '(?i)\\bfig\\.'

[[rule]]
name = "maps-collection"
label = "graphic"
meta = { collection = "^maps$" }

[[rule]]
name = "short"
label = "other"
priority = 1
max_length = 5
"""


def _rules(tmp_path: Path) -> RulesPredictor:
    f = tmp_path / "rules.toml"
    f.write_text(RULES)
    return RulesPredictor(rules_file=str(f))


def test_rules_priorities_abstain_and_default(tmp_path) -> None:
    items = _texts(["see fig. 2", "fig.", "a long text", "hello world", "tiny"],
                   [{}, {}, {"collection": "maps"}, {}, {}])
    p = _rules(tmp_path).fit([], [], classes=["graphic", "other"])
    # "fig." is short too: rule fig (priority 5) beats rule short (priority 1)
    assert p.predict(items) == ["graphic", "graphic", "graphic", "other", "other"]
    votes = p.votes(items)
    assert votes[3].tolist() == [-1, -1, -1]  # every rule abstains: the default answers


def test_rules_report_on_a_hand_made_case(tmp_path) -> None:
    items = _texts(["see fig. 2", "fig.", "a long text", "hello world", "tiny", "fig. 9"],
                   [{}, {}, {"collection": "maps"}, {}, {}, {"collection": "maps"}])
    gold = [["graphic"], ["other"], ["graphic"], ["other"], None, ["graphic"]]
    p = _rules(tmp_path).fit([], [], classes=["graphic", "other"])
    r = rules_report(p, items, gold)
    rows = {row["rule"]: row for row in r["rules"]}
    # fig fires on items 0, 1, 5; maps on 2, 5; short on 1 ("fig."), 4 ("tiny")
    assert rows["fig"]["coverage"] == pytest.approx(3 / 6)
    assert rows["maps-collection"]["coverage"] == pytest.approx(2 / 6)
    assert rows["short"]["coverage"] == pytest.approx(2 / 6)
    # overlaps: fig with short on item 1, fig with maps on item 5
    assert rows["fig"]["overlaps"] == pytest.approx(2 / 6)
    assert rows["maps-collection"]["overlaps"] == pytest.approx(1 / 6)
    # conflicts: only item 1 (fig says graphic, short says other)
    assert rows["fig"]["conflicts"] == pytest.approx(1 / 6)
    assert rows["short"]["conflicts"] == pytest.approx(1 / 6)
    assert rows["maps-collection"]["conflicts"] == 0.0
    # accuracy on labelled items only (item 4 has no gold label)
    assert (rows["fig"]["correct"], rows["fig"]["incorrect"]) == (2, 1)
    assert rows["short"]["correct"] == 1 and rows["short"]["incorrect"] == 0
    assert rows["maps-collection"]["empirical_accuracy"] == 1.0
    assert r["coverage"] == pytest.approx(5 / 6)
    assert r["abstained"] == 1


def test_bad_rules_files_fail_clearly(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nname = "x"\nlabel = "graphic"\ntext = "(unclosed"\n')
    with pytest.raises(PredictorError, match="bad regular expression"):
        load_rules(bad)
    bad.write_text('[[rule]]\nlabel = "nope"\ntext = "a"\n')
    with pytest.raises(PredictorError, match="not one of the labels"):
        RulesPredictor(rules_file=str(bad)).fit([], [], classes=["graphic", "other"])
    bad.write_text('[[rule]]\nlabel = "graphic"\ncolour = "red"\n')
    with pytest.raises(PredictorError, match="unknown keys"):
        load_rules(bad)
    # wrong types are refused when the file is read, not on every item at run time
    for line, match in (('min_length = "x"', "min_length must be a whole number"),
                        ("max_length = -3", "max_length must be a whole number"),
                        ('priority = "high"', "priority must be a number"),
                        ("text = 3", "text must be text"),
                        ('meta = "maps"', "meta must be a table")):
        bad.write_text(f'[[rule]]\nname = "r"\nlabel = "graphic"\n{line}\n')
        with pytest.raises(PredictorError, match=match) as exc:
            load_rules(bad)
        assert exc.value.hint


def test_threshold_learns_a_text_length_cut() -> None:
    texts = ["x" * n for n in (1, 2, 3, 4, 30, 40, 50, 60)]
    labels = ["short"] * 4 + ["long"] * 4
    p = ThresholdPredictor(statistic="text_length").fit(_texts(texts), labels)
    assert 4 < p.threshold_ < 30
    assert p.train_balanced_accuracy_ == 1.0
    assert p.predict(_texts(["xx", "x" * 45])) == ["short", "long"]
    proba = p.predict_proba(_texts(["xx"]))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert "text_length" in p.describe()


def test_threshold_needs_two_labels() -> None:
    with pytest.raises(PredictorError, match="exactly two labels"):
        ThresholdPredictor(statistic="text_length").fit(_texts(["a", "bb", "ccc"]),
                                                        ["x", "y", "z"])


def test_threshold_on_real_page_images_and_a_bad_image() -> None:
    import csv

    with open(DEMO_IMAGES / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))[:24]
    items = [Item(item_id=r["id"], modality="image", uri=str(DEMO_IMAGES / r["path"]))
             for r in rows]
    p = ThresholdPredictor(statistic="dark_ratio", max_side=128).fit(
        items, [r["label"] for r in rows])
    assert 0.0 <= p.threshold_ <= 1.0
    assert p.train_balanced_accuracy_ >= 0.5
    broken = Item(item_id="broken", modality="image", uri=str(DEMO_IMAGES / "missing.jpg"))
    with pytest.raises(ItemError):
        p.predict_proba([broken])


@pytest.mark.parametrize("make", [
    lambda: PriorPredictor(seed=1), MajorityPredictor,
    lambda: ThresholdPredictor(statistic="digit_ratio"),
])
def test_save_load_round_trip(tmp_path, make) -> None:
    items = _texts(["a1", "b22", "c", "d444", "e", "f5"])
    labels = ["x", "y", "x", "y", "x", "y"]
    p = make().fit(items, labels)
    p.save(tmp_path / "m")
    q = Predictor.load(tmp_path / "m")
    assert type(q) is type(p)
    np.testing.assert_allclose(q.predict_proba(items), p.predict_proba(items))


def test_rules_save_load_round_trip_keeps_the_rules(tmp_path) -> None:
    p = _rules(tmp_path).fit([], [], classes=["graphic", "other"])
    p.save(tmp_path / "m")
    (tmp_path / "rules.toml").unlink()  # the saved model does not need the file any more
    q = Predictor.load(tmp_path / "m")
    items = _texts(["see fig. 1", "hello world"])
    assert q.predict(items) == ["graphic", "other"]
