"""list_predictions takes a model as the spec every command takes ("blank@champion",
"blank@2"): before, only the registry's number (model_id), which a notebook user does
not see anywhere else."""

from __future__ import annotations

from typing import Any

import pytest

from tests.actions.helpers import add_items, add_model, add_predictions


def test_predictions_of_a_model_named_by_its_spec(make_ws: Any) -> None:
    from glamlab.errors import ModelNotFound
    from glamlab.inference import list_predictions
    from glamlab.registry.models import set_alias

    ws = make_ws("specs", labels=["blank", "content"])
    add_items(ws, [{"item_id": f"p{k}"} for k in range(3)])
    first = add_model(ws, "blanks", 1)
    second = add_model(ws, "blanks", 2)
    add_predictions(ws, first, {"p0": {"blank": 0.9, "content": 0.1}})
    add_predictions(ws, second, {f"p{k}": {"blank": 0.2, "content": 0.8} for k in range(3)})
    set_alias(ws, "blanks@1", "champion")

    champion = list_predictions(ws, model="blanks@champion")
    assert [(p["item_id"], p["model_id"]) for p in champion] == [("p0", first)]
    latest = list_predictions(ws, model="blanks@2")
    assert {p["item_id"] for p in latest} == {"p0", "p1", "p2"}
    assert {p["model_id"] for p in latest} == {second}
    assert list_predictions(ws, model="blanks@2", model_id=second) == latest
    with pytest.raises(ModelNotFound, match="not both|is model id"):
        list_predictions(ws, model="blanks@2", model_id=first)
    with pytest.raises(ModelNotFound):
        list_predictions(ws, model="nothing@1")


def test_the_api_lists_predictions_by_model_spec(make_ws: Any) -> None:
    from glamlab.registry.models import set_alias
    from tests.web.conftest import app_with_users

    ws = make_ws("api-specs", labels=["blank", "content"])
    add_items(ws, [{"item_id": f"p{k}"} for k in range(2)])
    first = add_model(ws, "blanks", 1)
    add_predictions(ws, first, {"p1": {"blank": 0.9, "content": 0.1}})
    add_predictions(ws, add_model(ws, "blanks", 2), {"p0": {"blank": 0.1, "content": 0.9}})
    set_alias(ws, "blanks@1", "champion")
    made = app_with_users(ws)
    _ws, _app, client = next(made)
    try:
        c = client("rey")
        got = c.get("/api/predictions", params={"model": "blanks@champion"})
        assert got.status_code == 200, got.text
        assert [(p["item_id"], p["model_id"]) for p in got.json()] == [("p1", first)]
        missing = c.get("/api/predictions", params={"model": "nothing@1"})
        assert missing.status_code == 404 and "nothing" in missing.json()["error"]
    finally:
        next(made, None)
