"""``text-ensemble``: glamlab's subject indexer. Several scorers (trained heads and kNN
label propagation from similar records), combined per label by a small calibration
model fitted on out-of-fold scores, then an Annif-like per-record cut."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import PredictorError
from .heads import TextClassifier, _field_tokens, _TextBase
from .normalize import DEFAULT_MAX_CHARS

if TYPE_CHECKING:
    import numpy as np

    from ...items import Item


class EnsembleClassifier(_TextBase):
    """glamlab's subject indexer: several scorers, combined per label, then an Annif-like
    per-record cut tuned on out-of-fold scores of the training split.

    Scorers (``heads`` and ``knn``, each a name from ``tfidf``, ``minilm``, ``e5``):

    * a head is a :class:`TextClassifier` on that feature set plus the metadata ``fields``
      (one logistic regression per label, regularised by ``C``);
    * a kNN scorer propagates labels from the ``k`` most similar training records
      (cosine similarity of the sentence embeddings, weighted by ``similarity**power``):
      a label's score is its weighted frequency among the neighbours.

    The heads' scores are averaged, and so are the kNN scorers'. With ``calibrate`` (the
    default, multi-label) each label then gets its own small logistic regression on those
    two scores, fitted on out-of-fold scores of the training split: it learns how much
    that label trusts the heads versus the neighbours and puts every label's score on one
    probability scale, so that one cut suits all labels. Without it, the two averages are
    mixed with one weight for all labels (``knn_weight``, chosen with the cut from
    :attr:`KNN_WEIGHTS` unless given).

    Multi-label decision: a label is kept when its combined score is at least ``t``, at
    least ``r`` times the record's top score, and among the record's ``limit`` best (the
    best one is always kept). ``t, r, limit`` are chosen for samples-averaged F1 on
    out-of-fold scores (``cv`` folds; with ``group_field``, e.g. ``creator``, records
    sharing that metadata value stay in one fold, so the cut is tuned on scores for
    unseen groups; the calibration's own scores for the cut are cross-fitted on the same
    folds). ``predict_proba`` is rank-preserving within each record and puts the
    kept labels at or above 0.5. Single-label: the argmax of the averaged probabilities.

    ``wordnet`` (default: when installed) gives every head WordNet concepts of the nouns,
    as :class:`TextClassifier` does. On Tate titles they added 0.2 points of samples F1 in
    artist-grouped 5-fold CV (10 of 15 folds better) and 0.9 points over eight 70/30
    artist splits (6 of 8 better).

    Defaults (``C=0.5``, ``calibrate=True``) were chosen by artist-grouped 5-fold
    cross-validation on Tate records (3 artist shuffles): against ``C=4`` without
    calibration, samples F1 rose 1.35 points on average (0.589 to 0.602; 14 of 15 folds
    better), and 0.7 points on average over eight 70/30 artist splits (7 of 8 better)."""

    name = "text-ensemble"
    intended_use = "subject headings for catalogue records (multi-label), or one label per text"
    limitations = ("learns only the labels it was given examples of; needs the sentence "
                   "encoders installed; slower to train than one head (cv refits)")
    CUT_T: ClassVar[tuple[float, ...]] = tuple(round(0.05 + 0.025 * i, 3) for i in range(37))
    CUT_R: ClassVar[tuple[float, ...]] = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9)
    CUT_LIMIT: ClassVar[tuple[int, ...]] = (2, 3, 4, 5, 6, 8)
    KNN_WEIGHTS: ClassVar[tuple[float, ...]] = (0.3, 0.4, 0.5, 0.6, 0.7)

    def __init__(self, heads: tuple[str, ...] | str = ("minilm", "e5"),
                 knn: tuple[str, ...] | str = ("minilm", "e5"), fields: tuple[str, ...] | str = (),
                 k: int = 20, power: float = 3.0, C: float = 0.5, cv: int = 5,
                 group_field: str | None = None, knn_weight: float | None = None,
                 calibrate: bool = True, max_chars: int = DEFAULT_MAX_CHARS, seed: int = 0,
                 wordnet: bool | None = None):
        self.wordnet = wordnet
        self.heads = heads
        self.knn = knn
        self.fields = fields
        self.k = k
        self.power = power
        self.C = C
        self.cv = cv
        self.group_field = group_field
        self.knn_weight = knn_weight
        self.calibrate = calibrate
        self.max_chars = max_chars
        self.seed = seed

    @staticmethod
    def _names(v: tuple[str, ...] | str) -> tuple[str, ...]:
        return tuple(x.strip() for x in v.split(",") if x.strip()) if isinstance(v, str) else tuple(v)

    def _head(self, name: str) -> TextClassifier:
        enc = None if name == "tfidf" else name
        return TextClassifier(encoder=enc, tfidf=name == "tfidf", fields=self.fields, C=self.C,
                              cv=0, max_chars=self.max_chars, seed=self.seed,
                              wordnet=self.wordnet)

    def _embed(self, name: str, items: list[Item]) -> np.ndarray:
        """The items' embeddings by encoder ``name`` for the neighbours, from the
        workspace's feature cache where it holds them (as the heads read theirs)."""
        texts, _ = self._texts(items)
        return self._cached_embed(name, items, texts)

    def _fit_scorers(self, items: list[Item], Y: np.ndarray) -> dict[str, Any]:
        heads = {}
        for h in self._names(self.heads):
            m = self._head(h)
            m.classes_, m.multi_label_, m.fitted_ = list(self.classes_), self.multi_label_, True
            m._fit(items, Y)
            heads[h] = m
        knn = {e: self._embed(e, items) for e in self._names(self.knn)}
        return {"heads": heads, "knn": knn, "Y": Y.astype("float32")}

    def _score(self, scorers: dict[str, Any], items: list[Item]) -> np.ndarray:
        """(2, n, K): the mean of the heads' scores and the mean of the kNN scores (a
        missing kind repeats the other)."""
        import numpy as np

        heads = [m._predict_batch(items) for m in scorers["heads"].values()]
        parts = []
        for e, train_emb in scorers["knn"].items():
            sim = self._embed(e, items) @ train_emb.T
            kk = min(self.k, sim.shape[1])
            idx = np.argpartition(-sim, kk - 1, axis=1)[:, :kk]
            w = np.maximum(np.take_along_axis(sim, idx, axis=1), 0.0) ** self.power
            votes = (w[:, :, None] * scorers["Y"][idx]).sum(axis=1)
            parts.append(votes / np.maximum(w.sum(axis=1, keepdims=True), 1e-9))
        h = np.mean(heads, axis=0) if heads else np.mean(parts, axis=0)
        kn = np.mean(parts, axis=0) if parts else h
        return np.stack([h, kn])

    def _mix(self, both: np.ndarray, weight: float) -> np.ndarray:
        return (1.0 - weight) * both[0] + weight * both[1]  # type: ignore[no-any-return]

    def _fit(self, items: list[Item], Y: np.ndarray) -> None:
        import numpy as np

        bad = [n for n in self._names(self.heads) + self._names(self.knn)
               if n not in ("tfidf", "minilm", "e5") or (n == "tfidf" and n in self._names(self.knn))]
        if bad or not (self._names(self.heads) or self._names(self.knn)):
            raise PredictorError(f"{self.name}: bad scorers {bad or 'none'}",
                                 hint="heads from tfidf, minilm, e5; knn from minilm, e5")
        self.prior_ = Y.mean(axis=0)
        self.cut_ = (0.5, 0.0, max(1, Y.shape[1]))
        self.knn_weight_ = 0.5 if self.knn_weight is None else float(self.knn_weight)
        self.calibration_: tuple[np.ndarray, np.ndarray] | None = None
        if self.multi_label_ and self.cv >= 2 and len(items) >= 2 * self.cv:
            oof, splits = self._oof(items, Y)
            if self.calibrate:
                cross = np.zeros(Y.shape)
                for tr, te in splits:
                    cross[te] = _calibrated(_fit_calibration(oof[:, tr], Y[tr]), oof[:, te])
                self.cut_, _ = self._tune_cut(cross, Y)
                self.calibration_ = _fit_calibration(oof, Y)
            else:
                choices = self.KNN_WEIGHTS if self.knn_weight is None else (self.knn_weight_,)
                best_f = -1.0
                for w in choices:
                    cut, f = self._tune_cut(self._mix(oof, w), Y)
                    if f > best_f:
                        self.cut_, self.knn_weight_, best_f = cut, float(w), f
        self.scorers_ = self._fit_scorers(items, Y)
        heads = list(self.scorers_["heads"].values())
        self.fit_notes_ = heads[0].fit_notes_ if heads else []

    def _oof(self, items: list[Item], Y: np.ndarray) -> tuple[np.ndarray, list[tuple[Any, Any]]]:
        """(2, n, K) out-of-fold scores (heads, kNN) and the folds they came from."""
        import numpy as np
        from sklearn.model_selection import GroupKFold, KFold

        n = len(items)
        if self.group_field:
            groups = [str((it.meta or {}).get(self.group_field, "")) or f"\0{i}"
                      for i, it in enumerate(items)]
            splits = list(GroupKFold(min(self.cv, len(set(groups)))).split(np.zeros(n), groups=groups))
        else:
            splits = list(KFold(self.cv, shuffle=True, random_state=self.seed).split(np.zeros(n)))
        oof = np.zeros((2, *Y.shape))
        for tr, te in splits:
            scorers = self._fit_scorers([items[i] for i in tr], Y[tr])
            oof[:, te] = self._score(scorers, [items[i] for i in te])
        return oof, splits

    @classmethod
    def _cut(cls, S: np.ndarray, t: float, r: float, limit: int) -> np.ndarray:
        import numpy as np

        rank = np.argsort(np.argsort(-S, axis=1), axis=1)
        keep = (S >= t) & (S >= r * S.max(axis=1, keepdims=True)) & (rank < limit)
        keep[np.arange(len(S)), S.argmax(axis=1)] = True
        return keep  # type: ignore[no-any-return]

    def _tune_cut(self, S: np.ndarray, Y: np.ndarray) -> tuple[tuple[float, float, int], float]:
        best, best_f = (0.5, 0.0, 3), -1.0
        truth = Y > 0
        for limit in self.CUT_LIMIT:
            for r in self.CUT_R:
                for t in self.CUT_T:
                    f = _samples_f1(truth, self._cut(S, t, r, limit))
                    if f > best_f:
                        best, best_f = (t, r, limit), f
        return best, best_f

    def _predict_batch(self, items: list[Item]) -> np.ndarray:
        import numpy as np

        both = self._score(self.scorers_, items)
        calibration = getattr(self, "calibration_", None)  # absent in models saved before it
        S = _calibrated(calibration, both) if calibration is not None else self._mix(both, self.knn_weight_)
        _, usable = self._texts(items)
        meta = [_field_tokens(it, TextClassifier(fields=self.fields)._fields()) for it in items]
        bad = ~np.array([u or bool(m) for u, m in zip(usable, meta, strict=True)])
        if not self.multi_label_:
            S = S / np.maximum(S.sum(axis=1, keepdims=True), 1e-12)
            S[bad] = 1.0 / S.shape[1]
            return S
        keep = self._cut(S, *self.cut_)
        out = np.where(keep, 0.5 + 0.5 * S, 0.499 * S)
        out[bad] = np.minimum(self.prior_, 0.49)
        return out  # type: ignore[no-any-return]


def _samples_f1(truth: np.ndarray, pred: np.ndarray) -> float:
    import numpy as np

    inter = (truth & pred).sum(axis=1)
    den = truth.sum(axis=1) + pred.sum(axis=1)
    return float(np.mean(np.where(den > 0, 2 * inter / np.maximum(den, 1), 1.0)))


def _fit_calibration(both: np.ndarray, Y: np.ndarray, C: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Per label, a logistic regression of the label on its (head, kNN) scores ``both``
    (2, n, K): weights (K, 2) and intercepts (K,). A label that is always or never
    present gets zero weights and the (clipped) log-odds of its frequency."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    K = Y.shape[1]
    W, b = np.zeros((K, 2)), np.zeros(K)
    for j in range(K):
        col = Y[:, j] > 0
        if col.all() or not col.any():
            p = min(max(float(col.mean()), 1e-3), 1 - 1e-3)
            b[j] = np.log(p / (1 - p))
            continue
        m = LogisticRegression(C=C, max_iter=1000).fit(both[:, :, j].T, col.astype(int))
        W[j], b[j] = m.coef_[0], m.intercept_[0]
    return W, b


def _calibrated(calibration: tuple[np.ndarray, np.ndarray], both: np.ndarray) -> np.ndarray:
    """Scores (n, K) from the per-label calibration of (head, kNN) scores (2, n, K)."""
    import numpy as np

    W, b = calibration
    z = both[0] * W[:, 0] + both[1] * W[:, 1] + b
    return 1.0 / (1.0 + np.exp(-z))  # type: ignore[no-any-return]
