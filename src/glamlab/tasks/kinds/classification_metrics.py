"""Classification metrics (single- and multi-label), computed from per-item statistics so
that bootstrap resampling is one matrix product.

Every metric here is a function of *sums over items* of a per-item statistics
matrix ``S`` (n_items, d): a resample's metrics come from ``W @ S`` where ``W`` holds
how often each item was drawn. :func:`single_label_stats` / :func:`multi_label_stats`
build ``S``; :func:`single_label_metrics` / :func:`multi_label_metrics` turn sums
(any leading shape) into metrics.

Conventions (the same as scikit-learn with ``zero_division=0``, and Annif's
``annif eval`` for the ranking metrics):

- single-label: a prediction of ``-1`` means "no prediction" (a failed item); it
  counts as wrong and is no one's false positive. Macro averages run over the labels
  present in the truth or the predictions (scikit-learn's default).
- multi-label: a label is predicted when its score is at least ``threshold``.
  ``precision@k`` looks at the top ``min(k, nonzero scores)`` labels by score,
  ``recall@k`` divides the hits among them by the number of gold labels, and
  ``NDCG@k`` is Annif's (gain 1 per gold label, ``log2`` discount, 1.0 when an item
  has no gold label). Samples-averaged F1, precision and recall are per-item means.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

KS = (1, 3, 5)


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(b > 0, a / np.where(b > 0, b, 1.0), 0.0)
    return out


# -- single-label ----------------------------------------------------------------
def single_label_stats(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    """Per-item statistics: [correct, onehot(true) (k), onehot(pred) (k), tp (k)]."""
    t = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(y_pred, dtype=np.int64)
    n = len(t)
    S = np.zeros((n, 1 + 3 * k), dtype=np.float64)
    rows = np.arange(n)
    correct = (t == p) & (p >= 0)
    S[:, 0] = correct
    S[rows, 1 + t] = 1.0
    has = p >= 0
    S[rows[has], 1 + k + p[has]] = 1.0
    S[rows[correct], 1 + 2 * k + t[correct]] = 1.0
    return S


def single_label_metrics(sums: np.ndarray, n: np.ndarray | float, k: int) -> dict[str, np.ndarray]:
    """Metrics from summed single-label statistics (any leading shape)."""
    sums = np.asarray(sums, dtype=np.float64)
    correct = sums[..., 0]
    support = sums[..., 1 : 1 + k]
    predicted = sums[..., 1 + k : 1 + 2 * k]
    tp = sums[..., 1 + 2 * k : 1 + 3 * k]
    precision = _div(tp, predicted)
    recall = _div(tp, support)
    f1 = _div(2 * tp, support + predicted)
    present = (support + predicted) > 0
    n_present = present.sum(axis=-1)
    total_support = support.sum(axis=-1)
    return {
        "accuracy": _div(correct, np.asarray(n, dtype=np.float64)),
        "f1_macro": _div((f1 * present).sum(axis=-1), n_present),
        "precision_macro": _div((precision * present).sum(axis=-1), n_present),
        "recall_macro": _div((recall * present).sum(axis=-1), n_present),
        "f1_micro": _div(2 * tp.sum(axis=-1), total_support + predicted.sum(axis=-1)),
        "f1_weighted": _div((f1 * support).sum(axis=-1), total_support),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "support": support,
    }


# -- multi-label -----------------------------------------------------------------
def multi_label_stats(Y_true: np.ndarray, scores: np.ndarray, threshold: float = 0.5,
                      ks: Sequence[int] = KS) -> np.ndarray:
    """Per-item statistics for multi-label tasks:
    [f1, precision, recall, (p@k, r@k, ndcg@k) per k, ndcg, tp (L), true (L), pred (L)].

    Rows of ``scores`` that are all NaN (failed items) predict nothing."""
    T = np.asarray(Y_true) > 0
    sc = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=0.0)
    P = sc >= threshold
    n, L = T.shape
    tp = (T & P).sum(axis=1).astype(np.float64)
    nt = T.sum(axis=1).astype(np.float64)
    npred = P.sum(axis=1).astype(np.float64)
    cols = [_div(2 * tp, nt + npred), _div(tp, npred), _div(tp, nt)]
    order = np.argsort(-sc, axis=1, kind="stable")
    ranked_true = np.take_along_axis(T, order, axis=1)
    nnz = (sc > 0).sum(axis=1)
    discount = 1.0 / np.log2(np.arange(L) + 2.0)
    cum_disc = np.concatenate([[0.0], np.cumsum(discount)])
    for kk in [*ks, None]:
        lim = nnz if kk is None else np.minimum(kk, nnz)
        valid = np.arange(L)[None, :] < lim[:, None]
        hits = (ranked_true & valid)
        dcg = (hits * discount[None, :]).sum(axis=1)
        ideal_n = nt.astype(np.int64) if kk is None else np.minimum(kk, nt).astype(np.int64)
        idcg = cum_disc[ideal_n]
        ndcg = np.where(idcg > 0, dcg / np.where(idcg > 0, idcg, 1.0), 1.0)
        if kk is None:
            cols.append(ndcg)
        else:
            h = hits.sum(axis=1).astype(np.float64)
            cols.extend([_div(h, lim), _div(h, nt), ndcg])
    S = np.column_stack([*cols, (T & P).astype(np.float64), T.astype(np.float64),
                         P.astype(np.float64)])
    return S


def multi_label_metrics(sums: np.ndarray, n: np.ndarray | float, L: int,
                        ks: Sequence[int] = KS, k: int = 5) -> dict[str, np.ndarray]:
    """Metrics from summed multi-label statistics; ``k`` picks the headline @k."""
    sums = np.asarray(sums, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    out: dict[str, np.ndarray] = {
        "f1_samples": _div(sums[..., 0], n),
        "precision_samples": _div(sums[..., 1], n),
        "recall_samples": _div(sums[..., 2], n),
    }
    base = 3
    for kk in ks:
        out[f"precision_at_{kk}"] = _div(sums[..., base], n)
        out[f"recall_at_{kk}"] = _div(sums[..., base + 1], n)
        out[f"ndcg_at_{kk}"] = _div(sums[..., base + 2], n)
        base += 3
    out["ndcg"] = _div(sums[..., base], n)
    base += 1
    tp = sums[..., base : base + L]
    support = sums[..., base + L : base + 2 * L]
    predicted = sums[..., base + 2 * L : base + 3 * L]
    f1 = _div(2 * tp, support + predicted)
    present = (support + predicted) > 0
    out["f1_micro"] = _div(2 * tp.sum(axis=-1), support.sum(axis=-1) + predicted.sum(axis=-1))
    out["f1_macro"] = _div((f1 * present).sum(axis=-1), present.sum(axis=-1))
    out["f1_weighted"] = _div((f1 * support).sum(axis=-1), support.sum(axis=-1))
    out["precision"] = _div(tp, predicted)
    out["recall"] = _div(tp, support)
    out["f1"] = f1
    out["support"] = support
    if k in ks:
        out["precision_at_k"] = out[f"precision_at_{k}"]
        out["recall_at_k"] = out[f"recall_at_{k}"]
        out["ndcg_at_k"] = out[f"ndcg_at_{k}"]
    return out


def multi_label_dim(L: int, ks: Sequence[int] = KS) -> int:
    return 3 + 3 * len(ks) + 1 + 3 * L


# -- scikit-learn-like conveniences (used by tests and notebooks) ----------------------
def _encode(y_true: Sequence[Any], y_pred: Sequence[Any],
            labels: Sequence[Any] | None) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    if labels is None:
        labels = sorted(set(y_true) | set(y_pred), key=str)
    idx = {c: i for i, c in enumerate(labels)}
    t = np.array([idx[y] for y in y_true], dtype=np.int64)
    p = np.array([idx.get(y, -1) for y in y_pred], dtype=np.int64)
    return t, p, list(labels)


def _single(y_true: Sequence[Any], y_pred: Sequence[Any],
            labels: Sequence[Any] | None = None) -> dict[str, np.ndarray]:
    t, p, labels = _encode(y_true, y_pred, labels)
    S = single_label_stats(t, p, len(labels))
    return single_label_metrics(S.sum(axis=0), len(t), len(labels))


def accuracy(y_true: Sequence[Any], y_pred: Sequence[Any]) -> float:
    return float(_single(y_true, y_pred)["accuracy"])


def f1(y_true: Sequence[Any], y_pred: Sequence[Any], average: str = "macro") -> float:
    """``average``: macro, micro or weighted (as scikit-learn's ``f1_score``)."""
    return float(_single(y_true, y_pred)[f"f1_{average}"])


def per_label(y_true: Sequence[Any], y_pred: Sequence[Any],
              labels: Sequence[Any] | None = None) -> dict[str, np.ndarray]:
    """Per-label precision, recall, F1 and support, in ``labels`` order."""
    m = _single(y_true, y_pred, labels)
    return {k: m[k] for k in ("precision", "recall", "f1", "support")}


def confusion_matrix(y_true: Sequence[Any] | np.ndarray, y_pred: Sequence[Any] | np.ndarray,
                     labels: Sequence[Any] | None = None, *, k: int | None = None) -> np.ndarray:
    """Rows are the truth, columns the prediction (scikit-learn's convention). With
    ``k``, the inputs are already label indices (``-1`` predictions are left out)."""
    if k is None:
        t, p, labels = _encode(list(y_true), list(y_pred), labels)
        k = len(labels)
    else:
        t = np.asarray(y_true, dtype=np.int64)
        p = np.asarray(y_pred, dtype=np.int64)
    ok = p >= 0
    return np.bincount(t[ok] * k + p[ok], minlength=k * k).reshape(k, k)


def _multi(Y_true: np.ndarray, scores: np.ndarray, k: int, threshold: float = 0.5
           ) -> dict[str, np.ndarray]:
    Y_true = np.asarray(Y_true)
    ks = tuple(sorted({*KS, k}))
    S = multi_label_stats(Y_true, scores, threshold, ks)
    return multi_label_metrics(S.sum(axis=0), len(Y_true), Y_true.shape[1], ks, k)


def f1_samples(Y_true: np.ndarray, Y_pred: np.ndarray) -> float:
    """Samples-averaged F1 of 0/1 indicator matrices."""
    return float(_multi(Y_true, np.asarray(Y_pred, dtype=np.float64), 5)["f1_samples"])


def precision_at_k(Y_true: np.ndarray, scores: np.ndarray, k: int = 5) -> float:
    return float(_multi(Y_true, scores, k, threshold=np.inf)["precision_at_k"])


def recall_at_k(Y_true: np.ndarray, scores: np.ndarray, k: int = 5) -> float:
    return float(_multi(Y_true, scores, k, threshold=np.inf)["recall_at_k"])


def ndcg_at_k(Y_true: np.ndarray, scores: np.ndarray, k: int | None = None) -> float:
    if k is None:
        return float(_multi(Y_true, scores, 5, threshold=np.inf)["ndcg"])
    return float(_multi(Y_true, scores, k, threshold=np.inf)["ndcg_at_k"])


def imbalance_ratio(counts: Sequence[float]) -> float:
    """Largest over smallest label count (inf when a label has none)."""
    c = [float(x) for x in counts]
    if not c:
        return 1.0
    return max(c) / min(c) if min(c) > 0 else float("inf")
