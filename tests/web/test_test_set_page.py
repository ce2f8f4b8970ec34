"""Setting a test set aside in the browser: labels brought in without a split (a
spreadsheet, the terminal's ``glamlab labels import``) used to leave a curator stuck (the
overview asked for 100 more labels, the labelling page said every item had one). An admin
sets a share aside on the labelling page, keeping the pages of one document together; a
frozen test set is refused in words, and the overview's next step points to the form."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import app_with_users, csrf_of

DOCUMENTS, PAGES = 12, 5


@pytest.fixture
def pages_app(make_ws: Any, tmp_path: Path) -> Any:
    """60 labelled pages of 12 documents (a ``document`` and a ``shelf`` field each), their
    labels imported with no split: nothing is set aside as a test set."""
    from glamlab.tasks import import_labels
    from tests.tasks.helpers import add_items, write_csv

    ws = make_ws("pages", modality="text", labels=["a", "b"])
    rows = [{"id": f"d{d:02d}-p{p}", "text": f"page {p} of document {d}",
             "meta": {"document": f"doc-{d:02d}", "shelf": f"shelf-{d % 3}", "page": p}}
            for d in range(DOCUMENTS) for p in range(PAGES)]
    add_items(ws, rows)
    labels = write_csv(tmp_path / "labels.csv", ["id", "label"],
                       [[r["id"], "ab"[i % 2]] for i, r in enumerate(rows)])
    import_labels(ws, labels)
    made = app_with_users(ws)
    yield next(made)
    next(made, None)


def _main(html: str) -> str:
    return html.split("<main", 1)[1]


def test_the_overview_points_to_setting_a_test_set_aside(pages_app: Any) -> None:
    ws, _app, client = pages_app
    page = _main(client("ada").get("/").text)
    assert "60 items labelled, none set aside as a test set" in page
    assert 'href="/label#test-set"' in page and "Set aside a test set" in page
    assert "label about 100 items" not in page
    assert "fewer than about 100 labelled items the test figures are rough" in page
    # the evaluate page, which needs a test set, points to the same form
    evaluate = _main(client("ada").get("/stages/evaluate").text)
    assert '<a href="/label#test-set">Set a test set aside from the labelled items' in evaluate
    assert "for the test set first" not in evaluate


def test_an_admin_sets_a_test_set_aside_keeping_documents_together(pages_app: Any) -> None:
    from glamlab.tasks.splits import split_of

    ws, _app, client = pages_app
    ada = client("ada")
    page = _main(ada.get("/label").text)
    form = re.search(r'<form method="post" action="/label/test-set".*?</form>', page, re.S)
    assert form, page
    assert 'name="share"' in form.group(0) and 'value="30"' in form.group(0)
    # the fields several labelled items share, the kind's suggestion (document) chosen;
    # "page" too repeats across documents, so it is offered but not chosen
    options = re.findall(r'<option value="([^"]*)" ?(selected)?', form.group(0))
    assert ("document", "selected") in options and ("shelf", "") in options
    assert ("", "") in options  # nothing kept together
    assert "None of the <b>60</b> labelled items is set aside yet" in page
    r = ada.post("/label/test-set", data={"csrf": csrf_of(ada), "share": "25",
                                          "keep_together": "document"},
                 follow_redirects=False)
    assert r.status_code == 303, r.text
    splits = split_of(ws)
    assert len(splits) == 60 and set(splits.values()) == {"train", "test"}
    by_doc: dict[str, set[str]] = {}
    for item_id, split in splits.items():
        by_doc.setdefault(item_id.split("-")[0], set()).add(split)
    assert all(len(s) == 1 for s in by_doc.values())  # every document whole
    test = sum(1 for s in splits.values() if s == "test")
    assert test % PAGES == 0 and 0 < test < 60
    done = _main(ada.get(r.headers["location"]).text)
    assert f"Set aside: <b>{test}</b> items as the test set and <b>{60 - test}</b>" in done
    assert "groups kept whole" in done
    # the audit log says who did it, and the overview moves on
    from glamlab.evaluation.calibration import split_group_by

    assert split_group_by(ws) == "document"
    overview = _main(ada.get("/").text)
    assert "none set aside as a test set" not in overview


def test_the_share_alone_and_its_limits(pages_app: Any) -> None:
    from glamlab.tasks.splits import split_of

    ws, _app, client = pages_app
    ada = client("ada")
    bad = ada.post("/label/test-set", data={"csrf": csrf_of(ada), "share": "95"})
    assert bad.status_code == 422, bad.status_code
    assert "between 5% and 70%" in bad.text and "glamlab" not in _main(bad.text)
    odd = ada.post("/label/test-set", data={"csrf": csrf_of(ada), "share": "30",
                                            "keep_together": "text"})
    assert odd.status_code == 422 and "share no values of the field" in odd.text
    assert not split_of(ws)
    r = ada.post("/label/test-set", data={"csrf": csrf_of(ada), "share": "30"},
                 follow_redirects=False)
    assert r.status_code == 303
    assert sum(1 for s in split_of(ws).values() if s == "test") == 18


def test_the_form_needs_its_csrf_token_and_an_admin(pages_app: Any) -> None:
    from glamlab.tasks.splits import split_of

    ws, _app, client = pages_app
    ada = client("ada")
    r = ada.post("/label/test-set", data={"csrf": "forged", "share": "30"},
                 follow_redirects=False)
    assert r.status_code == 403, r.status_code
    rey = client("rey")
    page = _main(rey.get("/label").text)
    assert 'action="/label/test-set"' not in page
    assert "An admin can set a test set aside here" in page
    r = rey.post("/label/test-set", data={"csrf": csrf_of(rey), "share": "30"},
                 follow_redirects=False)
    assert r.status_code == 403, r.status_code
    assert not split_of(ws)


def test_a_frozen_test_set_is_refused_in_words(pages_app: Any) -> None:
    from glamlab.tasks import split_labels
    from glamlab.tasks.splits import split_of, test_data

    ws, _app, client = pages_app
    split_labels(ws, test_size=0.3, group_by="document")
    test_data(ws, reader="evaluate")  # an evaluation read it: frozen
    before = split_of(ws)
    ada = client("ada")
    page = _main(ada.get("/label").text)
    assert 'id="test-set-frozen"' in page and 'action="/label/test-set"' not in page
    r = ada.post("/label/test-set", data={"csrf": csrf_of(ada), "share": "30"})
    assert r.status_code == 422, r.status_code
    text = _main(r.text)
    assert "cannot be set aside again" in text and "already measured on it" in text
    assert "glamlab labels" not in text and "--force" not in text
    assert split_of(ws) == before


def test_one_labelled_item_is_said_as_one(make_ws: Any, tmp_path: Path) -> None:
    """The overview's next step with a single labelled item: "1 item labelled", not
    "1 items labelled"."""
    from glamlab.tasks import import_labels
    from tests.tasks.helpers import add_items, write_csv

    ws = make_ws("one", modality="text", labels=["a", "b"])
    add_items(ws, [{"id": "p1", "text": "a page"}, {"id": "p2", "text": "another page"}])
    import_labels(ws, write_csv(tmp_path / "one.csv", ["id", "label"], [["p1", "a"]]))
    made = app_with_users(ws)
    _ws, _app, client = next(made)
    page = _main(client("ada").get("/").text)
    next(made, None)
    assert "1 item labelled, none set aside as a test set" in page
    assert "1 items" not in page
