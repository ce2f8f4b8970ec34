"""Every metric against scikit-learn (or Annif's definition) on fixed examples."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from glamlab.tasks.kinds import classification_metrics as m

Y_TRUE = ["a", "b", "c", "a", "b", "c", "a", "a", "b", "c", "c", "a"]
Y_PRED = ["a", "c", "c", "a", "b", "a", "b", "a", "b", "c", "b", "a"]


def test_accuracy_and_f1_match_sklearn() -> None:
    assert m.accuracy(Y_TRUE, Y_PRED) == pytest.approx(skm.accuracy_score(Y_TRUE, Y_PRED))
    for average in ("macro", "micro", "weighted"):
        assert m.f1(Y_TRUE, Y_PRED, average) == pytest.approx(
            skm.f1_score(Y_TRUE, Y_PRED, average=average, zero_division=0)), average


def test_macro_f1_with_a_label_never_predicted_matches_sklearn() -> None:
    y_true = ["x", "x", "y", "z", "z", "z"]
    y_pred = ["x", "x", "x", "z", "x", "z"]  # "y" never predicted
    assert m.f1(y_true, y_pred, "macro") == pytest.approx(
        skm.f1_score(y_true, y_pred, average="macro", zero_division=0))
    assert m.f1(y_true, y_pred, "weighted") == pytest.approx(
        skm.f1_score(y_true, y_pred, average="weighted", zero_division=0))


def test_per_label_precision_recall_f1_match_sklearn() -> None:
    labels = ["a", "b", "c"]
    ours = m.per_label(Y_TRUE, Y_PRED, labels)
    p, r, f, s = skm.precision_recall_fscore_support(Y_TRUE, Y_PRED, labels=labels,
                                                     zero_division=0)
    np.testing.assert_allclose(ours["precision"], p)
    np.testing.assert_allclose(ours["recall"], r)
    np.testing.assert_allclose(ours["f1"], f)
    np.testing.assert_allclose(ours["support"], s)


def test_confusion_matrix_matches_sklearn() -> None:
    labels = ["a", "b", "c"]
    np.testing.assert_array_equal(m.confusion_matrix(Y_TRUE, Y_PRED, labels),
                                  skm.confusion_matrix(Y_TRUE, Y_PRED, labels=labels))


def test_failed_predictions_count_as_wrong() -> None:
    t = np.array([0, 1, 1, 0])
    p = np.array([0, 1, -1, -1])  # two items failed
    S = m.single_label_stats(t, p, 2)
    res = m.single_label_metrics(S.sum(axis=0), 4, 2)
    assert float(res["accuracy"]) == 0.5
    np.testing.assert_allclose(res["recall"], [0.5, 0.5])
    np.testing.assert_allclose(res["precision"], [1.0, 1.0])


Y_ML = np.array([[1, 0, 1, 0, 0],
                 [0, 1, 0, 0, 1],
                 [1, 1, 1, 0, 0],
                 [0, 0, 0, 1, 0],
                 [1, 0, 0, 0, 1]])
SCORES = np.array([[0.9, 0.2, 0.4, 0.55, 0.1],
                   [0.3, 0.8, 0.1, 0.2, 0.45],
                   [0.7, 0.6, 0.05, 0.3, 0.2],
                   [0.15, 0.25, 0.35, 0.95, 0.05],
                   [0.05, 0.5, 0.65, 0.3, 0.85]])


def test_samples_f1_precision_recall_match_sklearn() -> None:
    pred = (SCORES >= 0.5).astype(int)
    assert m.f1_samples(Y_ML, pred) == pytest.approx(
        skm.f1_score(Y_ML, pred, average="samples", zero_division=0))
    res = m._multi(Y_ML, SCORES, 5)
    assert float(res["precision_samples"]) == pytest.approx(
        skm.precision_score(Y_ML, pred, average="samples", zero_division=0))
    assert float(res["recall_samples"]) == pytest.approx(
        skm.recall_score(Y_ML, pred, average="samples", zero_division=0))
    for average in ("micro", "macro", "weighted"):
        assert float(res[f"f1_{average}"]) == pytest.approx(
            skm.f1_score(Y_ML, pred, average=average, zero_division=0)), average


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros_like(scores, dtype=int)
    for r, row in enumerate(scores):
        for j in np.argsort(-row, kind="stable")[:k]:
            if row[j] > 0:
                out[r, j] = 1
    return out


@pytest.mark.parametrize("k", [1, 3, 5])
def test_precision_and_recall_at_k_match_annif_definition(k: int) -> None:
    # Annif: precision of the top-k suggestions, averaged per document (sklearn samples)
    top = _top_k(SCORES, k)
    assert m.precision_at_k(Y_ML, SCORES, k) == pytest.approx(
        skm.precision_score(Y_ML, top, average="samples", zero_division=0))
    assert m.recall_at_k(Y_ML, SCORES, k) == pytest.approx(
        skm.recall_score(Y_ML, top, average="samples", zero_division=0))


def test_precision_at_k_divides_by_the_suggestions_made() -> None:
    y = np.array([[1, 0, 0, 0]])
    s = np.array([[0.9, 0.0, 0.0, 0.0]])  # one suggestion only
    assert m.precision_at_k(y, s, 5) == 1.0


@pytest.mark.parametrize("k", [1, 3, 5, None])
def test_ndcg_matches_sklearn_on_distinct_nonzero_scores(k: int | None) -> None:
    assert m.ndcg_at_k(Y_ML, SCORES, k) == pytest.approx(skm.ndcg_score(Y_ML, SCORES, k=k))


def test_ndcg_is_one_for_an_item_without_gold_labels_like_annif() -> None:
    y = np.array([[0, 0, 0]])
    assert m.ndcg_at_k(y, np.array([[0.5, 0.2, 0.1]]), 3) == 1.0


def test_imbalance_ratio() -> None:
    assert m.imbalance_ratio([30, 10]) == 3.0
    assert m.imbalance_ratio([5, 0]) == float("inf")
