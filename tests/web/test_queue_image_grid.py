"""The review queue offers its image grid only where the project's items have images
(routes.review._queue, web.images.has_images)."""

from __future__ import annotations

from typing import Any

from tests.web.test_entities_review import entities_ws as entities_ws  # the fixture
from tests.web.test_unknown_query_values import news_app as news_app  # the fixture

GRID = '<option value="grid"'


def test_a_text_project_offers_no_image_grid(news_app: Any) -> None:
    """Before, a project of texts offered "View: image grid", which showed the same text
    cards. Now the queue has no View choice there, and an address asking for the grid
    says plainly there is none and shows the list."""
    _ws, _app, client = news_app
    rey = client("rey")
    page = rey.get("/queue").text
    assert 'id="sort"' in page  # the sort and filter form is shown
    assert GRID not in page and "image grid</option>" not in page
    grid = rey.get("/queue", params={"view": "grid"}).text
    assert 'id="ignored-query"' in grid
    assert "The items of this project have no images, so there is no image grid; showing " \
           "the list." in grid
    assert 'class="grid"' not in grid


def test_an_entities_project_of_texts_offers_no_image_grid(entities_ws: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.web import create_app
    from tests.web.conftest import login

    with TestClient(create_app(entities_ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/queue").text
        assert 'data-queue-id="' in page and GRID not in page


def test_an_image_project_keeps_its_image_grid(client_for: Any) -> None:
    rey = client_for("rey")
    page = rey.get("/queue").text
    assert GRID in page
    grid = rey.get("/queue", params={"view": "grid"}).text
    assert 'class="grid" id="queue-items"' in grid and 'id="ignored-query"' not in grid


def _add(ws: Any, item_id: str, modality: str) -> None:
    from glamlab.store import now

    with ws.store.write() as conn:
        conn.execute(ws.store.t.items.insert().values(
            item_id=item_id, version=1, is_current=True, modality=modality,
            source_kind="text", source="t.csv", content_hash=item_id, meta={},
            created_at=now()))


def test_whether_any_item_has_an_image_is_read_once_per_ingest(make_ws: Any) -> None:
    """Asked on every queue view: answered no, it reads every item (a million texts), so
    the answer is kept until an item is brought in, and then asked again."""
    import sqlalchemy as sa

    from glamlab.web.images import has_images

    ws = make_ws("texts", modality="text")
    for i in range(3):
        _add(ws, f"t{i}", "text")
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "modality" in statement:
            seen.append(statement)

    sa.event.listen(ws.store.engine, "before_cursor_execute", count)
    try:
        assert has_images(ws) is False and has_images(ws) is False
        assert len(seen) == 1  # the second view took the kept answer
        _add(ws, "p1", "image")
        assert has_images(ws) is True  # a new item: asked again
        assert len(seen) == 2
    finally:
        sa.event.remove(ws.store.engine, "before_cursor_execute", count)


def _delete(ws: Any, *item_ids: str) -> None:
    with ws.store.write() as conn:
        conn.execute(ws.store.t.items.delete().where(ws.store.t.items.c.item_id.in_(item_ids)))


def test_the_image_grid_goes_when_the_image_items_are_deleted(make_ws: Any) -> None:
    """The kept answer was renewed only when the items' newest row changed: after the
    image items were deleted (an older row, so the newest stayed) the queue still offered
    the image grid and the IIIF download. A yes is now checked on the item that gave it."""
    from glamlab.web.images import has_images

    ws = make_ws("texts", modality="text")
    _add(ws, "p1", "image")
    _add(ws, "p2", "image")
    _add(ws, "t1", "text")
    assert has_images(ws) is True
    _delete(ws, "p1")
    assert has_images(ws) is True  # p2 still has one
    _delete(ws, "p2")
    assert has_images(ws) is False
    assert has_images(ws) is False


def test_an_image_replaced_by_a_text_version_is_no_image(make_ws: Any) -> None:
    """A new version of the image item, without image: the old row is no longer current."""
    from glamlab.store import now
    from glamlab.web.images import has_images

    ws = make_ws("texts", modality="text")
    _add(ws, "t1", "text")
    _add(ws, "p1", "image")
    _add(ws, "t2", "text")
    assert has_images(ws) is True
    t = ws.store.t.items
    with ws.store.write() as conn:  # as ingest does: the old version kept, not current
        conn.execute(t.update().where(t.c.item_id == "p1").values(is_current=False))
    assert has_images(ws) is False
    with ws.store.write() as conn:
        conn.execute(t.insert().values(
            item_id="p1", version=2, is_current=True, modality="text", source_kind="text",
            source="t.csv", content_hash="p1-2", meta={}, created_at=now()))
    assert has_images(ws) is False


def test_an_image_in_the_key_of_a_deleted_newest_item_is_seen(make_ws: Any) -> None:
    """SQLite gives a new row the key after the highest: the newest text deleted, an
    image brought in takes its key, and the items' newest key is the one the kept no was
    made at. The newest row's id and content tell them apart."""
    from glamlab.web.images import has_images

    ws = make_ws("texts", modality="text")
    _add(ws, "t1", "text")
    _add(ws, "t2", "text")
    assert has_images(ws) is False
    t = ws.store.t.items
    with ws.store.read() as conn:
        before = conn.execute(t.select().where(t.c.item_id == "t2")).one().pk
    _delete(ws, "t2")
    _add(ws, "p1", "image")
    with ws.store.read() as conn:
        after = conn.execute(t.select().where(t.c.item_id == "p1")).one().pk
    # the case this is about (on SQLite; a PostgreSQL sequence gives no key twice)
    assert after == before or not ws.store.is_sqlite
    assert has_images(ws) is True
