"""A table of labels ("id,label") for items already in the project, uploaded in the web
app (a curator bringing in labels from a spreadsheet): the labels are saved and the
report says so; only rows really left out are listed, each with its line and the fix."""

from __future__ import annotations

import html
import io
import re
import zipfile
from typing import Any

import pytest

from glamlab.demo import demo_data

from .conftest import app_with_users
from .test_setup_pages import _map, _upload


@pytest.fixture
def image_app(make_ws: Any) -> Any:
    ws = make_ws("labels", task="graphics", modality="image", labels=["graphic", "no_graphic"])
    yield from app_with_users(ws)


def _images_in(ws: Any, app: Any, ada: Any, n: int) -> list[str]:
    images = sorted((demo_data("illustrations") / "images").glob("*.jpg"))[:n]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p in images:
            z.write(p, f"scans/{p.name}")
    r = _upload(ada, "scans.zip", buf.getvalue())
    assert r.status_code == 303, r.text
    assert app.state.jobs.wait(300)
    ids = sorted(it.item_id for it in ws.items())
    assert len(ids) == n
    return ids


def _report(page: str) -> str:
    start = page.index('id="items-report"')
    return page[start:page.index("</section>", start)]


def _bring_in_labels(ws: Any, app: Any, ada: Any, body: str) -> str:
    r = _upload(ada, "labels.csv", body.encode())
    done = _map(ada, r, id_column="id", text_column="", label_column="label")
    assert done.status_code == 303, done.text
    assert app.state.jobs.wait(300)
    return _report(ada.get(done.headers["location"]).text)


def test_labels_for_items_already_here_are_said_to_be_saved(image_app: Any) -> None:
    from glamlab.tasks.labels import gold_labels

    ws, app, client = image_app
    ada = client("ada")
    ids = _images_in(ws, app, ada, 6)
    wanted = {i: "graphic" if n % 2 else "no_graphic" for n, i in enumerate(ids)}
    report = _bring_in_labels(ws, app, ada, "id,label\n" + "".join(
        f"{i},{label}\n" for i, label in wanted.items()))
    assert gold_labels(ws) == {i: [g] for i, g in wanted.items()}
    assert ws.count_items() == 6 and {it.modality for it in ws.items()} == {"image"}
    # no row is said to be left out: each label was saved
    assert "already belongs" not in report and "left out" not in report
    assert 'id="items-problems"' not in report
    assert re.search(r'<b data-count="labels-here">6</b> labels saved for items already '
                     r"here", report), report
    # nothing new is said to have come in (the images were there before)
    assert 'data-count="added"' not in report


def test_each_bad_row_of_a_label_table_is_one_line_and_the_rest_is_saved(image_app: Any
                                                                         ) -> None:
    from glamlab.tasks.labels import gold_labels

    ws, app, client = image_app
    ada = client("ada")
    ids = _images_in(ws, app, ada, 6)
    body = ("id,label\n"
            f"{ids[0]},graphic\n"          # line 2
            f"{ids[1]},no_graphic,extra\n"  # line 3: a cell too many
            f"{ids[2]},graphic\n"          # line 4
            f"{ids[2]},no_graphic\n"       # line 5: the same id again, another label
            "scans/not-here,graphic\n"     # line 6: no such item
            f"{ids[3]},no_graphic\n")      # line 7
    report = _bring_in_labels(ws, app, ada, body)
    assert gold_labels(ws) == {ids[0]: ["graphic"], ids[2]: ["graphic"], ids[3]: ["no_graphic"]}
    assert ws.count_items() == 6  # the unknown id did not become an item
    assert "already belongs" not in report
    assert re.search(r'data-count="labels-here">3</b> labels saved for items already here',
                     report), report
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", report)
    assert len(rows) == 3, rows  # one line each, nothing else
    # the line is named once: by the item cell where it names it, else by the reason
    by_line = {re.search(r"line (\d+)", item + " " + reason).group(1):  # type: ignore[union-attr]
               (reason, fix) for item, reason, fix in rows}
    assert not [r for item, r, _fix in rows if "line" in item and r.startswith("line ")], rows
    assert set(by_line) == {"3", "5", "6"}
    reason, fix = by_line["3"]
    assert "3 values where the header has 2 columns" in reason and fix
    reason, fix = by_line["5"]
    assert "line 4 too" in reason and "the label of line 4 was saved" in reason
    assert "one row per item" in fix
    reason, fix = by_line["6"]
    assert "no item with id &#39;scans/not-here&#39; in the project" in reason
    assert "check the id" in fix and "bring the images in first" in fix


def test_a_label_table_whose_ids_are_not_here_creates_no_item(image_app: Any) -> None:
    """The wrong spreadsheet (none of its ids is in the project): no item is created, the
    report says none of the ids is here, and each id is listed once with the fix, the
    rest in one line when there are many."""
    from glamlab.tasks.labels import gold_labels
    from glamlab.tasks.uploads import SHOWN_MISSING

    ws, app, client = image_app
    ada = client("ada")
    ids = _images_in(ws, app, ada, 2)
    wrong = [f"ms-{n:03d}" for n in range(SHOWN_MISSING + 5)]
    body = "id,label\n" + "".join(f"{i},graphic\n" for i in wrong) + f"{wrong[0]},graphic\n"
    report = _bring_in_labels(ws, app, ada, body)
    assert sorted(it.item_id for it in ws.items()) == ids  # nothing new, nothing empty
    assert {it.modality for it in ws.items()} == {"image"}
    assert gold_labels(ws) == {}
    assert 'data-count="added"' not in report
    assert re.search(r'data-count="labels-here">0</b> labels saved', report), report
    assert re.search(rf'data-count="failed">{len(wrong) + 1}</b> rows left out', report)
    rows = [tuple(map(html.unescape, r)) for r in re.findall(
        r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", report)]
    assert f"none of the {len(wrong)} ids of labels.csv is an item of this project" \
        in rows[0][1]
    assert "right spreadsheet" in rows[0][2]
    listed = [r for r in rows[1:] if r[1].startswith(("line", "lines"))]
    assert [r[0] for r in listed] == wrong[:SHOWN_MISSING]  # each id once
    assert listed[0][1].startswith(f"lines 2, {len(wrong) + 2}: no item with id 'ms-000'")
    assert all("check the id" in r[2] and "bring the images in first" in r[2]
               for r in listed)
    assert len(rows) == 1 + SHOWN_MISSING + 1
    assert rows[-1][0] == "5 more ids" and "'ms-020'" in rows[-1][1]


def test_an_image_projects_table_with_neither_text_nor_label_is_refused_at_once(
        image_app: Any) -> None:
    ws, app, client = image_app
    ada = client("ada")
    r = _upload(ada, "ids.csv", b"id,note\nms-1,a\nms-2,b\n")
    done = _map(ada, r, id_column="id", text_column="", label_column="")
    assert done.status_code == 422
    assert "ids.csv gives neither texts nor labels" in done.text
    assert "choose the column that holds each image" in done.text
    assert ws.count_items() == 0


def test_a_table_with_a_text_column_still_brings_its_items_in(image_app: Any) -> None:
    ws, app, client = image_app
    ada = client("ada")
    r = _upload(ada, "captions.csv",
                b"id,text,label\ncap-1,A woodcut of a ship,graphic\n"
                b"cap-2,A plain page of text,no_graphic\n")
    done = _map(ada, r, id_column="id", text_column="text", label_column="label")
    assert done.status_code == 303, done.text
    assert app.state.jobs.wait(300)
    report = _report(ada.get(done.headers["location"]).text)
    assert re.search(r'data-count="added">2</b> new', report), report
    assert {it.item_id: it.text for it in ws.items()} == {
        "cap-1": "A woodcut of a ship", "cap-2": "A plain page of text"}
