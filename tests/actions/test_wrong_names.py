"""A misspelt label, metadata field or model name is one clear error with the closest
name, not an empty result (0 rows, 0 uris, a column of nothing) that reads as an answer."""

from __future__ import annotations

import pytest

import glamlab
from glamlab.actions import export
from glamlab.actions.export import ExportFilter
from glamlab.errors import GlamlabError, ItemError, ModelNotFound, PolicyError

from .helpers import add_items, add_model, add_predictions


@pytest.fixture
def ws(make_ws):
    ws = make_ws("pages", task="blank-pages", labels=["blank", "content"],
                 positive_label="blank")
    add_items(ws, [{"item_id": f"p{i}", "meta": {"document": "book-a", "shelf": f"S{i}"}}
                   for i in range(4)])
    champ = add_model(ws, "blanks", 1)
    add_predictions(ws, champ, {"p0": {"blank": 0.9, "content": 0.1},
                                "p1": {"blank": 0.2, "content": 0.8},
                                "p2": {"und": 0.7, "blank": 0.2, "content": 0.1}})
    ws.card.raw["policy"] = {"field": "page_type", "model": "blanks@1", "labels": {
        "blank": {"accept": 0.5, "review": 0.3}, "content": {"accept": 0.5, "review": 0.3}}}
    ws.save_card()
    return ws


def test_a_misspelt_label_is_named_with_the_closest(ws, tmp_path):
    for call in (lambda: glamlab.predictions_frame(ws, label="blnk"),
                 lambda: export(ws, "filter", tmp_path / "f.txt",
                                where=ExportFilter(label="Blank"))):
        with pytest.raises(PolicyError) as e:
            call()
        assert "did you mean 'blank'?" in e.value.hint
        assert "blank, content" in e.value.hint
    assert not (tmp_path / "f.txt").exists()
    # a label the model gives besides the task's (a language model's "und") is kept
    assert glamlab.predictions_frame(ws, label="und")["item_id"].tolist() == ["p2"]
    # one of the task's labels that no prediction has is an empty answer, not an error
    assert glamlab.predictions_frame(ws, label="content", min_score=0.99).empty


def test_a_misspelt_metadata_field_names_the_fields_there_are(ws):
    with pytest.raises(ItemError) as e:
        glamlab.predictions_frame(ws, meta=["docment"])
    assert "'docment'" in str(e.value) and "did you mean 'document'?" in e.value.hint
    assert "document, shelf" in e.value.hint
    assert glamlab.predictions_frame(ws, meta=["document"])["document"].tolist() == \
        ["book-a"] * 3
    with pytest.raises(ItemError, match="'docment'"):
        list(ws.items(where={"docment": "book-a"}))
    with pytest.raises(ItemError, match="'docment'"):
        ws.count_items(where={"docment": "book-a"})
    with pytest.raises(ItemError, match="'docment'"):
        list(ws.items(where={"docment": "book-a"}, ids=["p0"]))
    # a field there is with a value no item has: nothing, no error
    assert list(ws.items(where={"document": "book-b"})) == []
    assert ws.count_items(where={"document": "book-b"}) == 0
    assert [i.item_id for i in ws.items(where={"document": "book-a"}, limit=2)] == ["p0", "p1"]


def test_an_unknown_model_lists_a_few_of_those_there_are(ws):
    for n in range(7):
        add_model(ws, f"m{n}", 1)
    with pytest.raises(ModelNotFound) as e:
        glamlab.predictions_frame(ws, "nosuch")
    assert e.value.hint == "the models there are: blanks, m0, m1, m2, m3 and 3 more"
    with pytest.raises(ModelNotFound) as e:
        glamlab.predictions_frame(ws, "blanks@9")
    assert e.value.hint == "the versions of blanks: blanks@1"
    assert isinstance(e.value, GlamlabError)
