from __future__ import annotations

import numpy as np

from glamlab.tasks.label_issues import confident_issues


def test_confident_learning_flags_swapped_labels():
    rng = np.random.default_rng(0)
    n = 200
    true = rng.integers(0, 2, n)
    proba = np.where(true[:, None] == np.arange(2)[None, :], 0.9, 0.1)
    proba += rng.normal(0, 0.03, proba.shape)
    given = true.copy()
    swapped = [3, 50, 120]
    given[swapped] = 1 - given[swapped]
    # the model is clearly confident about the true class of the swapped items
    proba[swapped] = np.where(true[swapped][:, None] == np.arange(2)[None, :], 0.97, 0.03)
    idx, suggested = confident_issues(proba, given)
    assert sorted(idx.tolist()) == swapped
    assert all(suggested[i] == true[i] for i in swapped)


def test_no_issues_when_model_agrees():
    proba = np.array([[0.8, 0.2], [0.3, 0.7], [0.9, 0.1], [0.2, 0.8]])
    idx, _ = confident_issues(proba, np.array([0, 1, 0, 1]))
    assert idx.tolist() == []


def test_ranked_by_self_confidence():
    proba = np.array([[0.9, 0.1], [0.95, 0.05], [0.2, 0.8], [0.4, 0.6], [0.05, 0.95]])
    given = np.array([0, 1, 1, 0, 1])  # items 1 and 3 look mislabelled
    idx, _ = confident_issues(proba, given)
    assert idx.tolist() == [1, 3]  # item 1 gives its label only 0.05
