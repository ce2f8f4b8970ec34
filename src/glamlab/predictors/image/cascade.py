"""Cascades: cheap predictors decide the items they are sure of, dearer ones see the rest.

A collection of millions of pages cannot afford a network on every window of every
page, but most pages are easy: a full-page woodcut, a plain page of text. A
:class:`Cascade` runs its first stage (e.g. ``local-stats-gbm``, no network)
on every item; an item whose score for ``positive_label`` falls outside the stage's
*band* ``[lo, hi]`` is decided there, and only the items inside the band go on to the
next stage (e.g. ``graphic-windows``); the last stage decides every item it gets.

The bands are learnt, never set by hand, from calibration data: out-of-fold scores of
every stage on the training items (folds grouped by ``item.meta[group_by]``, e.g. the
book, when the items carry it, so that a stage is not judged on pages of books it saw).
For each stage, from the last but one back to the first, the band chosen is the
narrowest (the fewest items sent on) whose cascade keeps the out-of-fold F1 of the
positive label within ``tolerance`` of what sending every item on would give. The test
folder is never used: the bands come from the training items alone.

``predict_proba`` returns, for each item, the scores of the stage that decided it;
:meth:`Cascade.decided_by` says which stage that was.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import PredictorError
from ..base import Predictor, param_fix

if TYPE_CHECKING:
    import numpy as np

    from ...items import Item

log = logging.getLogger(__name__)


class Cascade(Predictor):
    """Stages named by registry name (``stages``), each with its parameters
    (``stage_params``, one dict per stage); see the module docstring."""

    name: ClassVar[str] = "cascade"
    modalities: ClassVar[tuple[str, ...]] = ("image", "text")
    supports_multi_label: ClassVar[bool] = False
    batch_size: ClassVar[int] = 256
    intended_use = ("Fast two-label classification of large collections: a cheap model "
                    "decides the items it is sure of and a dearer one the rest, with the "
                    "hand-over learnt from the training items.")
    limitations = ("The hand-over is learnt on the training items: on a collection unlike "
                   "them the cheap stage may be sure and wrong; re-train with labelled items "
                   "from the new material. Two labels only.")

    def __init__(self, stages: tuple[str, ...] = ("local-stats-gbm", "graphic-windows"),
                 stage_params: tuple[dict[str, Any], ...] = (), positive_label: str = "graphic",
                 tolerance: float = 0.01, folds: int = 3, group_by: str = "document",
                 seed: int = 0):
        self.stages = tuple(stages)
        self.stage_params = tuple(stage_params)
        self.positive_label = positive_label
        self.tolerance = tolerance
        self.folds = folds
        self.group_by = group_by
        self.seed = seed

    # -- helpers --------------------------------------------------------------------------
    def _make(self, i: int) -> Predictor:
        from ..catalogue import create

        params = dict(self.stage_params[i]) if i < len(self.stage_params) else {}
        return create(self.stages[i], **params)

    def _check(self) -> None:
        if len(self.stages) < 1:
            raise PredictorError(f"{self.name}: no stages", hint="name at least one predictor")
        if len(self.stage_params) > len(self.stages):
            raise PredictorError(f"{self.name}: {len(self.stage_params)} parameter sets for "
                                 f"{len(self.stages)} stages",
                                 hint="give one dict of parameters per stage, or none")
        if len(self.classes_) != 2 or self.positive_label not in self.classes_:
            raise PredictorError(
                f"{self.name}: needs exactly two labels, one of them {self.positive_label!r}; "
                f"the task has {self.classes_}",
                hint=param_fix("positive_label", "<one of the two labels>"))

    def _groups(self, items: list[Item]) -> list[Any] | None:
        if not self.group_by:
            return None
        groups = [(it.meta or {}).get(self.group_by) for it in items]
        if any(g is None for g in groups) or len(set(groups)) < 2:
            return None
        return groups

    # -- fitting --------------------------------------------------------------------------
    def _fit(self, items: list[Item], Y: np.ndarray) -> None:
        import numpy as np

        self._check()
        pos = self.classes_.index(self.positive_label)
        y = Y[:, pos].astype(int)
        labels = [self.classes_[int(i)] for i in Y.argmax(axis=1)]
        self.models_ = [self._make(i).fit(items, labels, classes=self.classes_)
                        for i in range(len(self.stages))]
        n = len(self.stages)
        self.bands_: list[tuple[float, float]] = [(0.5, 0.5)] * (n - 1)
        self.calibration_: dict[str, Any] = {"items": len(items)}
        if n == 1:
            return
        oof = self._out_of_fold(items, labels, y)
        if oof is None:  # too few items of a label to calibrate: every item goes on
            self.bands_ = [(0.0, 1.0)] * (n - 1)
            self.calibration_["note"] = "too few items of a label for out-of-fold scores"
            return
        decision = oof[-1] >= 0.5
        sent = np.ones(len(items), dtype=bool)
        for i in range(n - 2, -1, -1):
            lo, hi = choose_band(oof[i], decision, y, self.tolerance / (n - 1))
            self.bands_[i] = (lo, hi)
            inside = (oof[i] > lo) & (oof[i] < hi)
            decision = np.where(inside, decision, oof[i] >= 0.5)
            sent = inside if i == 0 else sent
        self.calibration_.update(_f1_report(oof, decision, y, sent))

    def _out_of_fold(self, items: list[Item], labels: list[str],
                     y: np.ndarray) -> list[np.ndarray] | None:
        """Out-of-fold scores of every stage on the training items."""
        import numpy as np
        from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

        folds = min(self.folds, int(np.bincount(y, minlength=2).min()))
        if folds < 2:
            return None
        groups = self._groups(items)
        if groups is not None and len(set(groups)) >= folds:
            split = StratifiedGroupKFold(folds, shuffle=True, random_state=self.seed)
            parts = list(split.split(np.zeros(len(y)), y, groups))
        else:
            split_plain = StratifiedKFold(folds, shuffle=True, random_state=self.seed)
            parts = list(split_plain.split(np.zeros(len(y)), y))
        pos = self.classes_.index(self.positive_label)
        out = [np.zeros(len(items)) for _ in self.stages]
        for train, test in parts:
            if len(set(y[train])) < 2:
                return None
            tr_items = [items[j] for j in train]
            tr_labels = [labels[j] for j in train]
            te_items = [items[j] for j in test]
            for i in range(len(self.stages)):
                model = self._make(i).fit(tr_items, tr_labels, classes=self.classes_)
                out[i][test] = model.predict_proba(te_items)[:, pos]
        return out

    # -- predicting -----------------------------------------------------------------------
    def _stage_of(self, items: list[Item]) -> tuple[np.ndarray, np.ndarray]:
        """Scores ``(n, n_classes)`` and the index of the stage that decided each item."""
        import numpy as np

        pos = self.classes_.index(self.positive_label)
        out = np.zeros((len(items), len(self.classes_)))
        stage = np.full(len(items), -1)
        todo = np.arange(len(items))
        for i, model in enumerate(self.models_):
            if not len(todo):
                break
            proba = model.predict_proba([items[j] for j in todo])
            if i < len(self.bands_):
                lo, hi = self.bands_[i]
                p = proba[:, pos]
                done = (p <= lo) | (p >= hi)
            else:
                done = np.ones(len(todo), dtype=bool)
            out[todo[done]] = proba[done]
            stage[todo[done]] = i
            todo = todo[~done]
        return out, stage

    def _predict_batch(self, items: list[Item]) -> np.ndarray:
        return self._stage_of(items)[0]

    def decided_by(self, items: list[Item]) -> list[str]:
        """The name of the stage whose scores each item gets."""
        from ...errors import NotFittedError

        if not getattr(self, "fitted_", False):
            raise NotFittedError(f"{self.name}: decided_by called before fit",
                                 hint="call fit(items, labels) first, or load a saved model")
        stage = self._stage_of(list(items))[1]
        return [self.stages[int(s)] for s in stage]

    def learned_state(self) -> dict[str, Any]:
        return {"models_": self.models_, "bands_": self.bands_,
                "calibration_": self.calibration_}

    def card(self) -> dict[str, Any]:
        card = super().card()
        if getattr(self, "fitted_", False):
            card["bands"] = [{"stage": self.stages[i], "decides_below": lo, "decides_above": hi}
                             for i, (lo, hi) in enumerate(self.bands_)]
            card["calibration"] = self.calibration_
        return card


def choose_band(p: np.ndarray, after: np.ndarray, y: np.ndarray,
                tolerance: float) -> tuple[float, float]:
    """The band ``(lo, hi)`` of scores ``p`` (items with ``lo < p < hi`` go on to the
    decisions ``after``; the others are decided by ``p >= 0.5``) that sends the fewest
    items on while the F1 of label 1 stays at least F1(``after``) - ``tolerance``.
    Ties go to the band that sends more items on (the safer one)."""
    import numpy as np

    y = np.asarray(y).astype(bool)
    after = np.asarray(after).astype(bool)
    target = _f1(after, y) - tolerance
    # candidate edges: 0 / 1 and the scores themselves on each side of 0.5
    los = _candidates(np.concatenate([[0.0], p[p < 0.5]]))
    his = _candidates(np.concatenate([[1.0], p[p >= 0.5]]))
    best: tuple[int, float, float] | None = None
    for lo in los:
        below = p <= lo  # decided negative
        for hi in his[::-1]:  # from the widest band down: stop at the first failure
            above = p >= hi
            pred = np.where(below, False, np.where(above, True, after))
            if _f1(pred, y) < target:
                break
            sent = int((~below & ~above).sum())
            if best is None or sent < best[0]:
                best = (sent, float(lo), float(hi))
    if best is None:
        return 0.0, 1.0
    return best[1], best[2]


def _candidates(values: np.ndarray, most: int = 200) -> np.ndarray:
    """The distinct values, or ``most`` of their quantiles (and the ends) when there are
    more: the search stays quick on large training sets."""
    import numpy as np

    values = np.unique(values)
    if len(values) > most:
        values = np.unique(np.concatenate([values[[0, -1]],
                                           np.quantile(values, np.linspace(0, 1, most))]))
    return values  # type: ignore[no-any-return]


def _f1(pred: np.ndarray, y: np.ndarray) -> float:
    tp = float((pred & y).sum())
    denom = float(pred.sum() + y.sum())
    return 2 * tp / denom if denom else 1.0


def _f1_report(oof: list[np.ndarray], decision: np.ndarray, y: np.ndarray,
               sent: np.ndarray) -> dict[str, Any]:
    yb = y.astype(bool)
    return {"oof_f1_cascade": round(_f1(decision, yb), 4),
            "oof_f1_last_stage": round(_f1(oof[-1] >= 0.5, yb), 4),
            "oof_f1_first_stage": round(_f1(oof[0] >= 0.5, yb), 4),
            "oof_sent_on": round(float(sent.mean()), 4)}


class GraphicCascade(Cascade):
    """Pages with illustrations, ornaments, rules or rubric marks, faster: page and
    densest-window statistics (``local-stats-gbm``, no network) decide the pages they are
    sure of and ``graphic-windows`` (one EfficientNet-Lite0 pass per page, 33 windows
    pooled from it) the rest. On the dev split (5-fold cross-validation by book, seed 0)
    it sends about a fifth of unseen books' pages on and runs at about 24 pages/s on 2
    cores, F1 0.892 against graphic-windows' 0.895 at 9-10 pages/s.

    Chosen on the dev split (5-fold cross-validation by book, out-of-fold scores): with
    ``page-stats-gbm`` first, the band that keeps F1 within 0.01 of graphic-windows
    sends 53-62 % of the pages on and still loses 3-4 points (page statistics are
    confidently wrong on small ornaments); with ``local-stats-gbm`` first 9-15 % go on.

    ``tolerance`` stays 0.01: a smaller one does not close the gap. Dev split, 5-fold CV
    by book, seeds 0 / 1 / 2 (the outer folds), F1 and the share of pages sent on,
    against graphic-windows' 0.8947 / 0.8987 / 0.9043 on the same folds (session 48):
    0.01: 0.8918 / 0.8670 / 0.9038, 8.5 / 14.4 / 7.6 % sent on;
    0.005: 0.8927 / 0.8783 / 0.9021, 13.6 / 17.4 / 12.3 %;
    0.0025: 0.8918 / 0.8783 / 0.8898, 14.8 / 21.6 / 15.7 %.
    Seed 1 loses 2-3 points at every tolerance, and seed 2 loses more at 0.0025 than at
    0.01: the band learnt on the training books' out-of-fold scores does not carry over
    exactly to unseen books, so sending a few more pages on buys little.

    Blending the two stages' scores for the pages in the band does not help either (same
    CV, rule fixed before measuring: F1 >= the cascade's and >= graphic-windows' - 0.005
    on every seed, <= 38 % sent on). A logistic regression over both scores' logits,
    fitted on the training books' in-band out-of-fold pages (same band), gives 0.8918 /
    0.8729 / 0.9000 on seeds 0 / 1 / 2 against the cascade's 0.8918 / 0.8670 / 0.9038;
    fitted on all training pages with the band re-learnt against it, 0.8966 / 0.8632 /
    0.8992 (7.2 / 7.6 / 8.1 % sent on). Both fail on seeds 1 and 2 (session 49).
    """

    name: ClassVar[str] = "graphic-cascade"
    modalities: ClassVar[tuple[str, ...]] = ("image",)
    intended_use = ("Finding the pages with illustrations, ornaments, rules and rubric marks "
                    "in a large collection: page and window statistics decide the clear "
                    "pages (a full woodcut, a plain page of text) and graphic-windows' "
                    "window classifier the doubtful ones; the hand-over is learnt from the "
                    "training pages (out-of-fold, grouped by book when the pages say which).")
    limitations = (Cascade.limitations + " graphic-windows' limits apply to the pages it "
                   "sees (thin ornament bands, drop capitals, coloured paragraph marks); "
                   "its speed depends on how many pages are doubtful. Needs the images "
                   "extra (torch; onnxruntime for speed).")
