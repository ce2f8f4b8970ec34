"""Blank pages before paid OCR: ``blank-ink``, a predictor that looks for ink and
never throws away a page it is unsure about.

The page is measured by :class:`glamlab.features.ink.InkEvidence` (inked cells at
six contrasts relative to the page's own paper and grain, how clustered they are,
the strongest contrasts, dark areas; scan background and page edges left out).
Every one of those numbers is evidence of ink, so the model is a logistic regression
whose weights are constrained so that **more ink can never make a page more likely
blank** (a monotone model: it cannot learn "a dark edge means blank" from the way a
training set happens to be made, and it extrapolates sensibly to pages with more or
stronger ink than it was trained on).

The decision favours ``content``. ``predict_proba`` gives the calibrated probability;
the page is called blank only when that probability reaches ``threshold_``, chosen
on the training pages alone: ``margin`` logits (by default 2: the odds of blank
multiplied by e^2, about 7.4) above the most blank-looking *content* page seen in
out-of-fold predictions, and at least ``min_threshold``. Pages between 0.5 and that
threshold go to a person (:meth:`BlankInk.decide`; :meth:`BlankInk.policy` writes the
same as a ``[policy]`` table), so a page with a little ink is paid for rather than
lost. One rule comes on top (``guard``): a page with a row of glyph-shaped marks (two or
more letter-sized strokes side by side: a page number, a word, a shelfmark; see
:func:`glamlab.features.ink.glyph_rows`) is never scored at the threshold or above, so
it goes to a person at most, however little ink it has otherwise. A lone page number
is indistinguishable from a speck of dirt by amount of ink alone; its shape is not. :meth:`BlankInk.explain` says why, with boxes of the ink found and of the page
edges that were ignored.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import PredictorError
from ...said import in_words
from ..base import Predictor, param_fix

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from ...items import Item


def _n_model() -> int:
    from ...features.ink import MODEL_FEATURES

    return len(MODEL_FEATURES)


#: columns of the ink features the model weighs (the rest are guards)
N_MODEL = _n_model()


class MonotoneLogit:
    """L2-regularised logistic regression on standardised features whose weights are
    bounded in sign (``sign[j]`` = -1: weight <= 0, +1: >= 0, 0: free), fitted with
    L-BFGS-B. ``decision_function`` gives the log-odds of class 1."""

    def __init__(self, C: float = 1.0, sign: Sequence[int] | None = None):
        self.C = C
        self.sign = sign

    def fit(self, X: np.ndarray, y: np.ndarray) -> MonotoneLogit:
        import numpy as np
        from scipy.optimize import minimize

        X = np.asarray(X, dtype=np.float64)
        t = 2.0 * np.asarray(y, dtype=np.float64) - 1.0
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0)
        self.scale_[self.scale_ < 1e-9] = 1.0
        Z = (X - self.mean_) / self.scale_
        d = Z.shape[1]
        sign = list(self.sign) if self.sign is not None else [0] * d
        bounds = [(None, 0.0) if s < 0 else (0.0, None) if s > 0 else (None, None) for s in sign]
        bounds.append((None, None))  # intercept
        inv_c = 1.0 / self.C

        def loss(p: np.ndarray) -> tuple[float, np.ndarray]:
            w, b = p[:d], p[d]
            m = t * (Z @ w + b)
            s = -t * np.exp(-np.logaddexp(0.0, m))  # -t * sigmoid(-m)
            value = float(np.logaddexp(0.0, -m).sum() + 0.5 * inv_c * (w @ w))
            return value, np.concatenate([Z.T @ s + inv_c * w, [s.sum()]])

        res = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", bounds=bounds)
        self.coef_ = res.x[:d]
        self.intercept_ = float(res.x[d])
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        import numpy as np

        Z = (np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_
        return Z @ self.coef_ + self.intercept_  # type: ignore[no-any-return]

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Each feature's part of one page's log-odds (relative to an average page)."""
        return (x - self.mean_) / self.scale_ * self.coef_  # type: ignore[no-any-return]


def _sigmoid(z: Any) -> Any:
    import numpy as np

    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


class BlankInk(Predictor):
    """Blank or content from ink evidence, deciding with a margin that favours content.

    Parameters: ``positive_label`` (the label meaning "no ink of its own", default
    ``blank``), ``C`` (inverse regularisation), ``margin`` (logits between the most
    blank-looking training content page and the auto-blank threshold),
    ``min_threshold`` / ``max_threshold`` (bounds of that threshold), ``folds`` (for
    the out-of-fold scores), ``guard`` (never withhold a page with a row of glyphs),
    ``max_side`` (working size of the page), ``seed``.
    """

    name: ClassVar[str] = "blank-ink"
    modalities: ClassVar[tuple[str, ...]] = ("image",)
    supports_multi_label: ClassVar[bool] = False
    batch_size: ClassVar[int] = 64
    intended_use = ("Blank pages before paid OCR: finds the ink a page carries (printing, "
                    "writing, stamps, marks; faint ones too) relative to its own paper, "
                    "ignores scan background, page edges and faint show-through, and calls a "
                    "page blank only with a margin; unsure pages go to a person. Over 100 "
                    "pages/s on two CPU cores.")
    limitations = ("Learns how much ink a blank page of the training volumes may show: "
                   "strong show-through, heavy stains, dirt, holes or a dark fold can look "
                   "like ink (the page is then sent to OCR, the safe mistake). A mark fainter "
                   "than about 5 % of the paper's brightness, or smaller than a few pixels at "
                   "600 px, is invisible to it. Pages scanned with other layouts (several "
                   "pages per image, large rulers or colour charts inside the page) need "
                   "labelled examples.")

    def __init__(self, positive_label: str = "blank", C: float = 1.0, margin: float = 2.0,
                 min_threshold: float = 0.5, max_threshold: float = 0.995, folds: int = 5,
                 guard: bool = True, max_side: int = 600, seed: int = 0):
        self.positive_label = positive_label
        self.guard = guard
        self.C = C
        self.margin = margin
        self.min_threshold = min_threshold
        self.max_threshold = max_threshold
        self.folds = folds
        self.max_side = max_side
        self.seed = seed

    # -- features ---------------------------------------------------------------------
    def _extractor(self) -> Any:
        from ...features.ink import InkEvidence

        return InkEvidence(max_side=int(self.max_side))

    def _features(self, items: list[Item]) -> np.ndarray:
        import numpy as np

        from ...features import get_features

        X = get_features(None, items, self._extractor()).astype(np.float64)
        return np.nan_to_num(X, nan=0.0, posinf=0.0, neginf=0.0)  # type: ignore[no-any-return]

    def _training_features(self, items: list[Item]) -> tuple[np.ndarray, np.ndarray]:
        """Features of the readable training pages and their positions; an unreadable
        page is left out and named in ``skipped_`` (and ``fit_notes_``)."""
        import numpy as np

        from ...features import compute_features

        res = compute_features(None, items, self._extractor())
        self.skipped_: list[dict[str, str]] = [{"item": item_id, "reason": exc.message}
                         for item_id, exc in res.failures.items()]
        self.fit_notes_: list[str] = ([f"{len(self.skipped_)} training pages could not be read and were "
                            f"left out (e.g. {self.skipped_[0]['item']}: "
                            f"{self.skipped_[0]['reason']})"] if self.skipped_ else [])
        where = {item_id: row for row, item_id in enumerate(res.item_ids)}
        keep = np.array([i for i, it in enumerate(items) if it.item_id in where], dtype=int)
        X = res.values[[where[items[i].item_id] for i in keep]].astype(np.float64)
        return np.nan_to_num(X, nan=0.0, posinf=0.0, neginf=0.0), keep

    def _model(self, n_features: int) -> MonotoneLogit:
        # class 1 = blank: every ink feature may only lower its log-odds
        return MonotoneLogit(C=self.C, sign=[-1] * n_features)

    # -- fitting ----------------------------------------------------------------------
    def _fit(self, items: list[Item], Y: np.ndarray) -> None:
        import numpy as np
        from sklearn.model_selection import StratifiedKFold

        if self.positive_label not in self.classes_:
            raise PredictorError(
                f"{self.name}: the task's labels {self.classes_} do not include "
                f"{self.positive_label!r}",
                hint=param_fix("positive_label", f"<one of {', '.join(self.classes_)}>"))
        if len(self.classes_) != 2:
            raise PredictorError(f"{self.name} needs exactly two labels (blank and content), "
                                 f"not {len(self.classes_)}",
                                 hint="use it for yes/no tasks such as blank pages")
        if not 0.5 <= self.min_threshold <= self.max_threshold < 1.0:
            raise PredictorError(f"{self.name}: need 0.5 <= min_threshold <= max_threshold < 1",
                                 hint=in_words(
                                     "e.g. params={'min_threshold': 0.5, 'max_threshold': "
                                     "0.995}",
                                     "e.g. --param min_threshold=0.5 --param "
                                     "max_threshold=0.995",
                                     "ask whoever runs glamlab on the server to train it with "
                                     "min_threshold 0.5 and max_threshold 0.995"))
        pos = self.classes_.index(self.positive_label)
        y = Y[:, pos].astype(int)
        self.skipped_ = []
        self.fit_notes_ = []
        self.constant_: float | None = None
        if y.min() == y.max():  # one class only: a constant model, honestly
            self.model_: MonotoneLogit | None = None
            self.constant_ = float(y[0])
            self.threshold_ = self.max_threshold
            self.training_ = {"pages": len(y), "note": "one label only: a constant model"}
            return
        X, keep = self._training_features(items)
        y = y[keep]
        if y.min() == y.max():
            raise PredictorError(f"{self.name}: after leaving out {len(self.skipped_)} unreadable "
                                 "pages, only one label is left",
                                 hint="replace the unreadable files (see the training notes)")
        X = X[:, :N_MODEL]  # the glyph-row guard is a rule, not a weight
        self.model_ = self._model(X.shape[1]).fit(X, y)
        # out-of-fold scores of the training pages choose the auto-blank threshold (the
        # guard left out: the margin must hold for pages it does not protect)
        folds = min(int(self.folds), int(np.bincount(y).min()))
        if folds >= 2:
            oof = np.zeros(len(y))
            split = StratifiedKFold(folds, shuffle=True, random_state=self.seed)
            for tr, te in split.split(X, y):
                oof[te] = self._model(X.shape[1]).fit(X[tr], y[tr]).decision_function(X[te])
        else:
            oof = self.model_.decision_function(X)
        worst_content = float(oof[y == 0].max())
        t = max(_logit(self.min_threshold), worst_content + float(self.margin))
        t = min(t, _logit(self.max_threshold))
        self.threshold_ = float(_sigmoid(t))
        blank_auto = int((oof[y == 1] >= t).sum())
        self.training_ = {
            "pages": len(y), "blank": int(y.sum()), "content": int((1 - y).sum()),
            "folds": folds,
            "most_blank_looking_content": round(float(_sigmoid(worst_content)), 4),
            "threshold": round(self.threshold_, 4),
            "blank_auto_share": round(blank_auto / max(int(y.sum()), 1), 4),
            "content_above_threshold": int((oof[y == 0] >= t).sum()),
        }

    # -- predicting -------------------------------------------------------------------
    def blank_probability(self, items: Sequence[Item]) -> np.ndarray:
        """Calibrated probability that each page is blank."""
        proba = self.predict_proba(items)
        return proba[:, self.classes_.index(self.positive_label)]  # type: ignore[no-any-return]

    def _probability(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P(blank) from feature rows, and which rows the guard capped: a page with a row
        of glyph-shaped marks (a page number, a word) is never scored at the auto-blank
        threshold or above, so it goes to a person at most."""
        import numpy as np

        if self.model_ is None:
            p = np.full(len(X), float(self.constant_ or 0.0))
        else:
            p = _sigmoid(self.model_.decision_function(X[:, :N_MODEL]))
        capped = np.zeros(len(X), dtype=bool)
        if self.guard:
            capped = (X[:, N_MODEL] >= 1) & (p >= self.threshold_)
            p = np.where(capped, self.threshold_ - 1e-6, p)
        return p, capped

    def _predict_batch(self, items: list[Item]) -> np.ndarray:
        import numpy as np

        pos = self.classes_.index(self.positive_label)
        p, _ = self._probability(self._features(items))
        out = np.empty((len(items), 2))
        out[:, pos] = p
        out[:, 1 - pos] = 1.0 - p
        return out

    def predict(self, items: Sequence[Item], threshold: float | None = None) -> list[Any]:
        """The decision: ``positive_label`` only where its probability reaches
        ``threshold_`` (the margin that favours content), else the other label."""
        t = self.threshold_ if threshold is None else threshold
        other = self.classes_[1 - self.classes_.index(self.positive_label)]
        return [self.positive_label if p >= t else other for p in self.blank_probability(items)]

    def decide(self, items: Sequence[Item]) -> list[dict[str, Any]]:
        """Per page: ``withhold`` (blank for sure: do not pay for OCR), ``review`` (looks
        blank, but not by the margin: a person decides) or ``send`` (send to OCR)."""
        out = []
        for item, p in zip(items, self.blank_probability(items), strict=True):
            action = "withhold" if p >= self.threshold_ else "review" if p >= 0.5 else "send"
            out.append({"item": item.item_id, "p_blank": float(p), "action": action})
        return out

    def policy(self) -> dict[str, Any]:
        """The decision as ``[policy.labels]`` entries for ``glamlab.toml``: blank is
        accepted (withheld) from ``threshold_``, reviewed from 0.5; content always
        accepted (it is sent to OCR)."""
        other = self.classes_[1 - self.classes_.index(self.positive_label)]
        return {self.positive_label: {"accept": round(self.threshold_, 6), "review": 0.5},
                other: {"accept": 0.0}}

    # -- explaining ---------------------------------------------------------------------
    def explain(self, item: Item) -> dict[str, Any]:
        """Why this page is (not) blank: a sentence, the probability and decision, the ink
        found (boxes as shares of the page, strongest first) and the edges ignored."""
        import numpy as np

        from ...features.ink import MODEL_FEATURES, ink_features, ink_regions

        ex = self._extractor()
        m = ex.page_map(item)
        x = ink_features(m).astype(np.float64)
        probability, capped = self._probability(x[None, :])
        p, guarded = float(probability[0]), bool(capped[0])
        parts: dict[str, float] = {}
        if self.model_ is not None:
            contrib = self.model_.contributions(x[:N_MODEL])
            parts = {n: round(float(c), 3) for n, c in zip(MODEL_FEATURES, contrib,
                                                            strict=True)}
        regions = ink_regions(m)
        action = "withhold" if p >= self.threshold_ else "review" if p >= 0.5 else "send"
        return {"item": item.item_id, "model": self.name, "p_blank": round(p, 4),
                "threshold": round(self.threshold_, 4), "action": action,
                "decision": self.positive_label if action == "withhold" else (
                    self.classes_[1 - self.classes_.index(self.positive_label)]),
                "text": _sentence(action, p, self.threshold_, regions, guarded),
                "guarded": guarded,
                "marks": regions["marks"], "edges": regions["edges"],
                "glyph_rows": regions["glyph_rows"],
                "evidence": {"ink_cells": regions["ink_cells"],
                             "marks": regions["marks_total"],
                             "strongest_contrast": regions["strongest"],
                             "faint_cells": regions["faint_cells"],
                             "faint_regions": regions["faint_regions"],
                             "faint_strongest": regions["faint_strongest"],
                             "level": regions["level"]},
                "contributions": parts}


def _where(box: list[float]) -> str:
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    row = "top" if cy < 1 / 3 else "bottom" if cy > 2 / 3 else "middle"
    col = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else "centre"
    return "centre" if (row, col) == ("middle", "centre") else f"{row} {col}"


def _two_figures(p: float, threshold: float) -> tuple[str, str]:
    """``p`` and ``threshold`` with three decimals, or as many more (up to six) as it
    takes for the two figures to show which is larger: a page under the margin never
    reads "probability 0.995 but not by the margin of 0.995"."""
    for digits in range(3, 7):
        ps, ts = f"{p:.{digits}f}", f"{threshold:.{digits}f}"
        if (p < threshold) == (float(ps) < float(ts)):
            break
    return ps, ts


def _sentence(action: str, p: float, threshold: float, r: dict[str, Any],
              guarded: bool = False) -> str:
    edges = " Page edges and scan background were ignored." if r["edges"] else ""
    n = r["faint_regions"]
    faint = (f" {n} faint patch{'es' if n != 1 else ''} at most {r['faint_strongest']:.0%} "
             "darker than the paper (show-through, stains or grain) "
             f"{'do' if n != 1 else 'does'} not count as ink." if n else "")
    if r["marks_total"]:
        places = sorted({_where(m["box"]) for m in r["marks"][:5]})
        what = "Ink found" if action != "withhold" else "Dark marks found"
        ink = (f"{what}: {r['marks_total']} mark{'s' if r['marks_total'] != 1 else ''} "
               f"({r['ink_cells']} cells), the strongest {r['strongest']:.0%} darker than the "
               f"paper, at {', '.join(places)}")
        ink += (": too few, small or scattered to count as content for this model (specks, "
                "foxing, dust)." if action == "withhold" else ".")
    else:
        ink = f"No ink found at {r['level']:.0%} or more darker than the paper."
    ps, ts = _two_figures(p, threshold)
    verdict = {
        "withhold": f"Blank (probability {ps}, at least {ts} needed): not sent to OCR.",
        "review": f"Looks blank (probability {ps}) but not by the margin of "
                  f"{ts}: a person should check before it is withheld.",
        "send": f"Content (probability of blank {ps}): sent to OCR.",
    }[action]
    rows = ""
    if r["glyph_rows"]:
        first = r["glyph_rows"][0]
        rows = (f" A row of {first['glyphs']} glyph-shaped marks (like a page number or a "
                f"word) at {_where(first['box'])}"
                + (f", and {len(r['glyph_rows']) - 1} more rows" if len(r["glyph_rows"]) > 1
                   else "")
                + (": a page with such a row is never withheld without a person." if guarded
                   else "."))
    return f"{verdict} {ink}{rows}{faint}{edges}"
