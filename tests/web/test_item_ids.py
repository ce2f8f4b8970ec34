"""Item ids holding ``/`` or ``..`` (a table may give any id): the web app's links name
that very item, and no id reaches a file the item does not name."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import sqlalchemy as sa

from glamlab.demo import demo_data
from glamlab.store import now

ODD_IDS = ("a/../b", "..", ".", "c/d?e#f g")


def _ingest_odd_ids(ws: Any, tmp_path: Path) -> None:
    """Items with odd ids, and "b" (what "a/../b" comes to when read as a path), ingested
    through the Python API as `glamlab ingest --id-column id` reads them, each waiting
    in the review queue at the top of the page."""
    image = next((demo_data("illustrations") / "images").glob("*.jpg")).resolve()
    table = tmp_path / "odd.csv"
    table.write_text("id,path\n" + "".join(f'"{i}",{image}\n' for i in (*ODD_IDS, "b")),
                     encoding="utf-8")
    report = ws.ingest([str(table)], id_column="id", image_column="path")
    assert not report.problems, report.problems
    assert {i.item_id for i in ws.items(ids=[*ODD_IDS, "b"])} == {*ODD_IDS, "b"}
    t = ws.store.t.review_queue
    with ws.store.write() as conn:
        for item_id in (*ODD_IDS, "b"):
            conn.execute(t.insert().values(item_id=item_id, label=ws.card.labels[0],
                                           score=0.99999, reason="score 0.99999",
                                           kind="prediction", status="open", version=1,
                                           created_at=now()))


def test_links_of_odd_item_ids_open_that_item(client_for: Any, queued_ws: Any,
                                              tmp_path: Path) -> None:
    """The queue's links to each item's page and thumbnail, followed as a browser
    resolves them ("/items/a/../b" would be /items/b, "/items/.." the overview), open
    that very item; its page's image too."""
    _ingest_odd_ids(queued_ws, tmp_path)
    c = client_for("rey")
    html = c.get("/queue?view=grid").text
    base = "http://testserver/queue"
    for item_id in ODD_IDS:
        # the row's page link: the figure's caption names the item
        title = re.escape(f"Open {item_id} (zoom)").replace("&", "&amp;")
        found = re.search(r'<a href="([^"]+)" title="' + title.replace('"', "&#34;") +
                          r'"><img src="([^"]+)"', html)
        assert found, f"no link to {item_id!r} on the queue page"
        page_url, thumb_url = (urljoin(base, unescape(u)) for u in found.groups())
        assert page_url.startswith("http://testserver/items/"), page_url
        assert thumb_url.startswith("http://testserver/thumb/"), thumb_url
        page = c.get(page_url)
        assert page.status_code == 200, (item_id, page_url, page.text[:300])
        h1 = re.search(r"<h1>(.*?)</h1>", page.text)
        assert h1 and unescape(h1.group(1)) == f"Item {item_id}", (item_id, page_url)
        thumb = c.get(thumb_url)
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
        img = re.search(r'<img src="(/image/[^"]+)"', page.text)
        assert img, page.text
        big = c.get(urljoin(page_url, unescape(img.group(1))))
        assert big.status_code == 200 and big.headers["content-type"] == "image/jpeg"


def test_no_item_id_reaches_a_file(client_for: Any, queued_ws: Any, tmp_path: Path) -> None:
    """An id that reads as a path (``..``, ``/``, escaped or not) is looked up as an id:
    a 404 for one no item has, never a file of the server or the workspace."""
    _ingest_odd_ids(queued_ws, tmp_path)
    c = client_for("rey")
    for route in ("/items/", "/thumb/", "/image/", "/api/items/"):
        for tail in ("..%2F..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "a%2F..%2F..%2Fglamlab.toml",
                     "?id=../glamlab.toml", "?id=/etc/passwd", "..%2Fglamlab.db"):
            r = c.get(route + tail)
            assert r.status_code == 404, (route, tail, r.status_code)
            assert "root:" not in r.text and "[task]" not in r.text
    t = queued_ws.store.t.items
    with queued_ws.store.read() as conn:  # only the ids ingested, nothing made by a request
        n = conn.execute(sa.select(sa.func.count()).select_from(t)
                         .where(t.c.item_id.like("%etc%"))).scalar()
    assert n == 0
