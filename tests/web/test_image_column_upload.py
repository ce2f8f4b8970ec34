"""An image project's "Bring items in" column mapping takes a column of images, as
``glamlab ingest --image-column`` does: each row with an image's web address comes in
as an image item (nothing is fetched now), with its label; a row whose image is a path
on the server (absolute, ``..``, even to a real image), a file not uploaded, an address
that is not http(s) or an empty cell is one problem naming its line and item, and the
other rows come in (before, the step had no image column: such a table brought in
labels only, or nothing). A project of texts takes no image column."""

from __future__ import annotations

import html
import shutil
from typing import Any

from glamlab.demo import demo_data

from .conftest import app_with_users, csrf_of
from .test_label_table_upload import image_app  # noqa: F401  (the fixture)
from .test_setup_pages import _map, _upload


def test_a_table_of_image_addresses_comes_in_and_paths_on_the_server_do_not(
        image_app: Any) -> None:  # noqa: F811
    from glamlab.web import jobs

    ws, app, client = image_app
    real = sorted((demo_data("illustrations") / "images").glob("*.jpg"))[0]
    shutil.copy(real, ws.root / "secret.jpg")  # an image on the server, outside the upload
    table = ("id,image,label\n"
             "u1,https://example.org/iiif/u1/full/max/0/default.jpg,graphic\n"
             "u2,http://example.org/scans/u2.png,no_graphic\n"
             "b1,../../secret.jpg,graphic\n"
             f"b2,{real},graphic\n"
             "b3,ftp://example.org/b3.jpg,graphic\n"
             "b4,photo.jpg,graphic\n"
             "b5,,graphic\n")
    ada = client("ada")
    r = _upload(ada, "scans.csv", table.encode())
    page = ada.get(r.headers["location"]).text
    assert '<select id="map-image" name="image_column">' in page
    done = _map(ada, r, id_column="id", text_column="", label_column="label",
                image_column="image")
    assert done.status_code == 303, done.text
    assert app.state.jobs.wait(300)
    job = jobs.latest(ws, "ingest")
    assert job["status"] == "done", job
    assert job["params"]["image_column"] == "image"

    items = {it.item_id: it for it in ws.items()}
    assert sorted(items) == ["u1", "u2"]
    assert items["u1"].modality == "image"
    assert items["u1"].uri == "https://example.org/iiif/u1/full/max/0/default.jpg"
    assert items["u2"].uri == "http://example.org/scans/u2.png"
    from glamlab.tasks.labels import gold_labels

    assert gold_labels(ws) == {"u1": ["graphic"], "u2": ["no_graphic"]}

    report = job["result"]
    problems = report["problems"]
    assert len(problems) == 5, problems
    said = {p["reason"].split(":", 1)[0]: p for p in problems}
    assert sorted(said) == [f"line {n}" for n in range(4, 9)]
    outside = "is a path on the server outside the upload, which this page does not read"
    assert "'b1' " + outside in said["line 4"]["reason"]
    assert "'b2' " + outside in said["line 5"]["reason"]
    assert "'b3' is not a web address starting with http:// or https://" in \
        said["line 6"]["reason"]
    assert "'b4' is not a web address, and no such file came with the table" in \
        said["line 7"]["reason"]
    assert "item 'b5' has no value in the image column 'image'" in said["line 8"]["reason"]
    for p in problems[:4]:
        assert "web address" in p["hint"] and str(ws.root) not in p["reason"], p
    assert report["label_problems"] == []
    shown = ada.get("/stages/items").text
    assert "is a path on the server outside the upload" in shown


def test_a_left_out_row_names_the_uploaded_file_not_the_servers_folder(
        image_app: Any) -> None:  # noqa: F811
    """The table of what was left out named each row "/srv/.../uploads/20261205-.../
    scans.csv:line 3": the server's upload folder, which means nothing to the curator
    (the reason itself already named no folder)."""
    ws, app, client = image_app
    ada = client("ada")
    table = "id,image\nu1,https://example.org/u1.jpg\nb1,ftp://example.org/b1.jpg\n"
    r = _upload(ada, "scans.csv", table.encode())
    assert _map(ada, r, id_column="id", text_column="", label_column="",
                image_column="image").status_code == 303
    assert app.state.jobs.wait(300)
    shown = ada.get("/stages/items").text
    rows = shown[shown.index('id="items-problems"'):]
    rows = rows[:rows.index("</table>")]
    assert "<td>scans.csv:line 3</td>" in rows
    assert str(ws.root) not in rows and "uploads" not in rows


def test_the_image_column_is_checked_before_the_job(image_app: Any) -> None:  # noqa: F811
    from glamlab.web import jobs

    ws, app, client = image_app
    ada = client("ada")
    r = _upload(ada, "scans.csv", b"id,image,label\nu1,https://example.org/u1.jpg,graphic\n")
    part = ada.get(r.headers["location"]).text.split('id="map-image"', 1)[1]
    assert "<option selected>image</option>" in part.split("</select>", 1)[0]  # guessed
    for image, words in (("picture", "scans.csv has no column 'picture'"),
                         ("id", "one column was chosen for two roles")):
        done = _map(ada, r, id_column="id", label_column="label", image_column=image)
        assert done.status_code == 422, (image, done.status_code)
        assert words in html.unescape(done.text), image
    assert jobs.latest(ws, "ingest") is None and ws.count_items() == 0


def test_a_text_project_takes_no_image_column(make_ws: Any) -> None:
    ws = make_ws("texts", task="topics", modality="text", labels=["a", "b"])
    made = app_with_users(ws)
    _ws, _app, client = next(made)
    try:
        ada = client("ada")
        r = _upload(ada, "texts.csv",
                    b"id,text,image\nt1,A long enough text here,https://example.org/t1.jpg\n")
        page = ada.get(r.headers["location"]).text
        assert 'name="image_column"' not in page
        done = ada.post("/stages/items/table", data={
            "csrf": csrf_of(ada), "upload": r.headers["location"].split("upload=")[1]
            .split("&")[0], "file": "texts.csv", "id_column": "id", "text_column": "text",
            "image_column": "image"}, follow_redirects=False)
        assert done.status_code == 422
        assert "this project's items are not images, so it takes no column of images" \
            in html.unescape(done.text)
        assert ws.count_items() == 0
    finally:
        next(made, None)


def test_a_column_of_file_names_is_not_taken_for_images(image_app: Any) -> None:  # noqa: F811
    """A table of labels for images already here often has their file names: the
    mapping step does not choose it as the image column (the labels come in as before)."""
    ws, app, client = image_app
    ada = client("ada")
    r = _upload(ada, "labels.csv", b"id,path,label\np1,scans/p1.jpg,graphic\n")
    part = ada.get(r.headers["location"]).text.split('id="map-image"', 1)[1]
    part = part.split("</select>", 1)[0]
    assert "selected" not in part
