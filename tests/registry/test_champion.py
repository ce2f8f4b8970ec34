"""One look-up of the champion, used by glamlab run, the web API and retraining."""

from __future__ import annotations

import pytest

from glamlab.errors import ModelNotFound
from glamlab.registry import champion, save_model, set_alias, use_model
from tests.inference.conftest import add_text_items
from tests.inference.predictors import HashPredictor


def _save(ws, name):
    items = list(ws.items(limit=2))
    return save_model(ws, HashPredictor().fit(items, ["a", "b"], classes=["a", "b"]), name=name)


def test_champion_of_a_name_or_the_model_in_use(make_ws):
    ws = make_ws(modality="text", labels=["a", "b"])
    add_text_items(ws, 4)
    with pytest.raises(ModelNotFound, match="no model is in use yet") as exc:
        champion(ws)
    assert exc.value.hint
    first, second = _save(ws, "one"), _save(ws, "two")
    set_alias(ws, first.spec, "champion")
    assert champion(ws).spec == "one@1"
    set_alias(ws, second.spec, "champion")
    # the project's first champion is its model in use: a later name's does not take over
    assert champion(ws).spec == "one@1"
    use_model(ws, "two")  # until it is chosen
    assert champion(ws).spec == "two@1"
    assert champion(ws, "one").spec == champion(ws, "one@champion").spec == "one@1"
    with pytest.raises(ModelNotFound, match="no version of 'three' is chosen for use yet"):
        champion(ws, "three")
