"""Out-of-fold predictions (what ``act`` proposes thresholds from and ``evaluate`` chooses
a model on) are kept in the workspace: ``act --dry-run``, then ``act``, then ``evaluate``
refitted the model on every fold each (minutes for the text ensemble on 1,800 Tate
records); now the second command reads what the first made, and anything the
predictions depend on (the model's parameters, the training items and their labels, the
folds, glamlab's code and packages) makes them again."""

from __future__ import annotations

import io
import time
from typing import ClassVar

import numpy as np
import pytest

from glamlab.evaluation import calibration
from glamlab.predictors.base import Predictor
from glamlab.progress import Heartbeat
from glamlab.tasks import import_labels
from glamlab.tasks.kinds import task_kind
from tests.tasks.helpers import language_project


class Frequent(Predictor):
    """The training labels' frequencies, nudged by each text's length: a cheap model
    that learns (its out-of-fold predictions differ from fold to fold)."""

    name: ClassVar[str] = "frequent"
    modalities: ClassVar[tuple[str, ...]] = ("text",)

    def __init__(self, nudge: float = 0.01):
        self.nudge = nudge

    def _fit(self, items, Y):
        self.prior_ = Y.mean(axis=0)

    def _predict_batch(self, items):
        out = np.tile(self.prior_, (len(items), 1)).astype(np.float32)
        for r, it in enumerate(items):
            out[r, r % out.shape[1]] += self.nudge * (len(it.text or "") % 7)
        return out / out.sum(axis=1, keepdims=True)


@pytest.fixture
def lang_ws(make_ws):
    return language_project(make_ws)


@pytest.fixture
def fits(monkeypatch):
    """How many times the folds were fitted (each time a command made the predictions)."""
    calls: list[str] = []
    real = calibration._out_of_fold

    def counting(ws, predictor, **kw):
        calls.append(type(predictor).__name__)
        return real(ws, predictor, **kw)

    monkeypatch.setattr(calibration, "_out_of_fold", counting)
    return calls


def _new_process():
    """What a second command starts with: nothing kept in memory."""
    calibration._OOF_CACHE.clear()


def test_a_second_command_reads_the_predictions_the_first_made(lang_ws, fits):
    _new_process()
    first = calibration.out_of_fold(lang_ws, Frequent())
    assert fits == ["Frequent"]
    _new_process()
    again = calibration.out_of_fold(lang_ws, Frequent())
    assert fits == ["Frequent"]  # not refitted
    assert again.ids == first.ids and again.golds == first.golds
    assert again.info == first.info
    kind = task_kind(lang_ws.card)
    # the same predictions: the same candidates (labels and scores, to the last digit)
    # and the same figures
    assert ([kind.candidates(p) for p in again.predictions]
            == [kind.candidates(p) for p in first.predictions])
    assert np.array_equal(kind.item_stats(again.golds, again.predictions).S,
                          kind.item_stats(first.golds, first.predictions).S)


def test_what_they_depend_on_makes_them_again(lang_ws, fits, monkeypatch):
    _new_process()
    calibration.out_of_fold(lang_ws, Frequent())
    _new_process()
    calibration.out_of_fold(lang_ws, Frequent(nudge=0.02))  # other parameters
    assert len(fits) == 2
    _new_process()
    calibration.out_of_fold(lang_ws, Frequent(), folds=3)  # other folds
    assert len(fits) == 3
    # another label on a training item
    from glamlab.tasks.splits import training_data

    data = training_data(lang_ws)
    item, gold = data.items[0], data.labels[0]
    other = next(c for c in data.classes if c != gold)
    path = lang_ws.root / "relabel.csv"
    path.write_text(f"id,label\n{item.item_id},{other}\n", encoding="utf-8")
    import_labels(lang_ws, path, replace=True)
    _new_process()
    calibration.out_of_fold(lang_ws, Frequent())
    assert len(fits) == 4
    # other code or packages (an upgrade)
    env = dict(calibration._environment())
    monkeypatch.setattr(calibration, "_environment", lambda: {**env, "glamlab": "9.9"})
    _new_process()
    calibration.out_of_fold(lang_ws, Frequent())
    assert len(fits) == 5
    _new_process()
    calibration.out_of_fold(lang_ws, Frequent())
    assert len(fits) == 5  # and then that is kept


def test_refitting_says_what_it_does(lang_ws, capsys):
    """``act`` and ``evaluate`` spent minutes printing nothing (or "evaluate: still
    working"): the line now says what is being fitted, and the outer heartbeat is quiet."""

    class Slow(Frequent):
        def _fit(self, items, Y):
            time.sleep(0.25)
            super()._fit(items, Y)

    out = io.StringIO()
    real = Heartbeat.__init__

    def quick(self, desc, **kw):
        real(self, desc, **{**kw, "stream": out, "interval": 0.1})

    _new_process()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Heartbeat, "__init__", quick)
        with Heartbeat("evaluate"):
            calibration.out_of_fold(lang_ws, Slow(), progress=True)
    said = out.getvalue()
    assert "out-of-fold predictions of frequent" in said
    assert "training items to predict the other" in said
    assert "part 1 of 5" in said
    # while the folds are fitted (from the inner line's first words to its last) the
    # outer heartbeat is quiet; before them (the training set read, its fingerprint, on a
    # loaded machine longer than the test's 0.1 s beat) it may speak
    fitting = said[said.index("out-of-fold predictions of frequent"):
                   said.rindex("out-of-fold predictions of frequent")]
    assert "evaluate: still working" not in fitting
