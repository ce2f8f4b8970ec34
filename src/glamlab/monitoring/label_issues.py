"""Gold labels that are probably wrong, by confident learning.

Out-of-fold predicted probabilities (the model never sees the item it scores) are compared
with each class's own confidence threshold ``t_j`` = the mean probability of class j over
the items labelled j (Northcutt et al., "Confident Learning", 2021). An item is a suspected
label issue when, among the classes whose probability reaches their threshold, the most
probable one is not its given label. Issues are ranked by self-confidence (the probability
of the given label), lowest first.

Nothing is changed or dropped here: issues go to a re-check queue where a person decides.
Only the training split is examined; the test split is never touched without a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import GlamlabError

if TYPE_CHECKING:
    from ..workspace import Workspace


@dataclass
class LabelIssue:
    item_id: str
    given: str
    suggested: str
    self_confidence: float
    suggested_score: float

    def reason(self) -> str:
        return (f"gold label {self.given!r} looks wrong: out-of-fold the model says "
                f"{self.suggested!r} ({self.suggested_score:.2f}) and gives {self.given!r} only "
                f"{self.self_confidence:.2f}")


def confident_issues(proba: np.ndarray, given: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of suspected issues (ranked) and the suggested class index for every item.

    ``proba``: (n, k) out-of-fold probabilities; ``given``: (n,) given class indices."""
    proba = np.asarray(proba, dtype=float)
    given = np.asarray(given, dtype=int)
    n, k = proba.shape
    thresholds = np.full(k, np.inf)
    for j in range(k):
        mask = given == j
        if mask.any():
            thresholds[j] = proba[mask, j].mean()
    confident = proba >= thresholds[None, :] - 1e-12
    masked = np.where(confident, proba, -1.0)
    suggested = masked.argmax(axis=1)
    has_confident = confident.any(axis=1)
    flagged = has_confident & (suggested != given)
    idx = np.flatnonzero(flagged)
    order = np.argsort(proba[idx, given[idx]], kind="stable")
    return idx[order], suggested


def find_label_issues(ws: Workspace, predictor_name: str, *, params: dict[str, Any] | None = None,
                      folds: int = 5, seed: int = 0) -> list[LabelIssue]:
    """Cross-validate ``predictor_name`` on the training split only and return suspects."""
    from sklearn.model_selection import StratifiedKFold

    from ..predictors.catalogue import create, params_taken
    from ..tasks import training_data

    if ws.card.multi_label:
        raise GlamlabError("label-issue search covers single-label tasks for now",
                           hint="review multi-label gold labels through the web app")
    items, labels = training_data(ws)
    classes = list(ws.card.labels)
    y = np.array([classes.index(lab if isinstance(lab, str) else lab[0]) for lab in labels])
    counts = np.bincount(y, minlength=len(classes))
    n_splits = int(min(folds, counts[counts > 0].min())) if len(y) else 0
    if n_splits < 2:
        raise GlamlabError("too few training labels per class for out-of-fold predictions",
                           hint="label at least two items of every label in the training split")
    proba = np.zeros((len(items), len(classes)))
    cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for train, test in cv.split(np.zeros(len(y)), y):
        model = create(predictor_name, **(params or {}))
        with params_taken(predictor_name, params, only_named=True):  # a value refused: one clear error
            model.fit([items[i] for i in train], [classes[y[i]] for i in train],
                      classes=classes, multi_label=False)
        proba[test] = model.predict_proba([items[i] for i in test])
    idx, suggested = confident_issues(proba, y)
    return [LabelIssue(items[i].item_id, classes[y[i]], classes[suggested[i]],
                       float(proba[i, y[i]]), float(proba[i, suggested[i]])) for i in idx]


def queue_label_issues(ws: Workspace, issues: list[LabelIssue], *, actor: str = "glamlab") -> int:
    """Put suspects into the review queue as ``recheck`` items (once each)."""
    from ..review import enqueue_rechecks

    return enqueue_rechecks(ws, [(i.item_id, i.suggested, i.suggested_score, i.reason())
                                 for i in issues], actor=actor)
