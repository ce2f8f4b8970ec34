"""A labels sheet for the pages of an uploaded ZIP keeps its other columns (the book)
as the pages' information, as the column-mapping form says ("Every other column is
kept"): the Book column was dropped. An image project's form offers no text column."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest

from glamlab.demo import demo_data

from .conftest import app_with_users, csrf_of


@pytest.fixture
def init_app(make_ws: Any) -> Any:
    ws = make_ws("proj", task="illustrations", modality="image",
                 labels=["graphic", "no_graphic"])
    yield from app_with_users(ws)


def _upload(c: Any, name: str, data: bytes) -> Any:
    return c.post("/stages/items", data={"csrf": csrf_of(c)},
                  files={"file": (name, data)}, follow_redirects=False)


def books_labelled(init_app: Any, books: int = 3, pages: int = 4) -> tuple[Any, Any, Any, str]:
    """A ZIP of ``books`` x ``pages`` pages in one folder, then a sheet of their labels by
    file name with a Book column; returns (ws, app, the admin's client, the result page)."""
    ws, app, client = init_app
    ada = client("ada")
    jpgs = sorted((demo_data("illustrations") / "images").glob("*.jpg"))
    buf = io.BytesIO()
    rows = ["File name,Illustration?,Book"]
    with zipfile.ZipFile(buf, "w") as z:
        for b in range(books):
            for p in range(pages):
                k = b * pages + p
                z.writestr(f"pages/book{b}_f{p}.jpg", jpgs[k % len(jpgs)].read_bytes())
                rows.append(f"book{b}_f{p}.jpg,{'graphic' if p % 2 else 'no_graphic'},"
                            f"book{b}")
    assert _upload(ada, "pages.zip", buf.getvalue()).status_code == 303
    assert app.state.jobs.wait(300)
    r = _upload(ada, "labels.csv", ("\n".join(rows) + "\n").encode("utf-8-sig"))
    assert r.status_code == 303, r.text
    form = ada.get(r.headers["location"]).text
    q = dict(re.findall(r"(upload|file)=([^&]+)", r.headers["location"]))
    done = ada.post("/stages/items/table", data={
        "csrf": csrf_of(ada), **q, "id_column": "File name",
        "label_column": "Illustration?"}, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert app.state.jobs.wait(300)
    return ws, app, ada, form + ada.get(done.headers["location"]).text


def test_a_labels_sheet_keeps_its_book_column_on_the_pages(init_app: Any) -> None:
    ws, _app, _ada, page = books_labelled(init_app)
    form = page[page.index('aria-label="Column mapping"'):]
    assert 'id="map-text"' not in form and "The item&#39;s text" not in form
    assert "Every other column is kept" in form
    books = {it.item_id: it.meta.get("Book") for it in ws.items()}
    assert books["pages/book0_f0"] == "book0" and books["pages/book2_f3"] == "book2", books
    assert all(books.values()), books
    assert re.search(r'id="columns-kept">[^<]*\(Book\) kept as information about 12 ',
                     page), page[page.index("labels-here"):][:800]
    assert ws.count_items() == 12


def test_the_uploads_test_split_keeps_each_book_on_one_side(init_app: Any) -> None:
    """Every page of a ZIP has the document of its folder ("pages"): the split mixed the
    pages of one book between training and test, an optimistic test figure."""
    from glamlab.tasks.splits import split_of

    ws, _app, ada, page = books_labelled(init_app, books=6, pages=3)
    splits = split_of(ws)
    sides: dict[str, set[str]] = {}
    for item in ws.items():
        sides.setdefault(item.meta["Book"], set()).add(splits[item.item_id])
    assert set().union(*sides.values()) == {"train", "test"}, sides
    assert all(len(s) == 1 for s in sides.values()), sides
    assert "the Book of each kept on one side" in page
    assert 'id="test-set-ungrouped"' not in ada.get("/stages/evaluate").text
    assert 'id="test-set-ungrouped"' not in ada.get("/label").text


def test_a_test_split_that_mixes_books_is_said_with_the_fix(init_app: Any) -> None:
    ws, _app, ada, _page = books_labelled(init_app, books=6, pages=3)
    r = ada.post("/label/test-set", data={"csrf": csrf_of(ada), "share": "30",
                                          "keep_together": ""}, follow_redirects=False)
    assert r.status_code == 303, r.text
    for path in ("/stages/evaluate", "/label"):
        page = ada.get(path).text
        note = page[page.index('id="test-set-ungrouped"'):].split("</p>", 1)[0]
        assert "not set aside by <b>Book</b>" in note, note
        assert 'href="/label#test-set"' in note and "glamlab" not in note, note
    form = ada.get("/label").text
    assert re.search(r'<option[^>]*value="Book"[^>]*selected|<option selected[^>]*>Book<',
                     form), form[form.index('id="keep_together"'):][:600]
