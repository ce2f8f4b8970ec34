"""The web app's exports follow the API's rule about files on the server: an admin gets
their paths, anyone else does not. Before, every signed-in user's download held the
``uri`` column (a local file's full path on the server) and any metadata field naming a
file by its path, while ``GET /api/items`` gave a reviewer the file's name and no local
``uri``. Now a reviewer's CSV, JSON lines, Parquet and Excel downloads leave a local
file's ``uri`` empty and name a file in a metadata field by its name (a web address is
kept as it is), the send-on list leaves such files out and says why, and an admin's
downloads are as they were."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from typing import Any

import pytest

from .conftest import app_with_users

SCANS = "/srv/private-scans/vol1"
LOCAL = ["p1", "p2", "p3"]
WEB = "https://example.org/iiif/p4.jpg"


@pytest.fixture
def paths_app(make_ws: Any) -> Any:
    """Three page images kept on the server (each with a ``scan`` field naming its file
    by its path there), one on the web; a model's predictions acted on; ada (admin) and
    rey (reviewer)."""
    from glamlab.actions import act
    from tests.actions.helpers import add_items, add_model, add_predictions

    ws = make_ws("paths", task="blanks", labels=["blank", "text"], positive_label="blank")
    add_items(ws, [*({"item_id": i, "uri": f"{SCANS}/{i}.jpg", "source": f"{SCANS}/list.csv",
                      "meta": {"scan": f"{SCANS}/{i}.jpg", "shelf": "A 12"}} for i in LOCAL),
                   {"item_id": "p4", "uri": WEB, "meta": {"scan": WEB, "shelf": "B 3"}}])
    mid = add_model(ws, "m", 1)
    add_predictions(ws, mid, {i: {"blank": 0.1, "text": 0.9} for i in [*LOCAL, "p4"]})
    act(ws)
    for served, _app, client in app_with_users(ws):  # closed and stopped afterwards
        yield served, client


def _download(c: Any, fmt: str) -> bytes:
    r = c.get(f"/stages/export/download?format={fmt}&chosen=1&meta=scan&meta=shelf")
    assert r.status_code == 200, r.text[:500]
    return bytes(r.content)


def _rows(c: Any, fmt: str) -> list[dict[str, Any]]:
    """The download's rows as dicts, whatever its format."""
    data = _download(c, fmt)
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    if fmt == "jsonl":
        return [json.loads(line) for line in data.decode("utf-8").splitlines() if line]
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(io.BytesIO(data)).to_pylist()
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    got = [list(r) for r in sheet.iter_rows(values_only=True)]
    return [dict(zip(got[0], r, strict=False)) for r in got[1:]]


FORMATS = ["csv", "jsonl", "parquet",
           *(["xlsx"] if importlib.util.find_spec("openpyxl") else [])]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_reviewer_s_download_names_no_server_path(paths_app: Any, fmt: str) -> None:
    _ws, client = paths_app
    rows = {r["item_id"]: r for r in _rows(client("rey"), fmt)}
    assert set(rows) == {*LOCAL, "p4"}
    for i in LOCAL:
        assert not rows[i]["uri"], rows[i]
        assert rows[i]["scan"] == f"{i}.jpg" and rows[i]["shelf"] == "A 12"
    assert rows["p4"]["uri"] == WEB and rows["p4"]["scan"] == WEB
    assert SCANS.encode() not in _download(client("rey"), fmt)
    # the API says the same of the same items
    api = {i["item_id"]: i for i in client("rey").get("/api/items").json()}
    assert api["p1"]["uri"] is None and api["p1"]["meta"]["scan"] == "p1.jpg"


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_admin_s_download_names_the_files_by_their_paths(paths_app: Any, fmt: str) -> None:
    _ws, client = paths_app
    rows = {r["item_id"]: r for r in _rows(client("ada"), fmt)}
    for i in LOCAL:
        assert rows[i]["uri"] == f"{SCANS}/{i}.jpg" and rows[i]["scan"] == f"{SCANS}/{i}.jpg"
    assert rows["p4"]["uri"] == WEB
    api = {i["item_id"]: i for i in client("ada").get("/api/items").json()}
    assert api["p1"]["uri"] == f"{SCANS}/p1.jpg"


def test_the_send_on_list_leaves_a_reviewer_the_web_addresses(paths_app: Any) -> None:
    """The send-on list is addresses: a reviewer is told the files on the server are
    left out (an admin downloads it whole), and the rest of the list holds no path."""
    import html
    import re

    _ws, client = paths_app
    rey = client("rey")
    page = rey.get("/stages/export").text
    assert 'id="export-no-paths"' in page and "given to admins only" in page
    said = rey.get("/stages/export/download?format=filter")
    assert said.status_code == 200 and said.headers["content-type"].startswith("text/html")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", said.text)).split())
    assert "3 items were left out of the send-on list" in text, text[:800]
    assert "they are files on the server, whose paths only an admin is given" in text
    assert "ask an admin to download the send-on list" in text and SCANS not in said.text
    rest = rey.get("/stages/export/download?format=filter&left_out=ok")
    assert rest.text.splitlines() == [WEB]
    ada = client("ada")
    assert 'id="export-no-paths"' not in ada.get("/stages/export").text
    whole = ada.get("/stages/export/download?format=filter")
    assert sorted(whole.text.splitlines()) == sorted([*(f"{SCANS}/{i}.jpg" for i in LOCAL),
                                                      WEB])


def test_an_entities_download_names_a_file_in_a_field_as_the_api_does(kind_template: Any
                                                                       ) -> None:
    """An entities project's mention rows: a metadata field naming a file by its server
    path is the file's name to a reviewer, the path to an admin."""
    from glamlab.actions import act

    from .conftest import app_with_users

    ws = kind_template("entities")
    act(ws, model="gazetteer@1")
    items = ws.store.t.items
    with ws.store.write() as conn:
        conn.execute(items.update().where(items.c.item_id.in_(["new0", "new1"])).values(
            meta={"scan": f"{SCANS}/page.xml"}))
    made = app_with_users(ws)
    ws, _app, client = next(made)
    try:
        for user, want in (("rey", "page.xml"), ("ada", f"{SCANS}/page.xml")):
            r = client(user).get("/stages/export/download?format=csv&chosen=1&meta=scan")
            assert r.status_code == 200, r.text[:500]
            rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
            assert rows and {row["scan"] for row in rows if row["item_id"] in
                             ("new0", "new1")} == {want}, (user, rows[:2])
    finally:
        next(made, None)
        ws.close()
