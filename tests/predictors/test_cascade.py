"""Cascades: the first stage decides what it is sure of, the band learnt out-of-fold on
the training items. Real demo pages; cheap stages keep the tests quick."""

from __future__ import annotations

import numpy as np
import pytest

from glamlab.errors import PredictorError
from glamlab.items import Item
from glamlab.predictors.base import Predictor
from glamlab.predictors.catalogue import create
from glamlab.predictors.image.cascade import Cascade, choose_band
from tests.features.synthetic import demo_item, demo_rows


def test_choose_band_sends_on_only_what_the_first_stage_gets_wrong() -> None:
    # the first stage is right far from 0.5 and wrong near it; the later stage is right
    p = np.array([0.02, 0.1, 0.3, 0.45, 0.55, 0.7, 0.9, 0.98])
    y = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    lo, hi = choose_band(p, y.astype(bool), y, tolerance=0.0)
    assert (lo, hi) == (0.3, 0.7)  # only 0.45 and 0.55 go on


def test_choose_band_sends_everything_on_when_the_first_stage_is_useless() -> None:
    p = np.array([0.9, 0.8, 0.1, 0.2])
    y = np.array([0, 0, 1, 1])  # confidently wrong everywhere
    assert choose_band(p, y.astype(bool), y, tolerance=0.0) == (0.0, 1.0)


def test_a_larger_tolerance_never_sends_more_on() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.clip(y * 0.5 + rng.normal(0.25, 0.2, 200), 0, 1)
    after = y.astype(bool)
    sent = []
    for tol in (0.0, 0.02, 0.1):
        lo, hi = choose_band(p, after, y, tol)
        sent.append(int(((p > lo) & (p < hi)).sum()))
    assert sent[0] >= sent[1] >= sent[2] and sent[0] > sent[2]


def _pages(n: int = 24) -> tuple[list[Item], list[str]]:
    rows = demo_rows()
    pick = ([r for r in rows if r["label"] == "graphic"][: n // 2]
            + [r for r in rows if r["label"] == "no_graphic"][: n // 2])
    items = []
    for r in pick:
        item = demo_item(r)
        item.meta = {"document": r["document"]}
        items.append(item)
    return items, [r["label"] for r in pick]


def _cascade(**kw: object) -> Predictor:
    return create("graphic-cascade", stages=("page-stats-logreg", "graphic-windows"),
                  stage_params=({}, {"windows": "stats", "stack": "", "context": False}),
                  **kw)


def test_stages_decide_outside_the_learnt_band() -> None:
    items, labels = _pages()
    p = _cascade(folds=3).fit(items, labels)
    assert isinstance(p, Cascade)
    (lo, hi), = p.bands_
    assert 0.0 <= lo <= 0.5 <= hi <= 1.0
    proba = p.predict_proba(items)
    first = p.models_[0].predict_proba(items)
    by = p.decided_by(items)
    pos = p.classes_.index("graphic")
    for row, name in enumerate(by):
        assert name in ("page-stats-logreg", "graphic-windows")
        sure = first[row, pos] <= lo or first[row, pos] >= hi
        assert (name == "page-stats-logreg") == sure
        if sure:  # decided by the first stage: its scores, unchanged
            np.testing.assert_allclose(proba[row], first[row])
    cal = p.card()["calibration"]
    assert cal["items"] == len(items) and 0.0 <= cal["oof_sent_on"] <= 1.0
    assert cal["oof_f1_cascade"] >= cal["oof_f1_last_stage"] - p.tolerance - 1e-9


def test_a_zero_band_leaves_everything_to_the_first_stage() -> None:
    items, labels = _pages(12)
    p = _cascade(folds=2).fit(items, labels)
    p.bands_ = [(0.5, 0.5)]
    np.testing.assert_allclose(p.predict_proba(items), p.models_[0].predict_proba(items))
    p.bands_ = [(0.0, 1.0)]  # and a full band hands every page on
    np.testing.assert_allclose(p.predict_proba(items), p.models_[1].predict_proba(items))


def test_folds_are_grouped_by_book_when_the_items_say_which(monkeypatch) -> None:
    from sklearn import model_selection

    seen: list[str] = []
    real = model_selection.StratifiedGroupKFold.split

    def spy(self, X, y=None, groups=None):  # type: ignore[no-untyped-def]
        seen.append("grouped")
        return real(self, X, y, groups)

    monkeypatch.setattr(model_selection.StratifiedGroupKFold, "split", spy)
    items, labels = _pages(16)
    _cascade(folds=2).fit(items, labels)
    assert seen == ["grouped"]
    for item in items:
        item.meta = {}
    _cascade(folds=2).fit(items, labels)
    assert seen == ["grouped"]  # no book named: plain stratified folds


def test_needs_two_labels_one_of_them_the_positive() -> None:
    items, labels = _pages(12)
    with pytest.raises(PredictorError, match="two labels") as info:
        _cascade(positive_label="picture").fit(items, labels)
    assert "positive_label" in (info.value.hint or "")
    three = labels[:-2] + ["other", "other"]
    with pytest.raises(PredictorError, match="two labels"):
        _cascade().fit(items, three)
