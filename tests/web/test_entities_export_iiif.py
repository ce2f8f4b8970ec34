"""The Export page of an entities project of plain texts (no page images, no ALTO)
offers no IIIF annotations download, which could only refuse, and says why
(routes.stages._export_formats, actions.entity_export.iiif_offered). A project with
page images keeps it: tests/web/test_export_page.py."""

from __future__ import annotations

import html
from typing import Any

from tests.web.conftest import login
from tests.web.test_entities_review import entities_ws as entities_ws  # the fixture


def test_a_plain_text_entities_project_offers_no_iiif_download(entities_ws: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.actions.entity_export import iiif_offered
    from glamlab.web import create_app
    from glamlab.web.app import stop_background

    ws = entities_ws
    assert not iiif_offered(ws)
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "rey").status_code == 303
        page = html.unescape(c.get("/stages/export").text)
        assert 'data-format="w3c"' in page  # the annotations on the text stay
        assert 'data-format="iiif"' not in page and "IIIF annotations on the page" not in page
        assert 'id="export-no-iiif"' in page
        assert ("No IIIF annotations for this project: they place each mention on its page "
                "image, and its texts have no page images") in page
        got = c.get("/stages/export/download?format=iiif")
        assert got.status_code == 404 and "content-disposition" not in got.headers
        assert "its texts have no page images" in html.unescape(got.text)
    stop_background(app)
