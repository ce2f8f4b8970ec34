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
