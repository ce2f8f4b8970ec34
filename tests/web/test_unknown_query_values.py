"""A page's query value it does not know is said, not silently ignored: ``/queue?label=``
a label the project does not have showed every label's items as if filtered, and
``/label?item=`` an id it does not hold showed another item, with no word either way;
so did ``/queue?sort=``, ``?kind=``, ``?view=`` and ``/label?strategy=``, ``?split=``
with a value from outside their fixed lists (the page fell back to the default)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import app_with_users


@pytest.fixture
def news_app(make_ws: Any) -> Any:
    from tests.tasks.helpers import add_items

    ws = make_ws("news", modality="text", labels=["emigration", "other"])
    add_items(ws, [{"id": f"n{i}", "text": f"Item number {i} of the news.", "meta": {}}
                   for i in range(4)])
    made = app_with_users(ws)
    yield next(made)
    next(made, None)


def test_an_unknown_label_on_the_queue_page_is_said(news_app: Any) -> None:
    _ws, _app, client = news_app
    rey = client("rey")
    page = rey.get("/queue", params={"label": "<b>ships</b>"}).text
    assert 'id="ignored-query"' in page, page
    assert "No label “&lt;b&gt;ships&lt;/b&gt;” in this project; showing all labels." in page
    assert "<b>ships</b>" not in page  # escaped
    assert 'id="ignored-query"' not in rey.get("/queue", params={"label": "other"}).text
    assert 'id="ignored-query"' not in rey.get("/queue").text


def test_an_unknown_item_on_the_labelling_page_is_said(news_app: Any) -> None:
    _ws, _app, client = news_app
    rey = client("rey")
    page = rey.get("/label", params={"item": "n99"}).text
    assert "No item “n99” in this project; showing the next one to label." in page, page
    page = rey.get("/label", params={"item": "n1"}).text
    assert 'id="ignored-query"' not in page and 'value="n1"' in page


def test_an_unknown_sort_kind_or_view_on_the_queue_page_is_said(news_app: Any) -> None:
    _ws, _app, client = news_app
    rey = client("rey")
    page = rey.get("/queue", params={"sort": "best", "kind": "mine", "view": "table"}).text
    assert ("No sort “best” (there are: score, uncertainty, label, oldest); showing most "
            "sure first.") in page, page
    assert "No kind “mine” (there are: prediction, recheck); showing every kind." in page
    assert "No view “table” (there are: list, grid); showing the list." in page
    known = rey.get("/queue", params={"sort": "uncertainty", "kind": "recheck",
                                      "view": "list"}).text
    assert 'id="ignored-query"' not in known


def test_an_unknown_strategy_or_split_on_the_labelling_page_is_said(news_app: Any) -> None:
    _ws, _app, client = news_app
    rey = client("rey")
    page = rey.get("/label", params={"strategy": "clever", "split": "dev"}).text
    assert ("No sampling strategy “clever” (there are: random, stratified, uncertainty, "
            "nearest); choosing random unlabelled items.") in page, page
    assert "No split “dev” (there are: train, test); labelling for the test split." in page
    known = rey.get("/label", params={"strategy": "stratified", "split": "train"}).text
    assert 'id="ignored-query"' not in known
